"""Events the review service publishes (through its outbox); fields per docs/event-contracts.md."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from zhicheng_common.events.envelope import event_type

#: A reviewer's words about a person travel sealed (issue 12): v2 of the events below carry them
#: as ``*_sealed``, opened only by a service holding ZC_PII_KEY (intake, to show the applicant).
SEALED_TEXT = "A reviewer's text, AES-GCM sealed with the key derived from ZC_PII_KEY (PiiCipher.encrypt)"


class ReturnedItem(BaseModel):
    field: str
    message_sealed: str = Field(description=SEALED_TEXT)


@event_type("review.declaration.returned", version=2)
class DeclarationReturned(BaseModel):
    """Returned for correction (RV-3): every item at once and the last day to resubmit.

    v2: each item's message is sealed (``message_sealed``), not in clear.
    """

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


@event_type("review.declaration.qualified", version=2)
class DeclarationQualified(BaseModel):
    """The committee office passed the last step: the declaration goes to the committee.

    v2: without ``applicant_name`` (issue 12: no name of a person in the stream); the person is
    ``applicant_key``, the name is read where the declaration is shown.
    """

    declaration_id: uuid.UUID
    committee_id: uuid.UUID | None
    applicant_key: str = Field(description="Keyed hash of the resident ID number (the person, without the number)")
    year: int
    series: str
    specialty: str
    level: str
    rank: str
    kind: str = Field(description="Declaration kind: normal, exceptional (破格), transfer, ...")
    employer_name: str = Field(description="The applicant's unit (工作单位)")
    unit_key: str = Field(
        default="", description="Keyed hash of the unit's credit code (ZC_PII_KEY): experts of that unit recuse (NA-9)"
    )
    region: str


@event_type("review.declaration.rejected", version=2)
class DeclarationRejected(BaseModel):
    """A reviewer (or an upheld objection) rejected the declaration: it does not reach a committee.

    v2: the reason is sealed (``reason_sealed``), not in clear.
    """

    declaration_id: uuid.UUID
    step: str
    reason_sealed: str = Field(description=SEALED_TEXT)
    rule_ids: list[str]


@event_type("review.declaration.disqualified", version=2)
class DeclarationDisqualified(BaseModel):
    """Falsification was found during review (IN-1).

    v2: the reason is sealed (``reason_sealed``), not in clear.
    """

    declaration_id: uuid.UUID
    reason_sealed: str = Field(description=SEALED_TEXT)
    rule_ids: list[str]


@event_type("review.integrity.requested", version=2)
class IntegrityRequested(BaseModel):
    """A request to integrity to record the falsification found during review (IN-1).

    v2: the reviewer's account of the facts (free text about a person) no longer travels in clear
    (issue 12); ``facts_sealed`` is it sealed with the shared PII key, which integrity opens.
    """

    declaration_id: uuid.UUID
    applicant_key: str
    facts_sealed: str = Field(description=SEALED_TEXT)
    rule_ids: list[str]


@event_type("review.reexamination.decided", version=2)
class ReexaminationDecided(BaseModel):
    """The outcome of an applicant's re-examination request or complaint (NA-12).

    v2: the outcome's text is sealed (``outcome_text_sealed``), not in clear.
    """

    reexamination_id: uuid.UUID
    declaration_id: uuid.UUID
    outcome: str
    outcome_text_sealed: str = Field(description=SEALED_TEXT)
