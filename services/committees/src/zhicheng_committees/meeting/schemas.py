"""Request and response bodies of evaluation meetings and their filings."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from zhicheng_common.schemas import provisional_flag


class MeetingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    meeting_date: date
    pre_meeting_filing_date: date = Field(description="CM-8: the planned day of the pre-meeting filing.")
    pre_meeting_filed_on: date | None = Field(
        default=None,
        description="CM-8: the server's day the pre-meeting filing was made; the meeting is open from then.",
    )
    pre_meeting_paper_date: date | None = Field(default=None, description="The date on the paper filing, as given.")
    pre_meeting_filed_by: str | None = None
    applicant_count: int | None = Field(default=None, description="Applicants to evaluate, as filed (CM-8).")
    pre_meeting_note: str | None = None
    post_meeting_filing_due: date = Field(description="CM-9: the post-meeting filing is due by this day.")
    post_meeting_filing_due_provisional: bool = provisional_flag(True)
    post_meeting_filed_on: date | None = Field(default=None, description="CM-9: the server's day of the filing.")
    post_meeting_paper_date: date | None = Field(default=None, description="The date on the paper filing, as given.")
    post_meeting_filing_late: bool | None = Field(default=None, description="CM-9: filed after the due day.")
    appointment_document_date: date | None = None
    results_entry_due: date | None = Field(default=None, description="CM-11: results are entered by this day.")
    results_entry_due_provisional: bool = provisional_flag(False)
    results_entered_on: date | None = Field(default=None, description="CM-11: the server's day of the entry.")
    results_entry_late: bool | None = Field(default=None, description="CM-11: entered after the due day.")


class MeetingDetail(MeetingRead):
    """One meeting read by its id: which plan and committee it belongs to, and their region."""

    plan_id: uuid.UUID
    committee_id: uuid.UUID
    region: str = Field(examples=["140000"])


class PreMeetingFilingCreate(BaseModel):
    """The pre-meeting filing of a meeting (会前备案, CM-8): qualification review done, applicants publicized."""

    model_config = ConfigDict(extra="forbid")

    paper_date: date | None = Field(
        default=None,
        description=(
            "The date on the paper filing, recorded beside the server's date; CM-8 is checked on the server's "
            "date (the day of this request), never on this one. Not later than today."
        ),
        examples=["2024-11-08"],
    )
    applicant_count: int = Field(ge=1, le=100000, description="Applicants to evaluate at the meeting.", examples=[86])
    note: str | None = Field(
        default=None, max_length=2000, examples=["资格审查结果已于2024年10月28日至11月1日公示，无异议"]
    )


class PostMeetingFilingCreate(BaseModel):
    """The post-meeting filing of a meeting (CM-9), dated by the server the day it is made."""

    model_config = ConfigDict(extra="forbid")

    paper_date: date | None = Field(
        default=None,
        description="The date on the paper filing, recorded beside the server's date (CM-9 uses the server's).",
        examples=["2024-11-25"],
    )


class OverdueMeetingRead(BaseModel):
    """A meeting whose post-meeting filing is overdue (CM-9)."""

    meeting_id: uuid.UUID
    plan_id: uuid.UUID
    committee_id: uuid.UUID
    region: str
    meeting_date: date
    post_meeting_filing_due: date
    post_meeting_filing_due_provisional: bool = provisional_flag(True)


class OverdueMeetingPage(BaseModel):
    items: list[OverdueMeetingRead]
    total: int = Field(examples=[1])
