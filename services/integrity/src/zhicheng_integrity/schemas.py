"""Request and response bodies of the integrity service. Identifiers go out masked, never in clear."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from zhicheng_common.schemas import examples
from zhicheng_common.validators import RegionCode
from zhicheng_integrity.domain import (
    AppealOutcome,
    Effects,
    RecordKind,
    RecordStatus,
    SubjectKind,
    UnitSanction,
    normalize_subject_id,
    subject_id_problem,
)

EXAMPLE_ID_NUMBER = "11010519491231002X"
EXAMPLE_RECORD_ID = "0193a5b2-7c1e-7d3a-9f4e-2b6c8d0e1f23"


def _check_subject_id(value: str, info: ValidationInfo) -> str:
    subject_kind = info.data.get("subject_kind")
    if subject_kind is None:  # the kind itself is invalid and already reported
        return value
    problem = subject_id_problem(subject_kind, value)
    if problem is not None:
        raise ValueError(problem)
    return normalize_subject_id(subject_kind, value)


# The effects of the example record (the create and read examples show the same record).
EXAMPLE_EFFECTS = {
    "bar_declaring": True,
    "bar_expert_draws": False,
    "revoke_certificate_number": None,
    "unit_sanction": None,
}


class Evidence(BaseModel):
    """Metadata of one piece of evidence (the file itself stays in the document store)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255, examples=["论文比对报告.pdf"])
    media_type: str | None = Field(default=None, max_length=127, examples=["application/pdf"])
    size_bytes: int | None = Field(default=None, ge=0, examples=[482133])
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$", description="Hex SHA-256 of the file.")
    uri: str | None = Field(default=None, max_length=1024, examples=["docstore://integrity/2026/0012.pdf"])


class EffectsIn(BaseModel):
    """What the record bars or causes while it is in force."""

    model_config = ConfigDict(extra="forbid")

    bar_declaring: bool = Field(default=False, description="EL-20/NA-13: intake refuses the subject's declarations.")
    bar_expert_draws: bool = Field(
        default=False, description="NA-13: the person is excluded from expert draws and loses expert status."
    )
    revoke_certificate_number: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="IN-1/NA-13: certificate obtained by fraud, to be revoked.",
        examples=["SX2024GJ000123"],
    )
    unit_sanction: UnitSanction | None = Field(
        default=None, description="NA-13/IN-3/CM-10: the step of sanction against a unit or committee."
    )

    def to_domain(self) -> Effects:
        return Effects(
            bar_declaring=self.bar_declaring,
            bar_expert_draws=self.bar_expert_draws,
            revoke_certificate_number=self.revoke_certificate_number,
            unit_sanction=self.unit_sanction,
        )


class RecordCreate(BaseModel):
    """A decided record entered by HR staff: whom it is about, what happened, who decided, its effects."""

    model_config = examples(
        {
            "subject_kind": "person",
            "subject_id_number": EXAMPLE_ID_NUMBER,
            "subject_name": "张三",
            "kind": "falsified_materials",
            "facts": "2026年申报高级工程师时提交伪造的论文录用通知",
            "evidence": [{"name": "核查报告.pdf", "media_type": "application/pdf"}],
            "deciding_authority": "山西省人力资源和社会保障厅",
            "decision_date": "2026-11-20",
            "effects": EXAMPLE_EFFECTS,
        },
        extra="forbid",
    )

    subject_kind: SubjectKind = Field(description="`person` (resident ID number) or `unit` (credit code).")
    subject_id_number: str = Field(
        min_length=1,
        max_length=32,
        description="Resident ID number (GB 11643) of a person or unified social credit code (GB 32100) of a unit.",
        examples=[EXAMPLE_ID_NUMBER],
    )
    subject_name: str = Field(min_length=1, max_length=128, examples=["张三"])
    kind: RecordKind
    facts: str = Field(min_length=1, max_length=10_000)
    evidence: list[Evidence] = Field(default_factory=list, max_length=50)
    deciding_authority: str = Field(min_length=1, max_length=128, examples=["山西省人力资源和社会保障厅"])
    decision_date: date = Field(examples=["2026-11-20"])
    effects: EffectsIn = Field(default_factory=EffectsIn)
    valid_from: date | None = Field(default=None, description="Default: the decision date.")
    valid_until: date | None = Field(
        default=None, description="Last day in force (inclusive). Default: from the policy pack (3 years, IN-2/NA-13)."
    )
    region: RegionCode | None = Field(
        default=None, description="GB/T 2260 jurisdiction of the record; default the caller's region."
    )
    committee_id: uuid.UUID | None = Field(default=None, description="The committee a CM-10 sanction is about.")

    _subject_id = field_validator("subject_id_number")(_check_subject_id)

    @field_validator("valid_until")
    @classmethod
    def _end_not_before_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("valid_from") or info.data.get("decision_date")
        if value is not None and start is not None and value < start:
            raise ValueError(f"有效期截止日 {value} 早于起始日 {start}")
        return value


class RecordDecision(BaseModel):
    """The decision on a record proposed by review: who decided, when, and its effects."""

    model_config = ConfigDict(extra="forbid")

    deciding_authority: str = Field(min_length=1, max_length=128, examples=["太原市人力资源和社会保障局"])
    decision_date: date = Field(examples=["2026-11-20"])
    effects: EffectsIn = Field(default_factory=EffectsIn)
    kind: RecordKind | None = Field(default=None, description="Default: the kind review proposed.")
    evidence: list[Evidence] = Field(default_factory=list, max_length=50)
    subject_id_number: str | None = Field(
        default=None,
        max_length=32,
        description="Optional: the identifier in full, checked against the proposed record's subject.",
    )
    subject_name: str | None = Field(default=None, max_length=128)
    valid_until: date | None = None

    @field_validator("valid_until")
    @classmethod
    def _end_not_before_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("decision_date")
        if value is not None and start is not None and value < start:
            raise ValueError(f"有效期截止日 {value} 早于起始日 {start}")
        return value


