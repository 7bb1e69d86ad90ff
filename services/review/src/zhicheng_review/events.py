"""Events the review service publishes (through its outbox); fields per docs/event-contracts.md."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from zhicheng_common.events.envelope import event_type


class ReturnedItem(BaseModel):
    field: str
    message: str


@event_type("review.declaration.returned")
class DeclarationReturned(BaseModel):
    """Returned for correction (RV-3): every item at once and the last day to resubmit."""

    declaration_id: uuid.UUID
    items: list[ReturnedItem]
    deadline: date
    step: str
    deadline_provisional: bool = Field(
        default=False,
        description="The deadline counts through a year without an official holiday arrangement; "
        "review.declaration.deadline_changed follows when it is recomputed",
    )


@event_type("review.declaration.deadline_changed")
class DeclarationDeadlineChanged(BaseModel):
    """A declaration's stored deadline was recomputed after a year's holiday arrangement was loaded.

    Published when the due date moves or its provisional mark changes (docs/calendar.md).
    """

    declaration_id: uuid.UUID
    deadline_kind: Literal["correction", "step"] = Field(
        description="correction: the RV-3 resubmission deadline; step: the current review step's due day"
    )
    previous: date
    due: date
    provisional: bool
    moved: bool = Field(description="The due date changed (not only its provisional mark)")
    calendar_years: list[int]


@event_type("review.publicity.window_changed")
class PublicityWindowChanged(BaseModel):
    """A publicity's last day (RV-6) was recomputed after a year's holiday arrangement was loaded."""

    publicity_id: uuid.UUID
    previous_open_through: date
    open_through: date
    provisional: bool
    moved: bool
    review_ids: list[uuid.UUID]
    calendar_years: list[int]


@event_type("review.declaration.qualified")
class DeclarationQualified(BaseModel):
    """The committee office passed the last step: the declaration goes to the committee."""

    declaration_id: uuid.UUID
    committee_id: uuid.UUID | None
    applicant_key: str = Field(description="Keyed hash of the resident ID number (the person, without the number)")
    applicant_name: str
    year: int
    series: str
    specialty: str
    level: str
    rank: str
    kind: str = Field(description="Declaration kind: normal, exceptional (破格), transfer, ...")
    employer_name: str = Field(description="The applicant's unit (工作单位)")
    unit_key: str = Field(
        default="",
        description="Keyed hash of the unit's credit code (ZC_PII_KEY): experts of that unit recuse (NA-9)",
    )
    region: str


@event_type("review.declaration.rejected")
class DeclarationRejected(BaseModel):
    """A reviewer (or an upheld objection) rejected the declaration: it does not reach a committee."""

    declaration_id: uuid.UUID
    step: str
    reason: str
    rule_ids: list[str]


@event_type("review.declaration.disqualified")
class DeclarationDisqualified(BaseModel):
    """Falsification was found during review (IN-1)."""

    declaration_id: uuid.UUID
    reason: str
    rule_ids: list[str]


@event_type("review.integrity.requested")
class IntegrityRequested(BaseModel):
    """A request to integrity to record the falsification found during review (IN-1)."""

    declaration_id: uuid.UUID
    applicant_key: str
    facts: str
    rule_ids: list[str]


@event_type("review.reexamination.decided")
class ReexaminationDecided(BaseModel):
    """The outcome of an applicant's re-examination request or complaint (NA-12)."""

    reexamination_id: uuid.UUID
    declaration_id: uuid.UUID
    outcome: str
    outcome_text: str
