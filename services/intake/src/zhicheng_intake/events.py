"""Events the intake service publishes (fields fixed by docs/event-contracts.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from zhicheng_common.events.envelope import event_type


@event_type("intake.declaration.submitted", version=3)
class DeclarationSubmitted(BaseModel):
    """A declaration passed the eligibility rules and awaits qualification review.

    v2: the applicant's name no longer travels in clear (issue 12); ``applicant_name_sealed`` is the
    name encrypted with the shared PII key, which review opens to show its clerks and the publicity
    notice. A v1 event (``applicant_name`` in clear) is still accepted by review.

    v3: ``education_sealed`` adds the applicant's highest education and the major studied, sealed
    like the name (DA-1: the gateway's read model exports them). Nothing else changed: every
    consumer accepts v2 (without it) and v3 alike.
    """

    declaration_id: str
    applicant_key: str
    applicant_name_sealed: str = Field(
        description="The applicant's name, AES-GCM sealed with the key derived from ZC_PII_KEY "
        "(zhicheng_common.pii.PiiCipher.encrypt); never the name in clear"
    )
    year: int
    series: str
    specialty: str
    level: str
    rank: str
    committee_id: str
    kind: str
    channel: str
    employer_name: str
    region: str
    # The account that declared (the applicant, or the unit acting for them): review lets it,
    # and only it, ask for re-examination (NA-12). Absent in events published before it was added.
    owner_subject: str = ""
    # Keyed hash of the employer's credit code: review lets a unit reviewer reach only its own
    # unit's declarations (issue 12) and passes it on, so that experts of the unit recuse (NA-9).
    # Absent in events published before it was added.
    unit_key: str = ""
    # The policy pack the declaration was judged by (its jurisdiction and year): review applies and
    # journals this same pack. Absent in events published before it was added (review then
    # resolves the pack from region and year the same way).
    policy_pack: str = ""
    # The holder's identity for the certificate (issue 16): the JSON {"name", "gender", "resident_id"}
    # sealed with the shared PII key; certificates opens it when results name the declaration.
    # Absent in events published before it was added.
    holder_sealed: str | None = Field(
        default=None,
        description='PiiCipher-sealed JSON {"name", "gender", "resident_id"} of the applicant (certificates reads it)',
    )
    # v3, DA-1 (issue 17): the applicant's highest education, the JSON {"level", "major"} sealed with
    # the shared PII key; the gateway's read model keeps it sealed and opens it for its DA-1 export.
    # Absent in v2 events.
    education_sealed: str | None = Field(
        default=None,
        description='v3: PiiCipher-sealed JSON {"level", "major"}: the highest education and the major studied '
        "(the gateway's DA-1 export reads it)",
    )


@event_type("intake.declaration.resubmitted")
class DeclarationResubmitted(BaseModel):
    """A returned declaration was corrected (only the listed fields) and resubmitted (RV-3)."""

    declaration_id: str
    corrected_fields: list[str]


@event_type("intake.declaration.withdrawn")
class DeclarationWithdrawn(BaseModel):
    """The applicant withdrew the declaration before review ended."""

    declaration_id: str


@event_type("intake.declaration.abandoned")
class DeclarationAbandoned(BaseModel):
    """A returned declaration was not corrected by its deadline (RV-3)."""

    declaration_id: str
