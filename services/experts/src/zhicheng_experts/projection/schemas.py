"""What the projections take from other services' events: only the fields this service uses (the
producers own the schemas, docs/asyncapi.yaml); the consumers parse into these, the use cases apply them."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import Field

from zhicheng_common.events.consumer import EventData


class CommitteeFiled(EventData):
    committee_id: uuid.UUID
    name: str
    kind: str
    formation_basis: str
    series: str
    specialties: list[str]
    levels: list[str]
    scope_ownership_kinds: list[str] = Field(default_factory=list)
    region: str
    policy_pack: str
    valid_from: date
    valid_until: date
    status: str = "active"


class Plan(EventData):
    plan_id: uuid.UUID
    committee_id: uuid.UUID
    year: int
    meeting_dates: list[date]
    version: int = 1


class MeetingPreFiled(EventData):
    meeting_id: uuid.UUID
    committee_id: uuid.UUID
    plan_id: uuid.UUID
    meeting_date: date
    filed_on: date
    region: str
    series: str
    levels: list[str]
    policy_pack: str


class Qualified(EventData):
    declaration_id: uuid.UUID
    committee_id: uuid.UUID | None = None
    applicant_key: str
    # The keyed hash of the applicant's unit credit code; absent from events before review carried it.
    unit_key: str = ""
    year: int
    series: str
    level: str
