"""Builders for the draw's unit tests: a meeting, a filing, experts and applicants with defaults that pass."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import date
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.experts.tests.builders import expert as expert  # the tests import it from here
from zhicheng_common.policy import load_pack
from zhicheng_common.series import Rank
from zhicheng_experts.draw.domain import (
    Applicant,
    DrawParameters,
    DrawRequest,
    Expert,
    Meeting,
    PoolFiling,
    Quota,
    commitment_of,
)
from zhicheng_experts.draw.evidence import (
    PreparedDraw,
    SignerRole,
    draw_result,
    evidence_pack,
    prepare_draw,
    sign_result,
)

PACK = load_pack("shanxi-2024")
PARAMS = DrawParameters.from_pack(PACK)

MEETING_DAY = date(2024, 11, 15)  # a Friday
FROZEN_ON = date(2024, 11, 1)

MEETING = Meeting(
    id="meeting-1",
    committee_id="committee-1",
    date=MEETING_DAY,
    committee_level="senior",
    formation_basis="per_specialty",
    series="engineering",
    evaluation_ranks=(Rank.ASSOCIATE_SENIOR,),
    specialties=("civil", "power"),
)
FILING = PoolFiling("filing-1", "committee-1", valid_from=date(2023, 1, 1), valid_until=date(2025, 12, 31))


def applicant(number: int, **changes: Any) -> Applicant:
    """Applicant ``applicant-0007`` of unit ``A0007`` (no expert's unit unless told)."""
    return replace(Applicant(resident_id_hash=f"applicant-{number:04d}", unit_credit_code=f"A{number:04d}"), **changes)


def request(*quotas: Quota) -> DrawRequest:
    return DrawRequest(size=sum(q.members for q in quotas), quotas=quotas)


def prepared(
    experts: list[Expert],
    quotas: tuple[Quota, ...],
    *,
    applicants: tuple[Applicant, ...] = (),
    meeting: Meeting = MEETING,
) -> PreparedDraw:
    return prepare_draw(
        meeting=meeting,
        request=request(*quotas),
        filing=FILING,
        experts=experts,
        applicants=applicants,
        frozen_on=FROZEN_ON,
        params=PARAMS,
    )


SEED = "2024-11-08 03 07 12 19 25 31 + 09"


def signed_pack(
    draw: PreparedDraw, keys: list[Ed25519PrivateKey], *, seed: str = SEED, secret: bytes | None = None
) -> dict[str, Any]:
    """A complete evidence pack: a fresh secret, the draw, one signature per key (signers s0, s1, …)."""
    secret = secret or secrets.token_bytes(32)
    commitment = commitment_of(secret)
    result = draw_result(
        snapshot=draw.snapshot,
        snapshot_sha256=draw.snapshot_sha256,
        audit_sha256=draw.audit_sha256,
        commitment=commitment,
        secret=secret,
        external_seed=seed,
    )
    roles: list[SignerRole] = ["drawer", "drawer", "supervisor"]
    signatures = [
        sign_result(result, signer_id=f"s{i}", role=roles[i % 3], private_key=key) for i, key in enumerate(keys)
    ]
    return evidence_pack(
        draw, commitment=commitment, secret=secret, external_seed=seed, result=result, signatures=signatures
    )
