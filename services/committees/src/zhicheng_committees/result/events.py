"""Events about a meeting's results (through the outbox); fields per docs/event-contracts.md."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field

from zhicheng_common.events.envelope import event_type


@event_type("committees.results.publicized")
class ResultsPublicized(BaseModel):
    """A meeting's results were publicized (评审结果公示, NA-11, RV-6) for the pack's working days."""

    meeting_id: uuid.UUID
    committee_id: uuid.UUID
    region: str
    year: int
    opens_on: date
    open_through: date = Field(description="The last day of the publicity (NA-14): objections until its end.")
    passed_count: int
    evaluated_count: int


class PassedApplicant(BaseModel):
    """What a certificate needs of one passed applicant; the name sealed (PiiCipher, ZC_PII_KEY)."""

    declaration_id: uuid.UUID
    applicant_key: str
    applicant_name_sealed: str | None
    series: str
    specialty: str | None
    level: str
    title_name: str = Field(description="The title of the series catalog for the rank (e.g. 正高级工程师).")


@event_type("committees.results.confirmed")
class ResultsConfirmed(BaseModel):
    """A meeting's results were confirmed by the HR department, or filed with the department that
    filed the committee (NA-11); or a re-examination changed one applicant's result (NA-12).

    Each passed applicant appears exactly once; the same confirmation repeated sends nothing new.
    """

    confirmation_id: uuid.UUID
    meeting_id: uuid.UUID
    committee_id: uuid.UUID
    committee_name: str
    plan_id: uuid.UUID
    year: int
    region: str
    policy_pack: str
    approving_authority: str
    document_number: str
    confirmed_on: date
    title_obtained_on: date
    reexamination_id: uuid.UUID | None = Field(description="The NA-12 re-examination that changed this result.")
    passed: list[PassedApplicant]
    not_passed: list[uuid.UUID] = Field(description="Declarations not passed (after a re-examination: lost).")
