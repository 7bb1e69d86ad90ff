"""Request and response bodies of the committees service.

Series, specialties and levels are checked against the series catalog here, so an unknown one is a
422 naming the field; rules (NA-1, CM-*) are checked by the service and refused with their id.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from zhicheng_committees.domain import (
    CommitteeKind,
    CommitteeStatus,
    FilingReason,
    FilingStatus,
    FormationBasis,
    MeetingFileItem,
    OwnershipKind,
    PlanStatus,
    SanctionKind,
)
from zhicheng_common.policy import available_packs
from zhicheng_common.schemas import provisional_flag
from zhicheng_common.series import Level, load_series_catalog
from zhicheng_common.validators import CreditCode, RegionCode


def _known_series(value: str) -> str:
    if load_series_catalog().get(value) is None:
        raise ValueError(f"职称系列目录中没有此系列：{value}")
    return value


def _known_pack(value: str) -> str:
    if value not in available_packs():
        # The same code as every other service's refusal of a pack id that no pack has.
        raise PydanticCustomError(
            "unknown_policy_pack",
            "没有此政策包：{value}（可用：{available}）",
            {"value": value, "available": "、".join(available_packs())},
        )
    return value


def _unique(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


SeriesCode = Annotated[str, AfterValidator(_known_series), Field(examples=["engineering"])]
PackId = Annotated[str, AfterValidator(_known_pack), Field(examples=["shanxi-2024"])]
Levels = Annotated[list[Level], AfterValidator(_unique), Field(min_length=1, examples=[["associate_senior", "senior"]])]


class DocumentRef(BaseModel):
    """A document's metadata and digest (the file itself lives elsewhere)."""

    kind: Literal["conditions", "rules", "formation_basis", "other"] = Field(examples=["conditions"])
    title: str = Field(min_length=1, max_length=200, examples=["山西省工程技术高级职称评审条件"])
    sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$", examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"]
    )
    issued_on: date | None = Field(default=None, examples=["2024-03-01"])


class Office(BaseModel):
    """The committee office (办事机构) and whom to contact."""

    name: str = Field(min_length=1, max_length=200, examples=["山西省工程技术职称评审委员会办公室"])
    address: str = Field(min_length=1, max_length=300, examples=["太原市小店区长风街1号"])
    contact_name: str = Field(min_length=1, max_length=64, examples=["王丽"])
    contact_phone: str = Field(pattern=r"^[0-9+\-() ]{5,32}$", examples=["0351-1234567"])


class FilingCreate(BaseModel):
    """What an organizer files for a committee (CM-1); re-filings (CM-2) carry the same fields and a reason."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=200, examples=["山西省工程技术高级职称评审委员会"])
    organizer_name: str = Field(min_length=2, max_length=200, examples=["山西省工业和信息化厅"])
    organizer_credit_code: CreditCode = Field(examples=["91140100MA0K0A0A0N"])
    region: RegionCode = Field(description="GB/T 2260 code of the HR department it is filed with.", examples=["140000"])
    kind: CommitteeKind = Field(examples=["industry_department"])
    formation_basis: FormationBasis = Field(examples=["per_series"])
    series: SeriesCode
    specialties: Annotated[list[str], AfterValidator(_unique)] = Field(
        default_factory=list, description="Empty = every specialty of the series.", examples=[["electrical"]]
    )
    levels: Levels
    scope_regions: Annotated[list[RegionCode], AfterValidator(_unique)] = Field(min_length=1, examples=[["140000"]])
    scope_ownership_kinds: Annotated[list[OwnershipKind], AfterValidator(_unique)] = Field(
        default_factory=list, description="Empty = every ownership kind.", examples=[["private_enterprise"]]
    )
    documents: list[DocumentRef] = Field(default_factory=list)
    office: Office
    member_count: int = Field(ge=1, le=10000, examples=[25])
    policy_pack: PackId


class RefilingCreate(FilingCreate):
    """A re-filing (CM-2): the full new filing and why."""

    reason: FilingReason = Field(examples=["rename"])


class FilingDecision(BaseModel):
    """The HR department's decision on a filing, with its opinion."""

    model_config = ConfigDict(extra="forbid")

    approve: bool = Field(examples=[True])
    opinion: str = Field(min_length=1, max_length=2000, examples=["材料齐全，符合组建条件，同意核准备案"])


