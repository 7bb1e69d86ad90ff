"""Request and response bodies of a meeting's results."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from zhicheng_committees.result.domain import MeetingFileItem
from zhicheng_committees.schemas import _unique


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


class ApplicantResultRead(BaseModel):
    declaration_id: str
    round: int = Field(description="The round whose vote decided (MT-3).")
    voted_passed: bool = Field(description="The result of the vote (NA-7).")
    passed: bool = Field(description="The result as it stands (after upheld objections and re-examinations).")


class ObjectionRead(BaseModel):
    id: uuid.UUID
    declaration_id: str
    content: str
    filed_on: date
    status: str = Field(examples=["open"])
    resolution: str | None = None


class ReexaminationRead(BaseModel):
    id: uuid.UUID
    declaration_id: str
    reason: str
    requested_on: date
    status: str = Field(examples=["requested"])
    handler: str | None = None
    outcome: str | None = None
    passed: bool | None = None
    outcome_text: str | None = None
    decided_on: date | None = None
    confirmation_id: uuid.UUID | None = None


class ResultsRead(BaseModel):
    """A meeting's results: publicity (NA-11), objections, confirmation, each applicant's result."""

    meeting_id: uuid.UUID
    status: str = Field(examples=["publicized"])
    opened_on: date
    open_through: date = Field(description="The publicity's last day (NA-14): objections through its end.")
    open_through_provisional: bool
    closes_on: date = Field(description="The first day the results may be confirmed.")
    evaluated_count: int
    passed_count: int
    applicants: list[ApplicantResultRead]
    objections: list[ObjectionRead]
    reexaminations: list[ReexaminationRead]
    confirmation_id: uuid.UUID | None = None
    approving_authority: str | None = None
    document_number: str | None = None
    title_obtained_on: date | None = None
    confirmed_on: date | None = None


class ObjectionCreate(BaseModel):
    """An objection raised during the results publicity, recorded by the office (NA-11, RV-6)."""

    model_config = ConfigDict(extra="forbid")

    declaration_id: str = Field(max_length=64, examples=["0190b5a2-0000-7000-8000-0000000000a1"])
    content: str = Field(min_length=1, max_length=4000, examples=["反映该申报人业绩材料与实际不符"])


class ObjectionResolution(BaseModel):
    """The office's resolution: ``upheld`` withholds the applicant from the confirmed passed list."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["upheld", "dismissed"] = Field(examples=["dismissed"])
    resolution: str = Field(min_length=1, max_length=4000, examples=["经核查，业绩材料真实，异议不成立"])


class ConfirmationCreate(BaseModel):
    """The confirmation by the HR department (or the filing with the department that filed the
    committee, for self-evaluating units; NA-11)."""

    model_config = ConfigDict(extra="forbid")

    approving_authority: str = Field(min_length=1, max_length=200, examples=["山西省人力资源和社会保障厅"])
    document_number: str = Field(min_length=1, max_length=100, examples=["晋人社职字〔2024〕35号"])
    document_date: date = Field(
        description="Date of the confirmation document: the day the title is obtained; not after today.",
        examples=["2024-10-21"],
    )


class ReexaminationCreate(BaseModel):
    """An applicant's request for re-examination (复查) of their result, recorded for them (NA-12)."""

    model_config = ConfigDict(extra="forbid")

    declaration_id: str = Field(max_length=64, examples=["0190b5a2-0000-7000-8000-0000000000a1"])
    reason: str = Field(min_length=1, max_length=4000, examples=["对评审结果有异议，申请复查"])


class ReexaminationUpdate(BaseModel):
    """Handling (name the handler) or deciding (outcome, the new result when changed, the text)."""

    model_config = ConfigDict(extra="forbid")

    handler: str | None = Field(default=None, max_length=128, examples=["hr-handler-1"])
    outcome: Literal["upheld", "changed"] | None = Field(default=None, examples=["changed"])
    passed: bool | None = Field(default=None, description="The result after a changed re-examination.")
    outcome_text: str | None = Field(default=None, max_length=4000, examples=["经复查，改为通过"])


class PassRateRead(BaseModel):
    year: int
    committee_id: uuid.UUID
    series: str = Field(examples=["engineering"])
    level: str = Field(examples=["senior"])
    evaluated: int
    passed: int
    rate_percent: Decimal = Field(examples=["66.67"], description="passed / evaluated × 100, two decimals, half up.")


class PassRatePage(BaseModel):
    """MT-5: pass rates of confirmed results per committee, series, level and year."""

    items: list[PassRateRead]
    total: int
