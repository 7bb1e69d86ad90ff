"""Request and response bodies of annual plans."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from zhicheng_committees.meeting.schemas import MeetingRead
from zhicheng_committees.plan.domain import PlanStatus
from zhicheng_committees.schemas import Levels, PackId


class MeetingIn(BaseModel):
    meeting_date: date = Field(examples=["2024-11-15"])
    pre_meeting_filing_date: date = Field(examples=["2024-11-06"])


class PlanCreate(BaseModel):
    """An annual evaluation plan (CM-5): series and levels, declaration window, notice and meetings."""

    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2000, le=2100, examples=[2024])
    levels: Levels
    declaration_opens: date = Field(examples=["2024-08-01"])
    declaration_closes: date = Field(examples=["2024-08-31"])
    notice_date: date = Field(examples=["2024-07-15"])
    meetings: list[MeetingIn] = Field(min_length=1, max_length=20)
    cross_year_exception: str | None = Field(
        default=None,
        max_length=500,
        description="CM-6: the HR department's approval of a plan crossing the year (document number).",
        examples=[None],
    )
    policy_pack: PackId | None = Field(
        default=None,
        description=(
            "Default: the pack of the committee's region for the plan's year; a named pack must be of "
            "that jurisdiction and cover the year (422 policy_pack_not_applicable)."
        ),
    )


class PlanUpdate(PlanCreate):
    """A changed plan: the whole plan again."""


class PlanRead(BaseModel):
    id: uuid.UUID
    committee_id: uuid.UUID
    region: str
    year: int
    series: str
    levels: list[str]
    declaration_opens: date
    declaration_closes: date
    notice_date: date
    cross_year_exception: str | None
    policy_pack: str
    status: PlanStatus
    version: int
    meetings: list[MeetingRead]
