"""The compact QR token: COSE_Sign1 with Ed25519, numeric mode, version ≤ 10 at level M."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import cbor2
import jwt
import pytest
import segno
from segno import consts

from zhicheng_certificates.certificate.domain import (
    CertificateContent,
    QrToken,
    decode_token,
    qr_segments,
    qr_token,
    token_signature_problem,
    verification_url,
)
from zhicheng_certificates.signing.domain import SigningKey
from zhicheng_certificates.verification.domain import token_from_text
from zhicheng_common.refusals import Refusal

SEGNO_MODES = {"byte": consts.MODE_BYTE, "numeric": consts.MODE_NUMERIC}


def _version(base_url: str, token: str) -> int:
    segments = [(text, SEGNO_MODES[mode]) for text, mode in qr_segments(base_url, token)]
    code = segno.make(segments, error="m", boost_error=False)
    assert code.error == "M"
    version: int = code.version
    return version


def test_the_token_carries_the_minimal_claims_and_verifies(
    content: CertificateContent, ed25519_key: SigningKey
) -> None:
    token = decode_token(qr_token(content, ed25519_key=ed25519_key))
    assert not isinstance(token, Refusal)
    assert token.claims == QrToken(
        key_id="ed-2026-01",
        number="14-2026-0000123-B",
        holder_name_masked="欧***",
        title_name="正高级工艺美术师",
        obtained_on=date(2026, 11, 20),
        issued_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
        status_list_index=131_071,
    )
    assert token_signature_problem(token, ed25519_key.private_key.public_key()) is None


def test_the_token_is_a_cose_sign1_with_eddsa(content: CertificateContent, ed25519_key: SigningKey) -> None:
    value = int(qr_token(content, ed25519_key=ed25519_key))
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    assert raw[0] == 0x01
    protected, unprotected, payload, signature = cbor2.loads(raw[1:])
    assert cbor2.loads(protected) == {1: -8, 4: b"ed-2026-01"}  # alg EdDSA, kid
    assert unprotected == {}
    assert len(signature) == 64
    # Sig_structure of RFC 9052 §4.4, checked here without our decoder.
    to_be_signed = cbor2.dumps(["Signature1", protected, b"", payload])
    ed25519_key.private_key.public_key().verify(signature, to_be_signed)
    assert cbor2.loads(payload)[1] == 1_420_260_000_123  # the number's 13 digits; the check is recomputed


def test_the_worst_case_token_with_its_url_fits_a_version_10_qr_at_level_m(
    build_content: Callable[..., CertificateContent], ed25519_key: SigningKey
) -> None:
    # Longest title in the catalog (8 characters), a 10-character name, the largest index a
    # 16 Mi-entry list would give, and a 48-character base URL.
    content = build_content(holder_name="阿不都热合曼买买提江", status_list_index=16_777_215)
    token = qr_token(content, ed25519_key=ed25519_key)
    base = "https://zhicheng.rst.shanxi.gov.cn:8443/portal"
    assert len(base) == 46
    assert _version(base, token) <= 10
    # The same content as one byte-mode URL would not fit: the segments are what make it small.
    single = segno.make(verification_url(base, token), error="m", boost_error=False)
    assert single.version > 10
    # Why COSE and not JWS: a compact JWS (EdDSA, kid) with the same claims in short JSON members
    # needs version 15 at level M.
    claims = {"n": content.number, "h": "阿*********", "t": content.title_name, "o": "2026-11-20"}
    jws = jwt.encode(
        claims | {"i": 1_796_090_400, "s": 16_777_215},
        ed25519_key.private_key,
        algorithm="EdDSA",
        headers={"kid": ed25519_key.key_id},
    )
    assert segno.make(f"{base}/verify?t={jws}", error="m", boost_error=False).version > 10


def test_a_changed_token_fails_its_signature(content: CertificateContent, ed25519_key: SigningKey) -> None:
    value = int(qr_token(content, ed25519_key=ed25519_key))
    protected, unprotected, payload, signature = cbor2.loads(value.to_bytes((value.bit_length() + 7) // 8, "big")[1:])
    claims = dict(cbor2.loads(payload))
    claims[3] = "正高级工程师"  # another title, the signature kept
    forged = cbor2.dumps([protected, unprotected, cbor2.dumps(claims), signature])
    decoded = decode_token(str(int.from_bytes(b"\x01" + forged, "big")))
    assert not isinstance(decoded, Refusal)
    assert decoded.claims.title_name == "正高级工程师"
    problem = token_signature_problem(decoded, ed25519_key.private_key.public_key())
    assert problem is not None
    assert problem.code == "ed25519_signature_invalid"


@pytest.mark.parametrize("text", ["", "0123", "12a4", "9" * 501, "1" + "0" * 100, "-5"])
def test_malformed_tokens_are_refused(text: str) -> None:
    refusal = decode_token(text)
    assert isinstance(refusal, Refusal)
    assert refusal.code == "token_malformed"


def test_the_verification_url_holds_the_token(content: CertificateContent, ed25519_key: SigningKey) -> None:
    token = qr_token(content, ed25519_key=ed25519_key)
    url = verification_url("https://zc.rst.shanxi.gov.cn/", token)
    assert url == f"https://zc.rst.shanxi.gov.cn/verify?t={token}"
    assert token_from_text(url) == token
    assert token_from_text(f"  {token}\n") == token
