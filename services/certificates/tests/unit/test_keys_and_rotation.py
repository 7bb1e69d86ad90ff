"""Key ids, signing periods and rotation; the published key documents (JWKS, did:web, SM2 list)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from zhicheng_certificates.certificate.domain import CertificateContent, sign_certificate
from zhicheng_certificates.signing.domain import (
    Algorithm,
    PublishedKey,
    SigningKey,
    Validity,
    did_document,
    did_web,
    ed25519_multibase,
    generate_sm2_key,
    jwks,
    key_for_verification,
    parse_published_keys,
    signing_key_at,
    sm2_key_list,
    sm2_public_key_point,
)
from zhicheng_certificates.verification.domain import CheckName, Outcome, verify_document
from zhicheng_common.refusals import Refusal

JAN = datetime(2026, 1, 1, tzinfo=UTC)
ROTATION = datetime(2027, 1, 1, tzinfo=UTC)


def _ring() -> tuple[list[SigningKey], list[SigningKey]]:
    """Two generations per algorithm: the 2026 keys retired at the rotation, the 2027 keys from it."""
    old = [
        SigningKey("ed-2026-01", Algorithm.ED25519, Ed25519PrivateKey.generate(), Validity(JAN, ROTATION)),
        SigningKey("sm2-2026-01", Algorithm.SM2, generate_sm2_key(), Validity(JAN, ROTATION)),
    ]
    new = [
        SigningKey("ed-2027-01", Algorithm.ED25519, Ed25519PrivateKey.generate(), Validity(ROTATION)),
        SigningKey("sm2-2027-01", Algorithm.SM2, generate_sm2_key(), Validity(ROTATION)),
    ]
    return old, new


def test_validity_is_half_open() -> None:
    validity = Validity(JAN, ROTATION)
    assert validity.covers(JAN)
    assert validity.covers(datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC))
    assert not validity.covers(ROTATION)
    assert not validity.covers(datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC))
    assert Validity(JAN).covers(datetime(2099, 1, 1, tzinfo=UTC))


def test_the_signing_key_is_the_one_valid_then_and_newest_when_two_overlap() -> None:
    old, new = _ring()
    keys = old + new
    assert signing_key_at(keys, Algorithm.SM2, datetime(2026, 6, 1, tzinfo=UTC)) is old[1]
    assert signing_key_at(keys, Algorithm.SM2, ROTATION) is new[1]
    overlapping = [
        *keys,
        SigningKey("ed-2027-02", Algorithm.ED25519, Ed25519PrivateKey.generate(), Validity(ROTATION.replace(month=3))),
    ]
    assert signing_key_at(overlapping, Algorithm.ED25519, datetime(2027, 4, 1, tzinfo=UTC)).key_id == "ed-2027-02"  # type: ignore[union-attr]
    refusal = signing_key_at(keys, Algorithm.ED25519, datetime(2025, 1, 1, tzinfo=UTC))
    assert isinstance(refusal, Refusal)
    assert refusal.code == "no_signing_key"


def test_a_key_verifies_what_it_signed_in_its_period_whatever_the_date_today() -> None:
    old, _ = _ring()
    published = [k.published() for k in old]
    found = key_for_verification(
        published, key_id="ed-2026-01", algorithm=Algorithm.ED25519, signed_at=datetime(2026, 12, 31, tzinfo=UTC)
    )
    assert isinstance(found, PublishedKey)
    late = key_for_verification(published, key_id="ed-2026-01", algorithm=Algorithm.ED25519, signed_at=ROTATION)
    assert isinstance(late, Refusal)
    assert late.code == "key_not_valid_at_issue"
    unknown = key_for_verification(published, key_id="ed-1999", algorithm=Algorithm.ED25519, signed_at=JAN)
    assert isinstance(unknown, Refusal)
    assert unknown.code == "unknown_key"
    wrong_algorithm = key_for_verification(published, key_id="ed-2026-01", algorithm=Algorithm.SM2, signed_at=JAN)
    assert isinstance(wrong_algorithm, Refusal)
    assert wrong_algorithm.code == "unknown_key"


def test_rotation_keeps_old_certificates_valid_and_new_ones_use_the_new_key(
    build_content: Callable[..., CertificateContent],
) -> None:
    old, new = _ring()
    ring = old + new
    before = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    after = datetime(2027, 2, 1, 2, 0, tzinfo=UTC)
    documents = {}
    for label, issued_at, serial in (("before", before, 1), ("after", after, 2)):
        sm2 = signing_key_at(ring, Algorithm.SM2, issued_at)
        ed = signing_key_at(ring, Algorithm.ED25519, issued_at)
        assert isinstance(sm2, SigningKey)
        assert isinstance(ed, SigningKey)
        content = build_content(serial=serial, issued_at=issued_at, sm2_key_id=sm2.key_id, ed25519_key_id=ed.key_id)
        documents[label] = sign_certificate(content, sm2_key=sm2, ed25519_key=ed)
    assert documents["before"]["credential"]["signingKeys"] == {"sm2": "sm2-2026-01", "ed25519": "ed-2026-01"}
    assert documents["after"]["credential"]["signingKeys"] == {"sm2": "sm2-2027-01", "ed25519": "ed-2027-01"}
    published = [k.published() for k in ring]
    for label in ("before", "after"):
        result = verify_document(documents[label], keys=published, status_lists=[])
        for name in (CheckName.SIGNATURE_SM2, CheckName.SIGNATURE_ED25519, CheckName.KEY_VALID_AT_ISSUE):
            assert result.check(name).outcome is Outcome.PASSED, (label, result.check(name))
    # Published keys with the old period cut short to before the issue time: refused as not valid then.
    cut = [
        PublishedKey(k.key_id, k.algorithm, k.public_key, Validity(JAN, datetime(2026, 6, 1, tzinfo=UTC)))
        for k in published[:2]
    ]
    result = verify_document(documents["before"], keys=cut, status_lists=[])
    assert result.check(CheckName.SIGNATURE_SM2).outcome is Outcome.PASSED
    assert result.check(CheckName.KEY_VALID_AT_ISSUE).outcome is Outcome.FAILED
    assert result.check(CheckName.KEY_VALID_AT_ISSUE).code == "key_not_valid_at_issue"


def test_the_published_documents_list_every_key_with_its_period_and_read_back() -> None:
    old, new = _ring()
    published = [k.published() for k in old + new]
    key_set = jwks(published)
    assert [k["kid"] for k in key_set["keys"]] == ["ed-2026-01", "ed-2027-01"]
    first = key_set["keys"][0]
    raw = base64.urlsafe_b64decode(first["x"] + "=")
    assert len(raw) == 32
    assert first["kty"] == "OKP"
    assert first["crv"] == "Ed25519"
    assert first["alg"] == "EdDSA"
    assert first["validFrom"] == "2026-01-01T00:00:00Z"
    assert first["validUntil"] == "2027-01-01T00:00:00Z"
    assert "validUntil" not in key_set["keys"][1]

    did = did_web("zc.rst.shanxi.gov.cn")
    assert did == "did:web:zc.rst.shanxi.gov.cn"
    assert did_web("localhost:8006") == "did:web:localhost%3A8006"
    document = did_document(did, published)
    assert document["id"] == did
    assert [m["id"] for m in document["verificationMethod"]] == [f"{did}#ed-2026-01", f"{did}#ed-2027-01"]
    assert document["assertionMethod"] == [f"{did}#ed-2026-01", f"{did}#ed-2027-01"]  # retired keys stay
    assert document["verificationMethod"][0]["type"] == "Multikey"
    assert document["verificationMethod"][0]["publicKeyMultibase"] == ed25519_multibase(published[0].public_key)
    assert document["verificationMethod"][0]["publicKeyMultibase"].startswith("z6Mk")

    sm2_list = sm2_key_list(published)
    assert [k["kid"] for k in sm2_list["keys"]] == ["sm2-2026-01", "sm2-2027-01"]
    entry = sm2_list["keys"][0]
    assert entry["userId"] == "1234567812345678"
    assert entry["algorithm"] == "SM2-SM3"
    assert entry["publicKeyHex"] == sm2_public_key_point(published[1].public_key).hex()
    assert entry["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")

    for source in ({"jwks": key_set, "sm2": sm2_list}, {"did": document, "sm2": sm2_list}):
        keys, problems = parse_published_keys(source)
        assert problems == []
        assert sorted((k.key_id, k.algorithm.value, k.validity) for k in keys) == sorted(
            (k.key_id, k.algorithm.value, k.validity) for k in published
        )


def test_unreadable_published_entries_are_reported_and_skipped() -> None:
    old, _ = _ring()
    good = jwks([old[0].published()])["keys"][0]
    keys, problems = parse_published_keys(
        {"keys": [good, {"kid": "x"}, {"kid": "y", "kty": "RSA", "validFrom": "2026-01-01T00:00:00Z"}, "junk"]}
    )
    assert [k.key_id for k in keys] == ["ed-2026-01"]
    assert [p.code for p in problems] == ["key_malformed", "key_unsupported", "key_malformed"]
