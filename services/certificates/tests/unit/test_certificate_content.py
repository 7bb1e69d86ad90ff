"""The one canonical form of a certificate's content, and the signed document built on it."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import gmalg
import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from zhicheng_certificates.certificate.domain import (
    CertificateContent,
    canonical_bytes,
    content_from_credential,
    content_problems,
    sign_certificate,
    unsecured_credential,
)
from zhicheng_certificates.signing.domain import SigningKey, sm2_public_key_point, verify_eddsa_jcs_proof
from zhicheng_common.refusals import Refusal


def test_the_canonical_form_is_jcs_of_the_documented_shape(content: CertificateContent) -> None:
    credential = unsecured_credential(content)
    canonical = canonical_bytes(content)
    # JCS: members sorted by UTF-16 code units, no blanks, non-ASCII kept as UTF-8.
    assert canonical.startswith(
        b'{"@context":["https://www.w3.org/ns/credentials/v2"],"certificateNumber":"14-2026-0000123-B",'
    )
    assert "欧阳明华".encode() in canonical
    assert b"\\u" not in canonical
    assert json.loads(canonical) == credential
    # The same content built with its members in another order has the same bytes.
    assert rfc8785.dumps(dict(reversed(list(credential.items())))) == canonical
    assert credential["validFrom"] == "2026-12-01T02:00:00Z"
    assert credential["credentialStatus"][0] == {
        "id": "https://zc.rst.shanxi.gov.cn/api/v1/certificates/status/revocation#131071",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "131071",
        "statusListCredential": "https://zc.rst.shanxi.gov.cn/api/v1/certificates/status/revocation",
    }
    assert credential["credentialStatus"][1]["statusPurpose"] == "suspension"
    assert credential["signingKeys"] == {"sm2": "sm2-2026-01", "ed25519": "ed-2026-01"}
    subject = credential["credentialSubject"]
    assert subject["title"]["approval"] == {
        "authority": "山西省人力资源和社会保障厅",
        "documentNumber": "晋人社职字〔2026〕12号",
    }


def test_the_content_reads_back_from_its_credential_and_only_from_the_exact_shape(content: CertificateContent) -> None:
    credential = unsecured_credential(content)
    assert content_from_credential(credential) == content
    extra = {**credential, "note": "added"}
    refusal = content_from_credential(extra)
    assert isinstance(refusal, Refusal)
    assert refusal.code == "credential_not_canonical"
    retyped = json.loads(json.dumps(credential))
    retyped["statusListIndex"] = "131071"
    refusal = content_from_credential(retyped)
    assert isinstance(refusal, Refusal)
    assert refusal.code == "credential_malformed"
    missing = json.loads(json.dumps(credential))
    del missing["credentialSubject"]["residentId"]
    refusal = content_from_credential(missing)
    assert isinstance(refusal, Refusal)
    assert refusal.fields == ("credentialSubject.residentId",)


def test_both_signatures_cover_the_canonical_bytes(
    content: CertificateContent, sm2_key: SigningKey, ed25519_key: SigningKey
) -> None:
    document = sign_certificate(content, sm2_key=sm2_key, ed25519_key=ed25519_key)
    credential = document["credential"]
    assert credential["proof"]["verificationMethod"] == "did:web:zc.rst.shanxi.gov.cn#ed-2026-01"
    assert credential["proof"]["created"] == "2026-12-01T02:00:00Z"
    assert verify_eddsa_jcs_proof(credential, ed25519_key.private_key.public_key()) is None
    # The SM2 signature is over exactly the canonical bytes: checked with gmalg, not our code.
    value = document["sm2Signature"]["signatureValue"]
    r, s = decode_dss_signature(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    verifier = gmalg.SM2(uid=b"1234567812345678", pk=sm2_public_key_point(sm2_key.private_key.public_key()))
    assert verifier.verify(canonical_bytes(content), r.to_bytes(32, "big"), s.to_bytes(32, "big"))
    assert document["sm2Signature"]["userId"] == "1234567812345678"


def test_a_certificate_is_not_signed_with_a_key_it_does_not_name_or_outside_the_keys_period(
    content: CertificateContent, sm2_key: SigningKey, ed25519_key: SigningKey
) -> None:
    with pytest.raises(ValueError, match="cannot sign"):
        sign_certificate(replace(content, ed25519_key_id="ed-other"), sm2_key=sm2_key, ed25519_key=ed25519_key)
    with pytest.raises(ValueError, match="cannot sign"):
        sign_certificate(content, sm2_key=ed25519_key, ed25519_key=sm2_key)
    early = replace(content, issued_at=content.issued_at.replace(year=2025))
    with pytest.raises(ValueError, match="cannot sign"):
        sign_certificate(early, sm2_key=sm2_key, ed25519_key=ed25519_key)


def test_content_problems_name_each_bad_field(content: CertificateContent) -> None:
    assert content_problems(content) == []
    bad = replace(
        content,
        holder_name=" ",
        number="14-2026-0000123-C",
        resident_id="11010519491231002Y",
        issuer_did="https://example.cn",
        status_list_index=-1,
        issued_at=content.issued_at.replace(microsecond=5),
    )
    codes = {p.code for p in content_problems(bad)}
    assert codes == {
        "field_empty",
        "certificate_number_invalid",
        "resident_id_invalid",
        "issuer_did_invalid",
        "status_index_invalid",
        "issued_at_invalid",
    }
    with pytest.raises(ValueError):  # noqa: PT011 - the message lists every problem
        sign_certificate(bad, sm2_key=None, ed25519_key=None)  # type: ignore[arg-type]
