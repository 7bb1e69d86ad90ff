"""Events about evaluation meetings (through the outbox); fields per docs/event-contracts.md."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from zhicheng_common.events.envelope import event_type


@event_type("committees.meeting.pre_filed")
class MeetingPreFiled(BaseModel):
    """A meeting's pre-meeting filing (会前备案) was made in time (CM-8): the meeting is open; experts may be drawn."""

    committee_id: uuid.UUID
    meeting_id: uuid.UUID
    plan_id: uuid.UUID
    meeting_date: date
    filed_on: date
    region: str
    applicant_count: int
    series: str
    levels: list[str]
    policy_pack: str


@event_type("committees.meeting.deadline_changed")
class MeetingDeadlineChanged(BaseModel):
    """A meeting's stored deadline was recomputed after a year's holiday arrangement was loaded.

    Published when the due date moves or its provisional mark changes (docs/calendar.md).
    """

    meeting_id: uuid.UUID
    plan_id: uuid.UUID
    committee_id: uuid.UUID
    deadline_kind: Literal["post_meeting_filing", "results_entry"] = Field(
        description="post_meeting_filing: CM-9; results_entry: CM-11"
    )
    previous: date
    due: date
    provisional: bool
    moved: bool = Field(description="The due date changed (not only its provisional mark)")
    calendar_years: list[int]


class MeetingSittingData(BaseModel):
    """A meeting's sitting as others follow it: counts only, never who voted what."""

    meeting_id: uuid.UUID
    committee_id: uuid.UUID
    plan_id: uuid.UUID
    region: str
    meeting_date: date
    members: int = Field(description="Members of the drawn panel.")
    attending: int = Field(description="Experts who signed in (MT-1, NA-7).")


@event_type("committees.meeting.opened")
class MeetingOpened(MeetingSittingData):
    """A meeting opened: consented (CM-8), panel drawn, odd, quorate (MT-1, NA-7), with a chair."""


@event_type("committees.meeting.closed")
class MeetingClosed(MeetingSittingData):
    """A meeting closed: no round is open and no vote is accepted any more (NA-7)."""