class SubjectQuery(BaseModel):
    """A subject named by its identifier (in the body, so it never lands in URLs or access logs)."""

    model_config = ConfigDict(extra="forbid")

    subject_kind: SubjectKind = "person"
    subject_id_number: str = Field(min_length=1, max_length=32, examples=[EXAMPLE_ID_NUMBER])

    _subject_id = field_validator("subject_id_number")(_check_subject_id)


class AppealCreate(BaseModel):
    """An appeal against a record; the subject proves who they are with their identifier."""

    model_config = ConfigDict(extra="forbid")

    grounds: str = Field(min_length=1, max_length=10_000, examples=["论文录用通知真实，附期刊编辑部证明"])
    evidence: list[Evidence] = Field(default_factory=list, max_length=50)
    subject_id_number: str | None = Field(
        default=None,
        max_length=32,
        description=(
            "Optional: the subject is the caller's bound identity (token claim `zc_person_key` or "
            "`zc_unit_key`); a number given here must match the record's subject too."
        ),
        examples=[EXAMPLE_ID_NUMBER],
    )


class RecordChanges(BaseModel):
    """What an appeal changes; the record is superseded by a new one carrying these values."""

    model_config = ConfigDict(extra="forbid")

    kind: RecordKind | None = None
    facts: str | None = Field(default=None, min_length=1, max_length=10_000)
    effects: EffectsIn | None = None
    valid_until: date | None = None


class AppealDecision(BaseModel):
    """The decision on an appeal: upheld, changed (with the changes) or withdrawn."""

    model_config = examples(
        {"outcome": "withdrawn", "reason": "经复核，论文录用通知真实，撤销该记录"},
        {"outcome": "changed", "reason": "情节较轻，不再限制申报", "changes": {"effects": {"bar_declaring": False}}},
        extra="forbid",
    )

    outcome: AppealOutcome
    reason: str = Field(min_length=1, max_length=10_000)
    changes: RecordChanges | None = Field(default=None, validate_default=True)

    @field_validator("changes")
    @classmethod
    def _changes_with_change(cls, value: RecordChanges | None, info: ValidationInfo) -> RecordChanges | None:
        outcome = info.data.get("outcome")
        if outcome == "changed" and (value is None or not value.model_fields_set):
            raise ValueError("结论为 changed 时须说明变更内容")
        if outcome in ("upheld", "withdrawn") and value is not None:
            raise ValueError(f"结论为 {outcome} 时不能附带变更内容")
        return value


class EffectsRead(BaseModel):
    bar_declaring: bool
    bar_expert_draws: bool
    revoke_certificate_number: str | None
    unit_sanction: str | None


class AppealRead(BaseModel):
    """An appeal and, once decided, its outcome."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    record_id: uuid.UUID
    status: Literal["open", "upheld", "changed", "withdrawn", "lapsed"]
    grounds: str
    evidence: list[dict[str, Any]]
    filed_as: Literal["subject", "staff"]
    filed_at: datetime
    decided_at: datetime | None
    decision_reason: str | None
    replacement_record_id: uuid.UUID | None


class RecordChangeRead(BaseModel):
    """One step of a record's history."""

    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str
    reason: str | None


class RecordRead(BaseModel):
    """A record as staff and its subject see it: the identifier masked."""

    model_config = examples(
        {
            "id": EXAMPLE_RECORD_ID,
            "subject_kind": "person",
            "subject_id_masked": "110105********002X",
            "subject_name": "张三",
            "kind": "falsified_materials",
            "facts": "2026年申报高级工程师时提交伪造的论文录用通知",
            "evidence": [],
            "deciding_authority": "山西省人力资源和社会保障厅",
            "decision_date": "2026-11-20",
            "effects": EXAMPLE_EFFECTS,
            "committee_id": None,
            "valid_from": "2026-11-20",
            "valid_until": "2029-11-20",
            "region": "140000",
            "status": "decided",
            "in_force": True,
            "source": "manual",
            "declaration_id": None,
            "rule_ids": ["EL-20", "IN-1", "IN-2", "NA-13"],
            "policy_pack": "shanxi-2024",
            "supersedes_id": None,
            "superseded_by_id": None,
            "created_at": "2026-11-22T08:30:00+08:00",
            "updated_at": "2026-11-22T08:30:00+08:00",
        },
        from_attributes=True,
    )

    id: uuid.UUID
    subject_kind: SubjectKind
    subject_id_masked: str | None
    subject_name: str | None
    kind: str
    facts: str
    evidence: list[dict[str, Any]]
    deciding_authority: str | None
    decision_date: date | None
    effects: EffectsRead
    committee_id: uuid.UUID | None
    valid_from: date | None
    valid_until: date | None
    region: str
    status: RecordStatus
    in_force: bool = Field(description="Whether the record's effects are in force (decided or under appeal).")
    source: Literal["manual", "event"]
    declaration_id: uuid.UUID | None
    rule_ids: list[str]
    policy_pack: str
    supersedes_id: uuid.UUID | None
    superseded_by_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class RecordDetail(RecordRead):
    """A record with its appeals and its whole history."""

    appeals: list[AppealRead]
    history: list[RecordChangeRead]


class RecordPage(BaseModel):
    """One page of records within the caller's jurisdiction."""

    items: list[RecordRead]
    total: int = Field(examples=[1])
    limit: int = Field(examples=[50])
    offset: int = Field(examples=[0])
