"""Request and response bodies of the intake service (``XCreate / XUpdate / XRead / XPage``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zhicheng_common.policy import AssessmentGrade, SkillLevel, TechnicalSchoolClass
from zhicheng_common.problems import FieldError
from zhicheng_common.reference import specialty_code
from zhicheng_common.schemas import examples, provisional_flag
from zhicheng_common.series import Rank
from zhicheng_common.validators import CreditCode, RegionCode, ResidentIdNumber
from zhicheng_intake.examples import DECLARATION_EXAMPLE

Gender = Literal["male", "female"]
EducationLevel = Literal["secondary_vocational", "college", "bachelor", "master", "doctorate"]
# Ownership kinds of the employer; the last four are EL-7's applicant kinds of their own.
Ownership = Literal[
    "party_government_organ",
    "public_institution",
    "state_owned_enterprise",
    "private_enterprise",
    "social_organization",
    "non_public_organization",
    "individual_business",
    "flexible_employment",
    "freelancer",
]
EmploymentStatus = Literal[
    "in_service",  # 在职在岗
    "dispatched",  # 劳务派遣
    "on_leave_business",  # 离岗创业 / 在民营企业兼职 (EL-17)
    "posted_elsewhere",  # 派驻外地 (EL-18)
    "retired",  # 退休 (NA-3)
    "not_employed",
]
SanctionKind = Literal["warning", "demerit", "major_demerit", "demotion", "dismissal"]
DeclarationKind = Literal[
    "normal",  # 正常晋升
    "exceptional",  # 破格
    "transfer",  # 转评
    "initial_determination",  # 初定
    "skilled_worker",  # 技能人才贯通 (EL-12)
    "qualification_mapping",  # 职业资格直接认定 (EL-16, NA-18)
    "high_level_talent",  # 高层次人才直接认定 (EL-14)
    "postdoc",  # 博士后直接认定 (EL-14)
]
ChannelKind = Literal[
    "employer",  # 用人单位 (CH-1)
    "labor_dispatch",  # 劳务派遣单位 (CH-1)
    "competent_department",  # 主管部门 (CH-1)
    "talent_agency",  # 公共就业和人才服务机构 (CH-1)
    "hr_department",  # 人社部门 (CH-1)
    "industry_association",  # 行业协会、学会 (CH-2)
    "hr_service_point",  # 人力资源服务机构、开发区服务点 (CH-3)
]
AchievementKind = Literal[
    "paper", "patent", "standard", "project", "award", "technical_breakthrough", "process", "technology_transfer"
]
AchievementLevel = Literal["national", "provincial", "city", "unit"]
DeclarationStatus = Literal[
    "draft", "submitted", "returned", "resubmitted", "withdrawn", "abandoned", "qualified", "disqualified", "rejected"
]

Name = Annotated[str, Field(min_length=1, max_length=128)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Education(_In):
    level: EducationLevel = Field(examples=["bachelor"])
    major: Name = Field(examples=["土木工程"])
    graduated_on: date = Field(examples=["2012-07-01"])
    full_time: bool = True
    school_class: TechnicalSchoolClass | None = Field(default=None, description="EL-12: 技工院校班级")


class Employer(_In):
    name: Name = Field(examples=["太原市建筑设计研究院"])
    credit_code: CreditCode = Field(examples=["91350100M000100Y43"])
    ownership: Ownership = Field(examples=["public_institution"])
    region: RegionCode = Field(examples=["140100"])


class Sanction(_In):
    kind: SanctionKind
    until: date


class ApplicantIn(_In):
    name: Name = Field(examples=["张三"])
    gender: Gender
    id_number: ResidentIdNumber = Field(examples=["11010519491231002X"])
    birth_date: date
    education: Education
    employer: Employer
    post: Name = Field(examples=["结构设计"])
    practiced_specialty: Name = Field(examples=["civil_construction"])
    employment_status: EmploymentStatus = "in_service"
    sanction: Sanction | None = None


class Target(_In):
    year: Annotated[int, Field(ge=2000, le=2100)] = Field(examples=[2024])
    series: Name = Field(examples=["engineering"])
    specialty: Name = Field(examples=["civil_construction"])
    rank: Rank = Field(examples=["associate_senior"])
    committee_id: uuid.UUID


class CurrentTitle(_In):
    series: Name = Field(examples=["engineering"])
    rank: Rank = Field(examples=["intermediate"])
    title_name: Name | None = Field(
        default=None, examples=["工程师"], description="as on the certificate; historical names are recognised"
    )
    obtained_on: date = Field(examples=["2018-12-01"])
    certificate_number: Name = Field(examples=["1401002018000123"])


class WorkPeriod(_In):
    employer_name: Name
    post: Name
    start: date
    end: date | None = None


class Assessment(_In):
    year: Annotated[int, Field(ge=1950, le=2100)]
    grade: AssessmentGrade


class SkillCertificate(_In):
    level: SkillLevel
    specialty: Name
    obtained_on: date
    number: Name


class Qualification(_In):
    name: Name = Field(examples=["一级建造师"])
    obtained_on: date
    number: Name


class Achievement(_In):
    kind: AchievementKind
    title: Name
    date: date
    level: AchievementLevel | None = None
    major: bool = Field(default=False, description="NA-4: a major breakthrough or contribution")


class EducationHours(_In):
    year: Annotated[int, Field(ge=1950, le=2100)]
    subject_kind: Literal["public", "professional"]
    hours: Annotated[int, Field(ge=0, le=2000)]
    provider: Name


class Channel(_In):
    kind: ChannelKind = Field(examples=["employer"])
    name: Name = Field(examples=["太原市建筑设计研究院"])


class DeclarationCreate(_In):
    """Everything an applicant declares (a draft holds all of it; submit checks it)."""

    model_config = examples(DECLARATION_EXAMPLE, extra="forbid")

    applicant: ApplicantIn
    target: Target
    kind: DeclarationKind = "normal"
    current_title: CurrentTitle | None = None
    work_history: list[WorkPeriod] = Field(default_factory=list, max_length=50)
    post_changed_on: date | None = Field(default=None, description="EL-8: last change of unit or post")
    assessments: list[Assessment] = Field(default_factory=list, max_length=60)
    skill_certificates: list[SkillCertificate] = Field(default_factory=list, max_length=20)
    qualifications: list[Qualification] = Field(default_factory=list, max_length=20)
    achievements: list[Achievement] = Field(default_factory=list, max_length=200)
    continuing_education: list[EducationHours] = Field(default_factory=list, max_length=200)
    channel: Channel
    from_party_government_organ: bool = Field(default=False, description="EL-15")
    first_application: bool = True
    leave_started_on: date | None = Field(default=None, description="EL-17: 离岗创业或兼职开始日期")
    posted_since: date | None = Field(default=None, description="EL-18: 派驻开始日期")
    declaring_where_posted: bool = False
    written_commitment: bool = Field(default=True, description="NA-5: 告知承诺")
    relaxed_category: Literal["overseas_high_level", "urgently_needed", "grassroots_long_term"] | None = Field(
        default=None,
        description="NA-4: 海外高层次人才、急需紧缺人才或长期在艰苦边远地区和基层一线工作的人员（放宽任职年限）",
    )
    grassroots_years: Annotated[int, Field(ge=0, le=60)] | None = Field(
        default=None, description="NA-4: years in hard, remote or grassroots posts (grassroots_long_term)"
    )

    @model_validator(mode="after")
    def _unique_assessment_years(self) -> DeclarationCreate:
        years = [a.year for a in self.assessments]
        if len(years) != len(set(years)):
            raise ValueError("每年只能有一个年度考核结果 (one assessment per year)")
        return self

    @model_validator(mode="after")
    def _specialty_codes(self) -> DeclarationCreate:
        # One form of specialty (issue 13): the catalog's code, as committees file their scope in.
        # A Chinese name of the catalog (what drafts held before) becomes its code, on input and
        # when a stored draft is read again, so EL-1, NA-17 and CM-4 compare codes with codes.
        series = self.target.series
        self.target.specialty = specialty_code(series, self.target.specialty)
        self.applicant.practiced_specialty = specialty_code(series, self.applicant.practiced_specialty)
        for certificate in self.skill_certificates:
            certificate.specialty = specialty_code(series, certificate.specialty)
        return self


class DeclarationUpdate(DeclarationCreate):
    """A draft replaced as a whole; a returned declaration may change only the listed fields."""


class CorrectionItem(BaseModel):
    field: str
    message: str


class StatusChange(BaseModel):
    status: DeclarationStatus
    at: datetime
    actor: str
    reason: str | None = None


class AttachmentRead(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    media_type: str
    size: int
    sha256: str
    created_at: datetime


class DeclarationRead(BaseModel):
    id: uuid.UUID
    status: DeclarationStatus
    applicant_name: str
    applicant_id_number: str = Field(description="masked unless the caller's role needs it")
    year: int
    series: str
    specialty: str
    level: str
    rank: str
    committee_id: uuid.UUID
    kind: str
    channel: str
    region: str
    policy_pack: str
    correction_items: list[CorrectionItem] = Field(default_factory=list)
    correction_deadline: date | None = Field(default=None, examples=["2027-01-05"])
    correction_deadline_provisional: bool = provisional_flag(True)
    content: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None = None


class DeclarationSummary(BaseModel):
    id: uuid.UUID
    status: DeclarationStatus
    applicant_name: str
    year: int
    series: str
    level: str
    committee_id: uuid.UUID
    region: str
    employer_name: str


class DeclarationPage(BaseModel):
    items: list[DeclarationSummary]
    total: int
    offset: int
    limit: int


class StatusHistory(BaseModel):
    items: list[StatusChange]


class EligibilityReport(BaseModel):
    """The eligibility engine's verdict on a declaration as it stands (nothing changes)."""

    eligible: bool
    policy_pack: str
    failures: list[FieldError]


