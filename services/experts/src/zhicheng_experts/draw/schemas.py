"""Request and response bodies of the draw. Experts appear by id only, never by name (NA-2)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from zhicheng_experts.draw.domain import DrawStatus, ReplacementReason

Specialty = Annotated[str, Field(min_length=1, max_length=128, examples=["civil"])]


class QuotaIn(BaseModel):
    """How many members and ordered alternates to draw from one specialty."""

    model_config = ConfigDict(extra="forbid")

    specialty: Specialty
    members: Annotated[int, Field(ge=0, le=1000, examples=[7])]
    alternates: Annotated[int, Field(ge=0, le=1000, examples=[2])]


class DrawCreate(BaseModel):
    """A committee office asks for a draw: size (odd, at least the pack's minimum, NA-1), the split
    into specialties, and for a second draw of the same meeting the reason (EX-1)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"size": 9, "quotas": [{"specialty": "civil", "members": 9, "alternates": 3}], "reason": None}]
        },
    )

    size: Annotated[int, Field(ge=1, le=1000)]
    quotas: Annotated[list[QuotaIn], Field(min_length=1, max_length=50)]
    reason: Annotated[str | None, Field(max_length=2000)] = None


class SeedIn(BaseModel):
    """The external seed a supervisor enters at draw time, e.g. the numbers of a public lottery draw."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"external_seed": "2024-11-08 03 07 12 19 25 31 + 09"}]}
    )

    external_seed: Annotated[str, Field(max_length=1000)]


class SignatureCreate(BaseModel):
    """A drawer's or supervisor's Ed25519 signature over the bytes of ``signing-payload`` (EX-1).

    The signer keeps the private key; the public key (PEM, SubjectPublicKeyInfo) is stored with the
    signature so anyone can verify it offline.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "public_key_pem": "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA…\n-----END PUBLIC KEY-----\n",
                    "signature": "9f" * 64,
                }
            ]
        },
    )

    public_key_pem: Annotated[str, Field(max_length=4000)]
    signature: Annotated[str, Field(pattern="^[0-9a-f]{128}$", description="64 bytes, hex")]


class ReplacementCreate(BaseModel):
    """A drawn member declined or was found conflicted: the next alternate of the specialty takes the seat."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"expert_id": "e0042", "reason": "declined", "note": "出差无法参会"}]},
    )

    expert_id: Annotated[str, Field(min_length=1, max_length=128)]
    reason: ReplacementReason
    note: Annotated[str, Field(max_length=2000)] = ""


class CommitmentRead(BaseModel):
    """What is published before the draw: the commitment to the secret and the snapshot's hash (no experts)."""

    draw_id: uuid.UUID
    meeting_id: uuid.UUID
    committee_id: uuid.UUID
    status: DrawStatus
    algorithm: str
    commitment: str = Field(description="SHA-256 (hex) of the 32-byte server secret")
    snapshot_sha256: str = Field(description="SHA-256 (hex) of the canonical snapshot of the eligible pool")
    eligible_count: int
    excluded_count: int
    requested_at: datetime


class LotRead(BaseModel):
    """One specialty: its current members (replacements applied) and the alternates left, in order."""

    specialty: str
    members: list[str]
    alternates: list[str]


class SignatureRead(BaseModel):
    signer_id: str
    role: Literal["drawer", "supervisor"]
    key_id: str
    public_key_pem: str
    signed_at: datetime


class ReplacementRead(BaseModel):
    seq: int
    specialty: str
    replaced: str
    replacement: str
    reason: ReplacementReason
    note: str
    made_by: str
    made_at: datetime


class DrawRead(CommitmentRead):
    """A draw as the committee office, HR supervisors and auditors see it (ids only)."""

    policy_pack: str
    frozen_on: date
    meeting_date: date
    request: dict[str, Any]
    reason: str | None
    external_seed: str | None
    drawn_at: datetime | None
    lots: list[LotRead] | None = Field(description="null until the seed is entered")
    signatures: list[SignatureRead]
    signatures_needed: int
    replacements: list[ReplacementRead]
    voided_by: uuid.UUID | None


class DrawPage(BaseModel):
    items: list[DrawRead]


class SigningPayload(BaseModel):
    """The exact bytes a signer signs (UTF-8 of ``payload``), for the calling user and role."""

    signer_id: str
    role: Literal["drawer", "supervisor"]
    payload: str
