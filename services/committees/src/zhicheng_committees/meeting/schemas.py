"""Request and response bodies of evaluation meetings and their filings."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from zhicheng_committees.meeting.domain import EvaluationForm
from zhicheng_common.events.consumer import EventData
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


# --- the sitting: arrangement, sign-in, opening, groups, recusals, opinions ---------------------


class ArrangementIn(BaseModel):
    """How and where the meeting sits (MT-4): a venue, or remote where the pack allows it, and its forms."""

    venue: str | None = Field(default=None, max_length=200, examples=["太原市小店区长风街1号 三楼会议室"])
    remote: bool = Field(default=False, description="MT-4: a remote (online) evaluation, where the pack allows.")
    forms: list[EvaluationForm] = Field(
        min_length=1, max_length=5, examples=[["material_review", "defence"]], description="MT-4: evaluation forms."
    )


class OpeningIn(BaseModel):
    chair: str = Field(
        min_length=1, max_length=64, description="The attending expert who chairs (主任委员).", examples=["e-01"]
    )


class GroupsIn(BaseModel):
    """Review groups (评议组, MT-2, NA-8): each applicant's declaration id → the experts who read it."""

    groups: dict[str, list[str]] = Field(examples=[{"0190b5a2-0000-7000-8000-0000000000a1": ["e-01", "e-02", "e-03"]}])


class RecusalIn(BaseModel):
    declaration_id: str = Field(min_length=1, max_length=64, examples=["0190b5a2-0000-7000-8000-0000000000a1"])
    reason: str = Field(min_length=1, max_length=500, examples=["与申报人为同一单位"])


class OpinionIn(BaseModel):
    """An independent written opinion (评审意见, MT-2): a score and a text."""

    declaration_id: str = Field(min_length=1, max_length=64, examples=["0190b5a2-0000-7000-8000-0000000000a1"])
    score: int = Field(ge=0, le=100, examples=[86])
    text: str = Field(min_length=1, max_length=4000, examples=["业绩突出，论文质量较高，同意推荐。"])


class OpinionRead(BaseModel):
    expert_id: str
    declaration_id: str
    score: int
    text: str


class OpinionsRead(BaseModel):
    """MT-2: the opinions on one applicant the caller may read: their own until every reader wrote."""

    declaration_id: str
    complete: bool = Field(description="Every non-recused member of the group has written.")
    items: list[OpinionRead]


class RecusalRead(BaseModel):
    declaration_id: str
    expert_id: str


class RoundSummary(BaseModel):
    number: int
    status: str
    applicants: int
    voters: int


class SittingRead(BaseModel):
    """A meeting's sitting as the office and its experts see it: the sign-in sheet, not any vote."""

    meeting_id: uuid.UUID
    status: str = Field(examples=["open"], description="scheduled, open or closed")
    venue: str | None
    remote: bool
    forms: list[str]
    applicants: list[str] = Field(description="The qualified declarations evaluated (ids).")
    panel: list[str] = Field(description="The drawn members (expert ids), from experts.panel.drawn.")
    attending: list[str] = Field(description="The experts who signed in (MT-1).")
    chair: str | None
    members: int | None = Field(description="Members when the meeting opened.")
    quorum: int | None = Field(description="MT-1, NA-7: the fewest attending that make a quorum.")
    groups: dict[str, list[str]]
    recusals: list[RecusalRead]
    rounds: list[RoundSummary]


class Qualified(EventData):
    """What a sitting takes from ``review.declaration.qualified`` (review owns the schema)."""

    declaration_id: uuid.UUID
    committee_id: uuid.UUID | None = None
    applicant_key: str
    applicant_name_sealed: str | None = None
    year: int
    series: str
    specialty: str | None = None
    level: str
    rank: str | None = None
    unit_key: str = ""
    region: str
