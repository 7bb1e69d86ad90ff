"""The evidence pack (EX-1): it re-runs offline to the same panel, and any changed byte names its check."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from zhicheng_experts.draw.domain import Quota, Relationship, canonical_json, commitment_of, sha256_hex
from zhicheng_experts.draw.evidence import draw_result, sign_result, verify_pack

from .conftest import applicant, expert, prepared, signed_pack

KEYS = [Ed25519PrivateKey.generate() for _ in range(3)]
PUBLIC = [key.public_key() for key in KEYS]
QUOTAS = (Quota("civil", 6, 2), Quota("power", 5, 1))


def pool() -> list[Any]:
    civil = [expert(i) for i in range(12)]
    power = [expert(i, specialties=("power",)) for i in range(12, 22)]
    return [
        *civil,
        *power,
        expert(22, unit_credit_code="A0001"),  # same unit as applicant 1
        expert(23, relationships=(Relationship("lineal_relative", "applicant-0002"),)),
        expert(24, integrity_bars=("record-5",), specialties=("power",)),
    ]


APPLICANTS = (applicant(1), applicant(2))
DRAW = prepared(pool(), QUOTAS, applicants=APPLICANTS)
PACK = signed_pack(DRAW, KEYS)
ALL_CHECKS = [
    "format",
    "commitment",
    "snapshot_hash",
    "audit_hash",
    "exclusions",
    "result",
    "signature:s0",
    "signature:s1",
    "signature:s2",
    "signers",
]


def fresh() -> dict[str, Any]:
    # The pack as a verifier reads it: from a JSON file.
    document: dict[str, Any] = json.loads(json.dumps(PACK, ensure_ascii=False))
    return document


def flip(text: str, index: int = 0) -> str:
    """Change one character (one byte for ASCII) of ``text``."""
    replacement = "1" if text[index] != "1" else "2"
    return text[:index] + replacement + text[index + 1 :]


def test_EX_1_a_pack_reruns_to_the_same_panel_and_every_check_passes() -> None:
    verification = verify_pack(fresh(), PUBLIC)
    assert [c.name for c in verification.checks] == ALL_CHECKS
    assert verification.ok, verification.checks
    assert verification.failed == ()


def test_EX_1_a_changed_byte_of_the_secret_fails_the_commitment() -> None:
    pack = fresh()
    pack["secret"] = flip(pack["secret"])
    # The panel follows from the secret, so the result no longer reproduces either.
    assert verify_pack(pack, PUBLIC).failed == ("commitment", "result")


def test_EX_1_a_changed_byte_of_the_seed_fails_the_result() -> None:
    pack = fresh()
    pack["external_seed"] = flip(pack["external_seed"], len(pack["external_seed"]) - 1)
    assert verify_pack(pack, PUBLIC).failed == ("result",)


def test_EX_1_a_changed_byte_of_the_snapshot_fails_its_hash() -> None:
    pack = fresh()
    pack["snapshot"]["meeting_date"] = flip(pack["snapshot"]["meeting_date"], 3)  # 2024 → 2021
    assert verify_pack(pack, PUBLIC).failed == ("snapshot_hash", "exclusions")


def test_EX_1_a_changed_expert_id_in_the_snapshot_fails_its_hash_and_the_exclusions() -> None:
    pack = fresh()
    pack["snapshot"]["eligible"][0]["id"] = flip(pack["snapshot"]["eligible"][0]["id"], 1)
    failed = verify_pack(pack, PUBLIC).failed
    assert failed[:2] == ("snapshot_hash", "exclusions")


def test_EX_1_a_changed_byte_of_the_result_fails_the_result_and_every_signature() -> None:
    pack = fresh()
    member = pack["result"]["lots"][0]["members"][0]
    pack["result"]["lots"][0]["members"][0] = flip(member, 1)
    assert verify_pack(pack, PUBLIC).failed == ("result", "signature:s0", "signature:s1", "signature:s2", "signers")


def test_EX_1_an_exclusion_dropped_from_the_audit_is_found_even_when_rehashed() -> None:
    pack = fresh()
    pack["audit"]["exclusions"] = pack["audit"]["exclusions"][1:]
    pack["audit_sha256"] = sha256_hex(canonical_json(pack["audit"]))
    failed = verify_pack(pack, PUBLIC).failed
    # The result (signed) names the audit hash it was drawn with, so it no longer matches either.
    assert failed == ("exclusions", "result")


def test_EX_1_a_signature_needs_a_trusted_key() -> None:
    verification = verify_pack(fresh(), PUBLIC[:2])
    assert verification.failed == ("signature:s2", "signers")
    detail = {c.name: c.detail for c in verification.checks}
    assert "no trusted public key" in detail["signature:s2"]
    assert "2 distinct valid signer(s), the pack asks for 3" in detail["signers"]


def test_EX_1_two_signatures_are_not_enough() -> None:
    pack = signed_pack(DRAW, KEYS[:2])
    assert verify_pack(pack, PUBLIC).failed == ("signers",)


def test_EX_1_one_key_signing_three_times_counts_once() -> None:
    pack = fresh()
    pack["signatures"] = [
        sign_result(pack["result"], signer_id=f"s{i}", role="drawer", private_key=KEYS[0]) for i in range(3)
    ]
    verification = verify_pack(pack, PUBLIC)
    assert verification.failed == ("signers",)


def test_EX_1_a_signature_moved_to_another_signer_fails() -> None:
    pack = fresh()
    pack["signatures"][0]["signer_id"] = "someone-else"
    assert verify_pack(pack, PUBLIC).failed == ("signature:someone-else", "signers")


def test_a_malformed_pack_fails_every_check_without_raising() -> None:
    verification = verify_pack({}, PUBLIC)
    assert verification.failed == (*ALL_CHECKS[:6], "signers")  # the signatures are not there to check
    broken = fresh()
    broken["audit"]["experts"][0]["rank_held"] = "grandmaster"
    broken["signatures"] = "not a list"
    failed = verify_pack(broken, PUBLIC).failed
    assert failed == ("audit_hash", "exclusions", "signers")


def test_EX_6_NA_9_NA_13_unit_related_or_barred_experts_are_never_drawn_and_the_reason_is_in_the_pack() -> None:
    reasons = {
        e["expert_id"]: [(r["code"], r["rule"], list(r["also"]), r["applicant"]) for r in e["reasons"]]
        for e in PACK["audit"]["exclusions"]
    }
    # Recusal (the same unit, a declared relationship) names NA-9 and EX-6 and the applicant concerned.
    assert reasons == {
        "e0022": [("same_unit_as_applicant", "NA-9", ["EX-6"], "applicant-0001")],
        "e0023": [("relationship_with_applicant", "NA-9", ["EX-6"], "applicant-0002")],
        "e0024": [("integrity_bar", "NA-13", [], None)],
    }
    eligible = {c["id"] for c in PACK["snapshot"]["eligible"]}
    assert eligible.isdisjoint(reasons)
    for n in range(200):
        secret = secrets.token_bytes(32)
        result = draw_result(
            snapshot=DRAW.snapshot,
            snapshot_sha256=DRAW.snapshot_sha256,
            audit_sha256=DRAW.audit_sha256,
            commitment=commitment_of(secret),
            secret=secret,
            external_seed=f"seed {n}",
        )
        drawn = {e for lot in result["lots"] for e in (*lot["members"], *lot["alternates"])}
        assert drawn.isdisjoint(reasons)


def test_the_secret_must_match_the_commitment_to_draw() -> None:
    with pytest.raises(ValueError, match="commitment"):
        draw_result(
            snapshot=DRAW.snapshot,
            snapshot_sha256=DRAW.snapshot_sha256,
            audit_sha256=DRAW.audit_sha256,
            commitment=commitment_of(bytes(32)),
            secret=b"\x01" * 32,
            external_seed="x",
        )


def test_NA_2_the_pack_names_experts_by_id_and_people_by_keyed_hash_only() -> None:
    # The builders give no names; what the pack holds of a person is the keyed hash (and unit code).
    expert_fields = set(PACK["audit"]["experts"][0])
    assert expert_fields == {
        "id",
        "resident_id_hash",
        "unit_credit_code",
        "ownership_kind",
        "series",
        "specialties",
        "rank_held",
        "terms",
        "status",
        "relationships",
        "integrity_bars",
    }
    assert set(PACK["snapshot"]["eligible"][0]) == {"id", "specialties"}


def test_the_pack_does_not_depend_on_key_order_or_spacing() -> None:
    text = json.dumps(PACK, ensure_ascii=False, indent=2, sort_keys=False)
    assert verify_pack(json.loads(text), PUBLIC).ok
