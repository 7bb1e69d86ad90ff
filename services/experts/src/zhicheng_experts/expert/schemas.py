"""Request and response bodies of experts (``ExpertCreate``, ``ExpertRead``, …) and the import report."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from zhicheng_common.policy import RecusalRelationship
from zhicheng_common.problems import FieldError
from zhicheng_common.schemas import examples
from zhicheng_common.series import Rank
from zhicheng_common.validators import CreditCode, RegionCode, ResidentIdNumber

OwnershipKind = Literal["public_institution", "state_owned_enterprise", "private_enterprise", "social_organization"]
ExpertStatus = Literal["active", "suspended", "disqualified"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
UnitName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
KeyedHash = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+\-() ]{5,32}$")]
Email = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=128)]


class TermIn(BaseModel):
    """One term (聘期): first and last day, both included; at most the pack's years (EX-3)."""

    model_config = ConfigDict(extra="forbid")

    starts_on: date = Field(examples=["2025-01-01"])
    ends_on: date = Field(examples=["2027-12-31"])


class TermRead(TermIn):
    model_config = ConfigDict(from_attributes=True)


class RelationshipIn(BaseModel):
    """A relationship the expert declared (NA-9): the other person by resident ID number or keyed hash."""

    model_config = ConfigDict(extra="forbid")

    kind: RecusalRelationship = Field(examples=["spouse"])
    other_resident_id: ResidentIdNumber | None = Field(
        default=None, description="the other person's resident ID number (stored only as its keyed hash)"
    )
    other_key: KeyedHash | None = Field(default=None, description="the other person's keyed hash, if known as such")
    note: Annotated[str, StringConstraints(max_length=256)] | None = None

    @model_validator(mode="after")
    def _one_identity(self) -> RelationshipIn:
        if (self.other_resident_id is None) == (self.other_key is None):
            raise ValueError("须填写对方的身份证号码或其标识（二者择一）")
        return self


class RelationshipRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    other_key: str
    note: str | None


class ExpertCreate(BaseModel):
    """An expert entered by the committee office or HR staff (identifiers are stored encrypted)."""

    model_config = examples(
        {
            "name": "王建国",
            "resident_id": "140105197001010017",
            "unit_name": "山西省电力勘测设计院",
            "unit_credit_code": "12140000405201379W",
            "ownership_kind": "public_institution",
            "series": "engineering",
            "specialties": ["electrical"],
            "rank_held": "senior",
            "title_name": "正高级工程师",
            "region": "140100",
            "phone": "0351-1234567",
            "email": "wangjg@example.cn",
            "terms": [{"starts_on": "2025-01-01", "ends_on": "2027-12-31"}],
            "relationships": [{"kind": "spouse", "other_resident_id": "14010519720304002X"}],
        },
        extra="forbid",
    )

    name: Name
    resident_id: ResidentIdNumber
    unit_name: UnitName
    unit_credit_code: CreditCode
    ownership_kind: OwnershipKind
    series: Code
    specialties: list[Code] = Field(min_length=1, max_length=20)
    rank_held: Rank
    title_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = Field(
        default=None, description="the title held; by default the series' title of the rank"
    )
    region: RegionCode
    phone: Phone | None = None
    email: Email | None = None
    terms: list[TermIn] = Field(min_length=1, max_length=20)
    relationships: list[RelationshipIn] = Field(default_factory=list, max_length=100)


class ExpertUpdate(BaseModel):
    """Fields the office may change (identity stays; a wrong identity is a new record)."""

    model_config = ConfigDict(extra="forbid")

    # Left out: unchanged. Every expert has a unit and an ownership kind, so these two take no null
    # (the schema says so too); phone, email and title_name may be set to null (cleared).
    unit_name: UnitName | SkipJsonSchema[None] = None
    unit_credit_code: CreditCode | None = None
    ownership_kind: OwnershipKind | SkipJsonSchema[None] = None
    specialties: list[Code] | None = Field(default=None, min_length=1, max_length=20)
    rank_held: Rank | None = None
    title_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    phone: Phone | None = None
    email: Email | None = None
    terms: list[TermIn] | None = Field(default=None, min_length=1, max_length=20)
    relationships: list[RelationshipIn] | None = Field(default=None, max_length=100)

    @field_validator("unit_name", "ownership_kind", mode="before")
    @classmethod
    def _required_if_given(cls, value: object) -> object:
        if value is None:
            raise ValueError("不能为空：不修改请省略该字段")
        return value


class StatusChange(BaseModel):
    """Suspend, disqualify or reinstate an expert, with the reason (journaled)."""

    model_config = ConfigDict(extra="forbid")

    status: ExpertStatus = Field(examples=["suspended"])
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)] = Field(
        examples=["本人申请暂停参加评审一年"]
    )


class AccountLink(BaseModel):
    """The gateway account (role ``expert``) the expert signs in with: its token subject."""

    model_config = ConfigDict(extra="forbid")

    account_subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)] = Field(
        examples=["user-7f3c"]
    )


class ExpertRead(BaseModel):
    """An expert as staff see it: identifiers masked, relationships by keyed hash only."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    resident_id_masked: str
    resident_id_key: str
    unit_name: str
    unit_credit_code_masked: str
    unit_key: str
    ownership_kind: str
    series: str
    specialties: list[str]
    rank_held: str
    title_name: str
    region: str
    phone: str | None
    email: str | None
    status: str
    status_reason: str | None
    account_subject: str | None
    terms: list[TermRead]
    relationships: list[RelationshipRead]
    created_at: datetime
    updated_at: datetime


class ExpertPage(BaseModel):
    items: list[ExpertRead]
    total: int
    limit: int
    offset: int


class ImportRowError(BaseModel):
    """One problem of one row: ``row`` is the row number as a spreadsheet shows it (the header is row 1)."""

    row: int
    field: str | None
    code: str
    message: str

    def as_field_error(self) -> FieldError:
        """As an entry of a problem's ``errors[]``: ``field`` is ``rows.<row>.<field>``, ``facts.row`` the row."""
        where = f"rows.{self.row}" + (f".{self.field}" if self.field else "")
        return FieldError(
            field=where, code=self.code, message=f"第{self.row}行：{self.message}", facts={"row": self.row}
        )


class ImportReport(BaseModel):
    """What an import did: rows read, stored, and every problem by row (nothing stored from a bad
    file unless ``accept_valid_rows`` was asked)."""

    rows: int = Field(examples=[12])
    valid_rows: int = Field(examples=[11])
    stored: int = Field(examples=[0])
    errors: list[ImportRowError]
    expert_ids: list[uuid.UUID]
