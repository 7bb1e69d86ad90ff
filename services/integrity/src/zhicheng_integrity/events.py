"""Events the integrity service publishes (through its outbox).

Consumers match the subject by ``subject_key`` (the keyed hash of the resident ID number or credit
code, ``PiiCipher(ZC_PII_KEY).keyed_hash``) and act per ``record_id``: a ``decided`` record applies
its effects, an ``expired`` or ``withdrawn`` one lifts them. A record changed on appeal is first
withdrawn, then its replacement is decided (``supersedes`` names the old one).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from zhicheng_common.events.envelope import event_type
from zhicheng_integrity.domain import RecordKind, SubjectKind, UnitSanction


class RecordEffects(BaseModel):
    """What the other services do while the record is in force."""

    bar_declaring: bool = Field(description="intake refuses the subject's declarations (EL-20, NA-13)")
    bar_expert_draws: bool = Field(
        description="experts excludes the person from draws and marks the expert disqualified (NA-13)"
    )
    revoke_certificate_number: str | None = Field(description="certificates revokes this certificate (IN-1, NA-13)")
    unit_sanction: UnitSanction | None = Field(
        description="committees applies this sanction step to the unit or committee (IN-3, CM-10, NA-13)"
    )


@event_type("integrity.record.decided")
class RecordDecided(BaseModel):
    """An integrity record was decided: its effects are in force from valid_from to valid_until (inclusive)."""

    record_id: uuid.UUID
    subject_kind: SubjectKind
    subject_key: str = Field(description="keyed hash of the resident ID number or credit code")
    kind: RecordKind
    effects: RecordEffects
    valid_from: date
    valid_until: date = Field(description="last day in force (inclusive); `record.expired` follows the day after")
    rule_ids: list[str]
    committee_id: uuid.UUID | None = None
    declaration_id: uuid.UUID | None = None
    supersedes: uuid.UUID | None = Field(default=None, description="the record this one replaces after an appeal")
    policy_pack: str
    # NA-13: fraud records go to the national credit platform through the gateway's feeds (issue 17);
    # only for those does the event carry what the platform needs, the identifiers sealed.
    shared_with_credit_platform: bool = Field(
        default=False, description="NA-13: a fraud record for the credit platform"
    )
    subject_name_sealed: str | None = Field(
        default=None, description="the subject's name, sealed (shared records only)"
    )
    subject_id_sealed: str | None = Field(
        default=None, description="the resident ID number or credit code, sealed (shared records only)"
    )
    deciding_authority: str | None = None
    decision_date: date | None = None


@event_type("integrity.record.expired")
class RecordExpired(BaseModel):
    """A record's validity ended: its bars lift (a revoked certificate stays revoked)."""

    record_id: uuid.UUID
    subject_kind: SubjectKind
    subject_key: str
    valid_until: date
    kind: RecordKind | None = None
    shared_with_credit_platform: bool = Field(
        default=False, description="NA-13: a fraud record for the credit platform"
    )


@event_type("integrity.record.withdrawn", version=2)
class RecordWithdrawn(BaseModel):
    """A record was withdrawn (or superseded) on appeal: its effects lift; the history keeps it.

    v2: without v1's ``reason``, the staff's words about the person's appeal (issue 12: no free
    text of a person in the stream); no consumer acts on it, and the record's history keeps it.
    """

    record_id: uuid.UUID
    subject_kind: SubjectKind
    subject_key: str
    outcome: Literal["withdrawn", "changed"] = Field(description="`changed`: a new record supersedes this one")
    superseded_by: uuid.UUID | None = None
    kind: RecordKind | None = None
    shared_with_credit_platform: bool = Field(
        default=False, description="NA-13: a fraud record for the credit platform"
    )
