"""Request and response bodies of the review API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from zhicheng_common.schemas import provisional_flag
from zhicheng_review.domain import CorrectionItem, Outcome

DECLARATION_EXAMPLE = "0193a5b2-7c1e-7d2a-9f00-1a2b3c4d5e6f"

SHORT_PROVISIONAL = "Counted through a year without an official holiday arrangement: recomputed once it is loaded"
PUBLICITY_PROVISIONAL = (
    "暂定：该年节假日安排尚未公布，公布后重新计算 (counted through a year without an official "
    "holiday arrangement; recomputed once it is loaded)"
)

# A publicity's days, as the clerk's read and the public notice both show them.
OpenThrough = Annotated[
    date,
    Field(
        description="RV-6, NA-14: the last day of the publicity (the N-th working day after opened_on, "
        "which is not counted); objections are accepted through the end of this day.",
        examples=["2024-10-09"],
    ),
]
ClosesOn = Annotated[
    date,
    Field(description="The earliest day the publicity closes: the day after open_through.", examples=["2024-10-10"]),
]


class ReviewRead(BaseModel):
    """Where a declaration stands in its chain."""

    id: uuid.UUID
    declaration_id: uuid.UUID = Field(examples=[DECLARATION_EXAMPLE])
    applicant_name: str = Field(examples=["张*"])
    series: str = Field(examples=["engineering"])
    specialty: str = Field(examples=["electrical"], description="The catalog code (reference series).")
    level: str = Field(examples=["intermediate"])
    employer_name: str = Field(examples=["太原市某某电力有限公司"])
    region: str = Field(examples=["140105"])
    channel: str = Field(examples=["employer"])
    chain_id: str = Field(examples=["unit"])
    status: str = Field(examples=["in_review"])
    step_key: str = Field(examples=["unit_review"])
    step_role: str = Field(examples=["unit_reviewer"])
    step_since: date
    step_due: date | None
    step_due_provisional: bool = provisional_flag(False, SHORT_PROVISIONAL)
    working_days_left: int | None = Field(examples=[3])
    claimed_by: str | None
    publicity_id: uuid.UUID | None
    correction_deadline: date | None = Field(examples=["2027-01-05"])
    correction_deadline_provisional: bool = provisional_flag(True)


class ReviewPage(BaseModel):
    items: list[ReviewRead]
    total: int


class ClaimCreate(BaseModel):
    """The step a claim is for: refused (409 ``step_moved``) once the declaration has left it."""

    step_key: str = Field(min_length=1, max_length=64, examples=["unit_review"])


class ClaimRead(BaseModel):
    review_id: uuid.UUID
    step_key: str = Field(examples=["unit_review"], description="The step the claim holds.")
    claimed_by: str | None
    claimed_at: datetime | None


class DecisionCreate(BaseModel):
    """A reviewer's decision at the current step; the signer is the caller."""

    step_key: str = Field(
        min_length=1,
        max_length=64,
        examples=["unit_review"],
        description=(
            "The step this decision is for. Refused (409 ``step_moved``) when the declaration is no "
            "longer at that step, so a repeated request never decides the next step."
        ),
    )
    outcome: Outcome = Field(examples=["pass"])
    opinion: str = Field(min_length=1, max_length=4000, examples=["材料真实完整，符合申报条件，同意推荐。"])
    signer_unit: str = Field(min_length=1, max_length=256, examples=["太原市某某电力有限公司人事部"])
    items: list[CorrectionItem] = Field(
        default_factory=list,
        examples=[[{"field": "education.certificate", "message": "学历证书扫描件不清晰，请重新上传"}]],
        description="RV-3: for a return, every item to correct at once.",
    )
    amendments: dict[str, Any] = Field(
        default_factory=dict,
        examples=[{}],
        description="RV-4: reviewers never amend a declaration; any amendment is refused.",
    )
    facts: str | None = Field(
        default=None, max_length=4000, examples=["学历证书经学信网核验不存在"], description="IN-1: for disqualify."
    )


class DecisionRead(BaseModel):
    id: uuid.UUID
    review_id: uuid.UUID
    declaration_id: uuid.UUID
    step_key: str = Field(examples=["unit_review"])
    outcome: str = Field(examples=["pass"])
    opinion: str
    items: list[CorrectionItem]
    signer_subject: str
    signer_role: str = Field(examples=["unit_reviewer"])
    signer_unit: str
    decided_at: datetime
    key_id: str
    signature: str
    correction_deadline: date | None = Field(default=None, examples=["2027-01-05"])
    correction_deadline_provisional: bool = provisional_flag(True, SHORT_PROVISIONAL)


