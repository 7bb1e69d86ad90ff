"""Request and response bodies of the certificate feature (OpenAPI examples included)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from zhicheng_certificates.certificate.domain import Gender, TalentKind
from zhicheng_common.series import Rank
from zhicheng_common.validators import RegionCode, ResidentIdNumber


class HolderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, examples=["欧阳明华"])
    gender: Gender
    resident_id: ResidentIdNumber = Field(examples=["11010519491231002X"])


class RecognitionCreate(BaseModel):
    """A direct recognition by HR staff (直接认定): initial determination, qualification, talent or transfer."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "basis": "qualification_correspondence",
                    "holder": {"name": "李华", "gender": "female", "resident_id": "11010519491231002X"},
                    "qualification": "first_class_constructor",
                    "obtained_on": "2026-10-15",
                    "approving_authority": "山西省人力资源和社会保障厅",
                    "document_number": "晋人社职字〔2026〕31号",
                }
            ]
        },
    )

    basis: Literal["initial_determination", "qualification_correspondence", "talent", "transfer"]
    holder: HolderIn
    series: str | None = Field(default=None, description="series code (not for qualification_correspondence)")
    specialty: str | None = Field(default=None, description="specialty code (not for qualification_correspondence)")
    rank: Rank | None = Field(default=None, description="the rank recognized (not for qualification_correspondence)")
    qualification: str | None = Field(default=None, description="EL-16/NA-18: the qualification's code in the table")
    talent_kind: TalentKind | None = Field(default=None, description="EL-14: high_level_talent or enterprise_postdoc")
    supersedes: str | None = Field(default=None, description="EL-8: the number of the certificate transferred from")
    new_post_since: date | None = Field(default=None, description="EL-8: first day in the new post")
    obtained_on: date
    approving_authority: str = Field(min_length=1, max_length=128)
    document_number: str = Field(min_length=1, max_length=64)
    committee_id: uuid.UUID | None = None
    committee_name: str | None = Field(default=None, max_length=128)
    region: RegionCode | None = Field(default=None, description="GB/T 2260 code; default the caller's region")


class StatusChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    action: str
    from_status: str | None
    to_status: str
    reason_category: str | None
    record_id: uuid.UUID | None


class VerifierLookupRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    verifier_id: str
    verifier_name: str
    method: str


class CertificateRead(BaseModel):
    """A certificate as its holder and HR staff see it (resident ID masked)."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "number": "14-2026-0000001-6",
                    "licence_id": "1.2.156.3005.2.ZCZS001.11140000012345678E.1420260000001.001.L",
                    "holder_name": "李华",
                    "resident_id_masked": "110105********002X",
                    "series": "engineering",
                    "specialty": "civil_construction",
                    "level": "intermediate",
                    "title_name": "工程师",
                    "obtained_on": "2026-10-15",
                    "issued_at": "2026-12-03T02:00:00Z",
                    "basis": "qualification_correspondence",
                    "status": "valid",
                    "region": "140000",
                    "status_list_index": 0,
                    "token": "1121…",
                    "verification_url": "https://zc.example.cn/verify?t=1121…",
                }
            ]
        },
    )

    number: str
    licence_id: str
    holder_name: str
    resident_id_masked: str
    series: str
    specialty: str
    level: str
    title_name: str
    committee_id: uuid.UUID | None
    committee_name: str
    obtained_on: date
    issued_at: datetime
    basis: str
    status: str
    status_reason_category: str | None
    superseded_by: str | None
    supersedes: str | None
    region: str
    status_list_index: int
    sm2_key_id: str
    ed25519_key_id: str
    token: str
    verification_url: str
    history: list[StatusChangeRead] = []


class MyCertificate(CertificateRead):
    """One of the caller's own certificates, with the identified verifiers that looked it up (NA-15)."""

    lookups: list[VerifierLookupRead] = []


class SignedDocument(BaseModel):
    """The signed certificate document (VC 2.0 with its eddsa-jcs-2022 proof, and the SM2 signature beside it)."""

    model_config = ConfigDict(extra="allow")

    credential: dict[str, Any]
    sm2Signature: dict[str, Any]  # noqa: N815 - the document's own member name
