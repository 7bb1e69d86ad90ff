"""Events about committees (through the outbox); fields per docs/event-contracts.md."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field

from zhicheng_common.events.envelope import event_type


class CommitteeFilingData(BaseModel):
    """The approved filing others follow: what the committee may evaluate (CM-4), and until when."""

    committee_id: uuid.UUID
    filing_id: uuid.UUID
    name: str
    kind: str
    formation_basis: str
    series: str
    specialties: list[str]
    levels: list[str]
    scope_regions: list[str]
    scope_ownership_kinds: list[str]
    policy_pack: str
    valid_from: date
    valid_until: date
    region: str
    organizer_name: str
    member_count: int
    status: str = Field(description="The committee's state after the approval: `active`, or `suspended` (CM-10).")


@event_type("committees.committee.applied")
class CommitteeApplied(BaseModel):
    """An organizer applied for the approval and filing (核准备案) of a committee, new or re-filed (CM-1, CM-2)."""

    committee_id: uuid.UUID
    filing_id: uuid.UUID
    reason: str
    name: str
    series: str
    levels: list[str]
    kind: str
    region: str


@event_type("committees.committee.approved")
class CommitteeApproved(CommitteeFilingData):
    """The HR department approved a committee's first filing; it may evaluate within its scope (CM-1, CM-4)."""


@event_type("committees.committee.refiled")
class CommitteeRefiled(CommitteeFilingData):
    """A re-filing was approved (CM-2); the new filing replaces the old one, which stays in history."""

    previous_filing_id: uuid.UUID | None = None
    reason: str


@event_type("committees.committee.rejected")
class CommitteeRejected(BaseModel):
    """The HR department rejected a filing, with its opinion."""

    committee_id: uuid.UUID
    filing_id: uuid.UUID
    opinion: str


@event_type("committees.committee.expired")
class CommitteeExpired(BaseModel):
    """The committee's filing passed its validity end; it evaluates no more until re-filed (CM-2)."""

    committee_id: uuid.UUID
    valid_until: date
    reason: str


@event_type("committees.committee.sanctioned")
class CommitteeSanctioned(BaseModel):
    """A measure was taken against the committee (NA-13): reminder, interview, suspension, … withdrawal."""

    committee_id: uuid.UUID
    sanction_id: uuid.UUID
    kind: str
    reason: str
    decided_on: date
    rectification_deadline: date | None = None


@event_type("committees.committee.suspended")
class CommitteeSuspended(BaseModel):
    """The committee's evaluation is suspended until it has rectified (CM-10); it opens no meetings."""

    committee_id: uuid.UUID
    reason: str
    rectification_deadline: date | None = None


@event_type("committees.committee.resumed")
class CommitteeResumed(BaseModel):
    """A suspended committee has rectified and evaluates again."""

    committee_id: uuid.UUID
    reason: str


@event_type("committees.committee.power_withdrawn")
class CommitteePowerWithdrawn(BaseModel):
    """The committee's evaluation power was withdrawn (CM-10, NA-13); final."""

    committee_id: uuid.UUID
    reason: str
