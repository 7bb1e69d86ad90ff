"""Request and response bodies of committees, filings, sanctions and the scope query."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from zhicheng_committees.committee.domain import (
    CommitteeKind,
    CommitteeStatus,
    FilingReason,
    FilingStatus,
    FormationBasis,
    OwnershipKind,
    SanctionKind,
)
from zhicheng_committees.schemas import Levels, PackId, SeriesCode, _unique
from zhicheng_common.validators import CreditCode, RegionCode


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