class DecisionPage(BaseModel):
    items: list[DecisionRead]


class SignatureCheck(BaseModel):
    decision_id: uuid.UUID
    valid: bool = Field(examples=[True])
    key_id: str
    algorithm: Literal["Ed25519"] = "Ed25519"


class PublicityCreate(BaseModel):
    """Open a publicity (RV-6) for a batch of declarations waiting at one publicity step."""

    review_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000, examples=[[DECLARATION_EXAMPLE]])
    title: str = Field(min_length=1, max_length=256, examples=["2024年度职称申报人员单位内公示"])


class PublicityRead(BaseModel):
    id: uuid.UUID
    step_key: str
    region: str
    title: str
    token: str = Field(description="The public link token: objections are filed with it.")
    opened_on: date
    open_through: OpenThrough
    closes_on: ClosesOn
    open_through_provisional: bool = provisional_flag(False, PUBLICITY_PROVISIONAL)
    status: str = Field(examples=["open"])
    review_ids: list[uuid.UUID]
    open_objections: int


class PublicNoticeEntry(BaseModel):
    review_id: uuid.UUID
    applicant_name: str = Field(examples=["张三"])
    employer_name: str
    series: str
    specialty: str
    level: str


class PublicNotice(BaseModel):
    """What the public sees of a publicity (no identifiers)."""

    title: str
    opened_on: date
    open_through: OpenThrough
    closes_on: ClosesOn
    open_through_provisional: bool = provisional_flag(False, PUBLICITY_PROVISIONAL)
    status: str
    entries: list[PublicNoticeEntry]


class ObjectionCreate(BaseModel):
    """An objection from anyone holding the public link; contact details are required."""

    review_id: uuid.UUID = Field(examples=[DECLARATION_EXAMPLE])
    content: str = Field(min_length=1, max_length=4000, examples=["申报人论文存在抄袭"])
    contact_name: str = Field(min_length=1, max_length=64, examples=["李四"])
    contact_phone: str = Field(pattern=r"^[0-9+\-() ]{5,32}$", examples=["13800000000"])


class ObjectionReceipt(BaseModel):
    id: uuid.UUID
    filed_at: datetime
    status: str


class ObjectionRead(BaseModel):
    id: uuid.UUID
    publicity_id: uuid.UUID
    review_id: uuid.UUID
    content: str
    contact_name: str
    contact_phone: str
    filed_at: datetime
    status: str
    resolution: str | None
    resolved_by: str | None
    resolved_at: datetime | None


class ObjectionUpdate(BaseModel):
    """Resolve an objection (RV-6): upheld → the declaration is returned or rejected; or dismissed."""

    resolution: Literal["upheld", "dismissed"] = Field(examples=["dismissed"])
    reasons: str = Field(min_length=1, max_length=4000, examples=["经核查，论文为申报人独立完成，异议不成立"])
    action: Literal["return", "reject"] | None = Field(default=None, examples=[None])
    items: list[CorrectionItem] = Field(default_factory=list)
    signer_unit: str = Field(min_length=1, max_length=256, examples=["太原市某某电力有限公司人事部"])


class ReexaminationCreate(BaseModel):
    """An applicant asks for a re-examination of a decision, or complains (NA-12)."""

    review_id: uuid.UUID = Field(examples=[DECLARATION_EXAMPLE])
    decision_id: uuid.UUID | None = Field(default=None, examples=[None])
    reason: str = Field(min_length=1, max_length=4000, examples=["本人论文已公开发表，退回理由不成立，申请复查"])


class ReexaminationUpdate(BaseModel):
    """Assign (``assignee``) or decide (``outcome`` and ``outcome_text``) a re-examination."""

    assignee: str | None = Field(default=None, examples=["u-supervisor-1"])
    outcome: Literal["upheld", "overturned"] | None = Field(default=None, examples=[None])
    outcome_text: str | None = Field(default=None, max_length=4000, examples=[None])


class ReexaminationRead(BaseModel):
    id: uuid.UUID
    review_id: uuid.UUID
    decision_id: uuid.UUID | None
    requested_by: str
    reason: str
    requested_at: datetime
    status: str = Field(examples=["requested"])
    assignee: str | None
    outcome: str | None
    outcome_text: str | None
    decided_at: datetime | None


class StepStatistics(BaseModel):
    step_key: str = Field(examples=["unit_review"])
    waiting: int
    overdue: int
    completed: int
    median_working_days: float | None
    p90_working_days: float | None


class StatisticsRead(BaseModel):
    steps: list[StepStatistics]