class WithdrawIn(_In):
    reason: Name = Field(examples=["个人原因"])


class CommitteeWindowRead(BaseModel):
    committee_id: uuid.UUID
    name: str
    series: str
    specialties: list[str]
    levels: list[str]
    scope_regions: list[str]
    scope_ownership_kinds: list[str]
    policy_pack: str
    valid_from: date
    valid_until: date
    status: str
    windows: list[WindowRead]


class WindowRead(BaseModel):
    plan_id: uuid.UUID
    year: int
    series: str
    levels: list[str]
    declaration_opens: date
    declaration_closes: date
    policy_pack: str


class WindowsPage(BaseModel):
    items: list[CommitteeWindowRead]


class Da1Record(BaseModel):
    """DA-1: the title information collected for everyone."""

    declaration_id: uuid.UUID
    name: str
    gender: str
    highest_education: str
    major: str
    practiced_specialty: str
    field: str
    current_title: str | None
    certificate_number: str | None
    declared_title: str
    year: int
    region: str


class Da1Export(BaseModel):
    """One page of the DA-1 export; ask again with ``after=next_after`` until it is ``null``."""

    items: list[Da1Record]
    next_after: uuid.UUID | None = Field(default=None, description="Cursor of the next page; null on the last.")


CommitteeWindowRead.model_rebuild()