class FilingRead(BaseModel):
    """One filing of a committee (the organizer's credit code masked)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    committee_id: uuid.UUID
    sequence: int = Field(examples=[1])
    reason: FilingReason
    status: FilingStatus
    region: str = Field(examples=["140000"])
    name: str
    organizer_name: str
    organizer_credit_code: str = Field(description="Masked.", examples=["911401********0A0N"])
    kind: CommitteeKind
    formation_basis: FormationBasis
    series: str
    specialties: list[str]
    levels: list[str]
    scope_regions: list[str]
    scope_ownership_kinds: list[str]
    documents: list[DocumentRef]
    office: Office
    member_count: int
    policy_pack: str
    submitted_by: str
    submitted_at: datetime
    decided_by: str | None
    decided_on: date | None
    opinion: str | None


class FilingPage(BaseModel):
    items: list[FilingRead]
    total: int = Field(examples=[1])
    limit: int = Field(examples=[50])
    offset: int = Field(examples=[0])


class CommitteeRead(BaseModel):
    """A committee: state, validity and its current (or pending first) filing."""

    id: uuid.UUID
    region: str = Field(examples=["140000"])
    status: CommitteeStatus
    valid_from: date | None = Field(examples=["2024-03-01"])
    valid_until: date | None = Field(examples=["2027-02-28"])
    rectification_deadline: date | None = None
    filing: FilingRead = Field(description="The approved filing in force, or the first filing while it is pending.")
    pending_filing_id: uuid.UUID | None = None


class CommitteePage(BaseModel):
    items: list[CommitteeRead]
    total: int = Field(examples=[1])
    limit: int = Field(examples=[50])
    offset: int = Field(examples=[0])


class SanctionCreate(BaseModel):
    """A measure against a committee (NA-13, CM-10)."""

    model_config = ConfigDict(extra="forbid")

    kind: SanctionKind = Field(examples=["suspension"])
    reason: str = Field(min_length=2, max_length=2000, examples=["评审程序不完备，专家抽取未按规定留痕"])
    rectification_deadline: date | None = Field(
        default=None, description="Required for suspension and ordered rectification.", examples=["2024-12-31"]
    )


class SanctionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    committee_id: uuid.UUID
    kind: SanctionKind
    reason: str
    decided_by: str
    decided_on: date
    rectification_deadline: date | None


class ResumptionCreate(BaseModel):
    """Lifting a suspension once the committee has rectified."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=2, max_length=2000, examples=["整改到位，经复核同意恢复评审"])


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


class ResultsEntryCreate(BaseModel):
    """The entry of a meeting's results into the provincial platform, with the meeting file (CM-11).

    The entry is dated by the server the day it is made; CM-11 is counted from the appointment document.
    """

    model_config = ConfigDict(extra="forbid")

    appointment_document_date: date = Field(
        description="Date of the appointment document (聘任文件); not before the meeting nor after today.",
        examples=["2024-12-02"],
    )
    meeting_file: Annotated[list[MeetingFileItem], AfterValidator(_unique)] = Field(
        examples=[[item.value for item in MeetingFileItem]]
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


class ScopeMatch(BaseModel):
    """An active committee that may evaluate the applicant (CM-4)."""

    committee_id: uuid.UUID
    name: str
    region: str
    kind: CommitteeKind
    series: str
    specialties: list[str]
    levels: list[str]
    valid_until: date | None
    policy_pack: str


class ScopeResult(BaseModel):
    items: list[ScopeMatch]
