"""Policy packs (政策参数包): every number of RULES.md, per jurisdiction and year.

Numbers differ between provinces and cities and change from year to year, so code never holds
them as literals: it reads them from a policy pack (DESIGN.md §5). A pack is one YAML file,
``policies/<jurisdiction>-<year>.yaml``, shipped with this package (or supplied by
configuration through :func:`load_pack_file`); each parameter carries the id of the rule of
RULES.md it parameterizes, so a reviewer can go from the rule to the number and back::

    parameters:
      publicity_working_days: {value: 5, rule: RV-6, also: [NA-6, NA-11]}

A record is judged by the pack of its own jurisdiction and year, never by one service-wide
pack: :func:`resolve_pack` finds it when the record is made (the most specific pack whose
jurisdiction contains the record's region, for the record's year), the record keeps its
id, and :func:`pack_for` loads that id again wherever the record is acted on. An id no pack has
is refused (:class:`UnknownPolicyPack`), and so is a region and year no pack covers
(:class:`NoPolicyPack`): there is no silent fallback to another pack.

Code reads ``pack.parameters.publicity_working_days.value`` and the type checker knows it is an
``int``. A pack is validated completely when it is loaded: a missing or unknown parameter, a
value of the wrong type or an unknown rule id is refused with :class:`PolicyPackError`, which
names the file and the field.

Fractions (quorum, pass threshold, shares) are kept as two integers and compared in integer
arithmetic (:func:`at_least_fraction`), because 2/3 has no exact float and "at least two
thirds" must include the bound (NA-7, NA-14).
"""

from __future__ import annotations

import functools
import itertools
import os
import re
from collections.abc import Iterable
from datetime import date
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, Protocol, Self, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, ValidationError, model_validator

from zhicheng_common.problems import FieldError, ProblemError
from zhicheng_common.regions import is_region_code, level_of, region_contains
from zhicheng_common.rules import load_rule_index
from zhicheng_common.series import RANK_ORDER, Rank
from zhicheng_common.validators import RegionCode

__all__ = [
    "KNOWN_RULE_IDS",
    "ApprovalAuthorities",
    "CommitteeLevel",
    "FormationBasis",
    "HasPolicyPack",
    "MonthDay",
    "NoPolicyPack",
    "Parameter",
    "PolicyPack",
    "PolicyPackError",
    "PolicyPackNotApplicable",
    "PolicyParameters",
    "Ratio",
    "ReviewChain",
    "ReviewChains",
    "ReviewStep",
    "SkilledWorkerBridge",
    "TechnicalSchoolEquivalence",
    "UnknownPolicyPack",
    "applicable_pack",
    "at_least_fraction",
    "available_packs",
    "load_pack",
    "load_pack_file",
    "pack_by_id",
    "pack_for",
    "resolve_pack",
]

#: Every rule id of the rule index (``catalogs/rules.yaml``, rendered as docs/rules.md).
KNOWN_RULE_IDS: frozenset[str] = load_rule_index().ids

RULE_ID_PATTERN = re.compile(r"^[A-Z]{2}-\d+$")

# Short names of the source documents of RULES.md.
SourceName = Literal["TY21", "YC24", "SX20", "QJ23", "N40", "MOHRSS"]

AssessmentGrade = Literal["excellent", "qualified", "basically_qualified", "unqualified", "undetermined"]
TitleLevel = Literal["junior", "intermediate", "associate_senior", "senior"]
CommitteeLevel = Literal["junior", "intermediate", "senior"]


def committee_level(levels: Iterable[str]) -> CommitteeLevel:
    """NA-1: a committee is of the level of the highest title level it evaluates (副高 and 正高: senior).

    The committees service decides its own rules by it; the experts service, reading the same levels
    from its events, needs the same answer for a draw's minimum size.
    """
    chosen = set(levels)
    if chosen & {"associate_senior", "senior"}:
        return "senior"
    if "intermediate" in chosen:
        return "intermediate"
    return "junior"


# NA-1: a committee is formed per series or per specialty (never across series).
FormationBasis = Literal["per_series", "per_specialty"]
# EL-7: who may omit annual assessments.
ApplicantKind = Literal["non_public_organization", "individual_business", "flexible_employment", "freelancer"]
# EL-12 / NA-17: 高级工, 技师, 高级技师.
SkillLevel = Literal["senior_worker", "technician", "senior_technician"]
# EL-12: 中级工班, 高级工班, 预备技师（技师）班 of technical schools.
TechnicalSchoolClass = Literal["intermediate_worker_class", "senior_worker_class", "preparatory_technician_class"]
# 中专, 大专, 本科.
EducationLevel = Literal["secondary_vocational", "college", "bachelor"]
ApprovalAuthority = Literal["provincial_hr", "city_hr", "provincial_industry_department"]
# NA-9: relationships that make an expert recuse.
RecusalRelationship = Literal[
    "spouse",
    "lineal_relative",
    "collateral_relative_within_three_generations",
    "close_in_law",
    "same_unit",
    "teacher_student",
    "co_author",
]
SeriesName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
# NA-4: talents whose seniority requirement is relaxed (海外高层次、急需紧缺人才；长期在艰苦边远或基层一线).
RelaxedCategory = Literal["overseas_high_level", "urgently_needed", "grassroots_long_term"]
# Declaration channels (CH-1..CH-3), review step keys, field names: lower snake case.
SnakeName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
# Roles of DESIGN.md §6 that act at a step of a review chain (zhicheng_common.auth.Role).
ReviewerRole = Literal["unit_reviewer", "dept_reviewer", "hr_reviewer", "committee_office"]

# Strict: a quoted "5" or a yes/no where a number is due is a mistake in the pack, not a value.
Positive = Annotated[int, Strict(), Field(gt=0)]
NonNegative = Annotated[int, Strict(), Field(ge=0)]
Flag = Annotated[bool, Strict()]

T = TypeVar("T")


def at_least_fraction(count: int, total: int, numerator: int, denominator: int) -> bool:
    """Tell whether ``count`` is at least ``numerator/denominator`` of ``total``, bound included.

    Computed in integers (``count * denominator >= total * numerator``), so that exactly two
    thirds passes a two-thirds threshold (NA-7: "以上" includes the bound, NA-14).

    Args:
        count: E.g. the yes votes, or the attending experts.
        total: E.g. the attending experts, or the members of the meeting.
        numerator: Numerator of the fraction.
        denominator: Denominator of the fraction, positive.

    Returns:
        True when ``count / total >= numerator / denominator``.

    Raises:
        ValueError: ``denominator`` is not positive.
    """
    if denominator <= 0:
        raise ValueError(f"分母必须为正数 (denominator must be positive): {denominator}")
    return count * denominator >= total * numerator


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MonthDay(_Frozen):
    """A day of the year without the year (e.g. ``12-31``), written ``"MM-DD"`` in a pack."""

    month: Annotated[int, Field(ge=1, le=12)]
    day: Annotated[int, Field(ge=1, le=31)]

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if isinstance(data, str):
            match = re.fullmatch(r"(\d{2})-(\d{2})", data)
            if match is None:
                raise ValueError(f"月日应写作 MM-DD (month-day must be 'MM-DD'): {data!r}")
            return {"month": int(match[1]), "day": int(match[2])}
        return data

    @model_validator(mode="after")
    def _exists_every_year(self) -> Self:
        # 02-29 is refused: a yearly deadline must exist in every year.
        try:
            date(2001, self.month, self.day)
        except ValueError:
            raise ValueError(f"不是每年都存在的日期 (not a day of every year): {self}") from None
        return self

    def in_year(self, year: int) -> date:
        """Return this day in ``year``."""
        return date(year, self.month, self.day)

    def __str__(self) -> str:
        return f"{self.month:02d}-{self.day:02d}"


class Ratio(_Frozen):
    """A fraction between 0 and 1 kept as two integers, written ``"2/3"`` in a pack."""

    numerator: NonNegative
    denominator: Positive

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if isinstance(data, str):
            match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", data)
            if match is None:
                raise ValueError(f"分数应写作 a/b (fraction must be 'a/b'): {data!r}")
            return {"numerator": int(match[1]), "denominator": int(match[2])}
        return data

    @model_validator(mode="after")
    def _at_most_one(self) -> Self:
        if self.numerator > self.denominator:
            raise ValueError(f"比例不能大于1 (ratio must not exceed 1): {self}")
        return self

    def is_met_by(self, count: int, total: int) -> bool:
        """Tell whether ``count`` is at least this fraction of ``total`` (bound included)."""
        return at_least_fraction(count, total, self.numerator, self.denominator)

    def min_count(self, total: int) -> int:
        """Return the smallest count that meets this fraction of ``total`` (``ceil``).

        Example: a 2/3 pass threshold with 7 attending experts needs 5 yes votes.
        """
        return -(-total * self.numerator // self.denominator)

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"


class SkilledWorkerBridge(_Frozen):
    """One row of the skilled-worker bridge (EL-12, NA-17).

    A holder of ``skill_level`` with ``years_required`` years since obtaining it may apply for a
    title of ``title_level`` (``junior`` here means 助理级, e.g. 助理工程师).
    """

    skill_level: SkillLevel
    years_required: NonNegative
    title_level: TitleLevel


class TechnicalSchoolEquivalence(_Frozen):
    """Graduates of a technical-school class count as holding an education level (EL-12)."""

    school_class: TechnicalSchoolClass
    counts_as: EducationLevel


class ApprovalAuthorities(_Frozen):
    """Who approves and files committees of each level (CM-1, CM-3)."""

    senior: Annotated[tuple[ApprovalAuthority, ...], Field(min_length=1)]
    intermediate: Annotated[tuple[ApprovalAuthority, ...], Field(min_length=1)]
    junior: Annotated[tuple[ApprovalAuthority, ...], Field(min_length=1)]


def _check_rule_id(rule: str) -> str:
    if not RULE_ID_PATTERN.fullmatch(rule):
        raise ValueError(f"规则编号格式应为 XX-n (rule id must look like 'RV-6'): {rule!r}")
    if rule not in KNOWN_RULE_IDS:
        raise ValueError(f"规则索引中没有此规则编号 (unknown rule id; see docs/rules.md): {rule!r}")
    return rule


RuleId = Annotated[str, AfterValidator(_check_rule_id)]
"""The id of a rule of RULES.md, e.g. ``RV-6``."""


class ReviewStep(_Frozen):
    """One level of a review chain: who acts, and (for a review step) in how many working days.

    Attributes:
        key: Name of the step, unique in its chain (e.g. ``city_hr_review``).
        kind: ``review`` = check, sign and decide (RV-1, CH-4); ``publicity`` = a publicity window
            of ``publicity_working_days`` (RV-6, NA-6) that a reviewer of ``role`` opens for a batch.
        role: The role that acts at this step.
        rule: The rule the step carries out.
        working_days: Working days a review step has; none for a publicity step (the pack's
            ``publicity_working_days`` applies).
        batch_deadline: RV-5: late batches of this department step are refused by city HR.
        returns_only: RV-4: at this level a non-conforming declaration is only returned.
    """

    key: SnakeName
    kind: Literal["review", "publicity"]
    role: ReviewerRole
    rule: RuleId
    working_days: Positive | None = None
    batch_deadline: Flag = False
    returns_only: Flag = False

    @model_validator(mode="after")
    def _days_for_reviews_only(self) -> Self:
        if self.kind == "review" and self.working_days is None:
            raise ValueError(f"审核环节须写明工作日 (a review step needs working_days): {self.key}")
        if self.kind == "publicity" and self.working_days is not None:
            raise ValueError(
                f"公示环节的天数取 publicity_working_days (a publicity step takes the pack's days): {self.key}"
            )
        return self


class ReviewChain(_Frozen):
    """The steps a declaration of some channels and levels passes before a committee (CH-1, CH-2)."""

    id: SnakeName
    rule: RuleId
    channels: Annotated[tuple[SnakeName, ...], Field(min_length=1)]
    levels: Annotated[tuple[TitleLevel, ...], Field(min_length=1)]
    steps: Annotated[tuple[ReviewStep, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_step_keys(self) -> Self:
        keys = [step.key for step in self.steps]
        if len(set(keys)) != len(keys):
            raise ValueError(f"审核链环节重复 (a step key appears twice in chain {self.id}): {keys}")
        return self


class ReviewChains(_Frozen):
    """Every review chain of the pack, and the channel whose chain takes unknown channels."""

    default_channel: SnakeName
    chains: Annotated[tuple[ReviewChain, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _well_formed(self) -> Self:
        ids = [chain.id for chain in self.chains]
        if len(set(ids)) != len(ids):
            raise ValueError(f"审核链编号重复 (a chain id appears twice): {ids}")
        if not any(self.default_channel in chain.channels for chain in self.chains):
            raise ValueError(f"默认渠道没有审核链 (no chain for the default channel): {self.default_channel}")
        for chain in self.chains:
            for other in self.chains:
                if other.id <= chain.id:
                    continue
                both = set(chain.channels) & set(other.channels) if set(chain.levels) & set(other.levels) else set()
                if both:
                    raise ValueError(
                        f"渠道同时属于两条审核链 (channels in two chains {chain.id}, {other.id}): {sorted(both)}"
                    )
        return self


def _check_expert_ranks(held: dict[Rank, Rank]) -> dict[Rank, Rank]:
    # NA-2: a pack may ask more of experts than the rank evaluated, never less, and for every rank.
    missing = [rank.value for rank in Rank if rank not in held]
    if missing:
        raise ValueError(f"NA-2 缺少职称级别 (ranks missing): {', '.join(missing)}")
    lower = [f"{e.value}→{h.value}" for e, h in held.items() if RANK_ORDER.index(h) < RANK_ORDER.index(e)]
    if lower:
        raise ValueError(f"NA-2 专家职称不得低于评审级别 (expert rank below the rank evaluated): {', '.join(lower)}")
    return held


ExpertRankTable = Annotated[dict[Rank, Rank], AfterValidator(_check_expert_ranks)]
"""NA-2: for each rank evaluated, the lowest rank a drawn expert holds."""


class Parameter(_Frozen, Generic[T]):
    """A policy value tagged with the rule it parameterizes.

    Attributes:
        value: The value.
        rule: The id of the rule of RULES.md the value parameterizes (e.g. ``RV-6``).
        also: Other rules that state or use the same number (e.g. ``NA-6`` for publicity).
    """

    value: T
    rule: RuleId
    also: tuple[RuleId, ...] = ()


class PolicyParameters(_Frozen):
    """Every parameter of a policy pack; each is required, no other key is allowed."""

    # --- Eligibility (EL) ---
    years_counted_to: Parameter[MonthDay] = Field(
        description="EL-2: work years and years in title are counted up to this day of the application year."
    )
    assessment_grades_counting: Parameter[tuple[AssessmentGrade, ...]] = Field(
        description="EL-4: annual assessment grades whose year counts toward years in title."
    )
    recent_assessment_grades_accepted: Parameter[tuple[AssessmentGrade, ...]] = Field(
        description="EL-5: grades accepted for the recent assessment required at application."
    )
    recent_assessment_years_back: Parameter[NonNegative] = Field(
        description=(
            "EL-5: the recent assessment is that of the application year or of one of this many "
            "years before it (1 = the application year or the previous year)."
        )
    )
    exceptional_excellent_min_count: Parameter[Positive] = Field(
        description="EL-6: `excellent` assessments an exceptional (破格) applicant needs in the window."
    )
    exceptional_excellent_window_years: Parameter[Positive] = Field(
        description="EL-6: the window, in years up to the application, for the `excellent` assessments."
    )
    assessment_exempt_applicant_kinds: Parameter[tuple[ApplicantKind, ...]] = Field(
        description="EL-7: applicants who may omit annual assessments (EL-4..EL-6 then do not apply)."
    )
    transfer_min_years_in_new_post: Parameter[Positive] = Field(
        description="EL-8: years in the new post before transfer evaluation (转评) and further promotion."
    )
    max_level_step: Parameter[Positive] = Field(
        description="EL-9: levels above the current title one may apply for, outside green channels."
    )
    initial_determination_deadline: Parameter[MonthDay] = Field(
        description="EL-10: initial determination (初定) of new graduates is done by this day of the year."
    )
    max_promotion_applications_per_year: Parameter[Positive] = Field(
        description="EL-11: promotion applications per person per year (across series and specialties)."
    )
    withdrawal_before_review_frees_year: Parameter[Flag] = Field(
        description=(
            "EL-11: a declaration withdrawn by the applicant before the first review decision no longer "
            "uses the person's application of the year; any other outcome does."
        )
    )
    skilled_worker_bridge_enabled: Parameter[Flag] = Field(
        description="EL-12: highly skilled workers may apply for titles (技能人才贯通)."
    )
    skilled_worker_bridge: Parameter[tuple[SkilledWorkerBridge, ...]] = Field(
        description="EL-12, NA-17: skill level + years → title level."
    )
    skilled_worker_bridge_series: Parameter[tuple[SeriesName, ...]] = Field(
        description="EL-12: title series open to the skilled-worker bridge."
    )
    technical_school_education_equivalence: Parameter[tuple[TechnicalSchoolEquivalence, ...]] = Field(
        description="EL-12: technical-school classes counted as education levels."
    )
    private_graduate_direct_next_level_enabled: Parameter[Flag] = Field(
        description="EL-13: private-enterprise graduates without initial title may apply for the next level."
    )
    direct_recognition_enabled: Parameter[Flag] = Field(
        description="EL-14: direct recognition (直接认定) of high-level talents and enterprise postdocs."
    )
    party_government_transfer_unbound_enabled: Parameter[Flag] = Field(
        description="EL-15: staff moved from Party/government organs are not bound by seniority or level."
    )
    qualification_recognition_enabled: Parameter[Flag] = Field(
        description="EL-16, NA-18: national professional qualifications map to titles by the catalog."
    )
    leave_post_original_unit_years: Parameter[Positive] = Field(
        description="EL-17: years one on leave to start a business may still declare at the original unit."
    )
    posted_elsewhere_min_months: Parameter[Positive] = Field(
        description="EL-18: continuous months posted elsewhere after which one may declare there."
    )
    private_enterprise_papers_required: Parameter[Flag] = Field(
        description="EL-19: whether papers and language tests are required of private-enterprise staff."
    )
    years_in_title_required: Parameter[dict[Rank, NonNegative]] = Field(
        description=(
            "EL-2, EL-9: years holding the rank below (counted to `years_counted_to`) before declaring "
            "for a rank; a rank not listed needs none."
        )
    )
    relaxed_seniority_categories: Parameter[tuple[RelaxedCategory, ...]] = Field(
        description="NA-4: talents whose years-in-title requirement is relaxed (empty = none)."
    )
    relaxed_seniority_years_fewer: Parameter[NonNegative] = Field(
        description="NA-4: how many years fewer than `years_in_title_required` such a talent needs."
    )
    grassroots_long_term_min_years: Parameter[Positive] = Field(
        description="NA-4: years in hard, remote or grassroots posts that make one `grassroots_long_term`."
    )
    years_since_graduation_required: Parameter[dict[Rank, NonNegative]] = Field(
        description="EL-13: years since graduation before a private-enterprise graduate without a title declares."
    )
    # --- Continuing education (ED) ---
    continuing_education_total_hours_min: Parameter[NonNegative | None] = Field(
        description="ED-1: minimum continuing-education hours per year, all subjects; null = not checked."
    )
    continuing_education_public_hours_min: Parameter[NonNegative | None] = Field(
        description="ED-1: minimum public-subject (公需科目) hours per year; null = not checked."
    )
    continuing_education_professional_hours_min: Parameter[NonNegative | None] = Field(
        description="ED-1: minimum professional-subject (专业科目) hours per year; null = not checked."
    )
    # --- Qualification review (RV, CH-4) ---
    review_chains: Parameter[ReviewChains] = Field(
        description="CH-4, CH-1, CH-2: the review chain (审核推荐链) of each channel and level."
    )
    not_asked_again_fields: Parameter[tuple[SnakeName, ...]] = Field(
        description=(
            "NA-5, RV-2: proofs checked against legal certificates, other departments' data or online; "
            "a return for correction may not ask for them."
        )
    )
    correction_deadline_working_days: Parameter[Positive] = Field(
        description="RV-3: working days to correct a returned declaration before it counts as abandoned."
    )
    city_review_returns_only: Parameter[Flag] = Field(
        description="RV-4: city HR returns a non-conforming declaration instead of amending it."
    )
    publicity_working_days: Parameter[Positive] = Field(
        description="RV-6, NA-6, NA-11: minimum working days of every publicity (公示)."
    )
    # --- Committees (CM, NA-1) ---
    committee_filing_validity_years: Parameter[Positive] = Field(
        description="CM-2, NA-1: years a committee filing stays valid."
    )
    senior_committee_min_members_per_series: Parameter[Positive] = Field(
        description="NA-1: minimum experts of a senior committee formed per series."
    )
    senior_committee_min_members_per_specialty: Parameter[Positive] = Field(
        description="NA-1: minimum experts of a senior committee formed per specialty."
    )
    intermediate_committee_min_members: Parameter[Positive] = Field(
        description="NA-1: minimum experts of an intermediate committee (set by the province)."
    )
    junior_committee_min_members: Parameter[Positive] = Field(
        description="NA-1: minimum experts of a junior committee (set by the province)."
    )
    members_odd: Parameter[Flag] = Field(
        description="MT-1, NA-1: committee and meeting membership must be an odd number."
    )
    committee_approval_authorities: Parameter[ApprovalAuthorities] = Field(
        description="CM-3: authorities that approve and file committees, per committee level."
    )
    self_evaluation_levels: Parameter[tuple[CommitteeLevel, ...]] = Field(
        description="CM-3: levels at which a large private enterprise may self-evaluate after filing."
    )
    evaluation_finished_by: Parameter[MonthDay] = Field(
        description="CM-6: the year's evaluation meetings are finished by this day."
    )
    results_confirmed_by: Parameter[MonthDay] = Field(
        description="CM-6: the HR department confirms the results by this day."
    )
    results_reported_by: Parameter[MonthDay] = Field(
        description="CM-6: committee offices report results and exported data by this day."
    )
    results_published_by: Parameter[MonthDay] = Field(description="CM-6: results are published by this day.")
    notice_working_days_before_meeting: Parameter[Positive] = Field(
        description="CM-7: the evaluation notice is published at least this many working days before."
    )
    pre_meeting_filing_working_days: Parameter[Positive] = Field(
        description="CM-8: pre-meeting filing at least this many working days before the meeting."
    )
    post_meeting_filing_working_days: Parameter[Positive] = Field(
        description="CM-9: post-meeting filing within this many working days after the meeting."
    )
    results_entry_working_days: Parameter[Positive] = Field(
        description="CM-11: results entered into the provincial platform within this many working days."
    )
    # --- Experts and draws (EX, NA-9) ---
    draw_signers: Parameter[Positive] = Field(description="EX-1: drawers who sign the result of an expert draw.")
    expert_draw_working_days_before_meeting: Parameter[Positive] = Field(
        description="EX-2: experts are drawn this many working days before the meeting."
    )
    expert_term_max_years: Parameter[Positive] = Field(description="EX-3, NA-2: maximum years of an expert's term.")
    expert_pool_filing_validity_years: Parameter[Positive] = Field(
        description="EX-3: maximum years an expert pool filing stays valid."
    )
    expert_pool_new_member_min_share: Parameter[Ratio] = Field(
        description="EX-4: minimum share of new experts when a pool is re-filed."
    )
    expert_pool_refiling_lead_working_days: Parameter[Positive] = Field(
        description="EX-4: re-filing is applied for at least this many working days before the evaluation."
    )
    private_enterprise_expert_min_share: Parameter[Ratio | None] = Field(
        description="EX-5: minimum share of private-enterprise experts; null = not checked."
    )
    expert_min_rank_held: Parameter[ExpertRankTable] = Field(
        description=(
            "NA-2: for each rank evaluated, the lowest rank a drawn expert holds in the same series "
            "(正高 evaluations need 正高); every rank is listed, none below itself."
        )
    )
    recusal_relationships: Parameter[tuple[RecusalRelationship, ...]] = Field(
        description="NA-9, EX-6: relationships that make an expert recuse."
    )
    recused_expert_reduces_denominator: Parameter[Flag] = Field(
        description="NA-9: whether a recused expert is left out of the vote denominator for that applicant."
    )
    # --- Meetings and votes (MT, NA-7, NA-8) ---
    quorum: Parameter[Ratio] = Field(
        description="MT-1, NA-7: attending experts at least this share of the meeting's members."
    )
    pass_threshold: Parameter[Ratio] = Field(
        description="NA-7: yes votes at least this share of the attending experts (bound included)."
    )
    min_readers_per_applicant: Parameter[Positive] = Field(
        description="MT-2, NA-8: experts who each read an applicant's materials independently."
    )
    remote_evaluation_allowed: Parameter[Flag] = Field(
        description="MT-4: remote evaluation where attendance is impossible."
    )
    pass_rate_ceiling: Parameter[Ratio | None] = Field(
        description="MT-5: highest pass rate before a warning; null = reported only."
    )
    ballot_rounds_max: Parameter[Positive] = Field(
        description=(
            "MT-3, NA-7: secret-ballot rounds a meeting may hold (the first vote and its re-votes of "
            "the applicants still undecided)."
        )
    )
    results_publicity_working_days: Parameter[Positive] = Field(
        description="NA-11: minimum working days the results of a meeting are publicized before confirmation."
    )
    # --- Integrity (IN, NA-13) ---
    integrity_record_years: Parameter[Positive] = Field(
        description="IN-2, NA-13: years a dishonesty record stays in the integrity archive."
    )
    integrity_declaring_bar_years: Parameter[Positive] = Field(
        description="NA-13, EL-20: years a person caught in fraud may not apply."
    )

    def minimum_members(self, level: CommitteeLevel, basis: FormationBasis) -> Parameter[int]:
        """NA-1: the minimum members of a committee (and of a meeting's panel) of ``level`` formed by ``basis``."""
        if level == "senior":
            if basis == "per_series":
                return self.senior_committee_min_members_per_series
            return self.senior_committee_min_members_per_specialty
        if level == "intermediate":
            return self.intermediate_committee_min_members
        return self.junior_committee_min_members

    @model_validator(mode="after")
    def _year_end_deadlines_in_order(self) -> Self:
        # CM-6: the year-end steps follow each other; a pack saying otherwise has a typo.
        steps = [
            ("evaluation_finished_by", self.evaluation_finished_by.value),
            ("results_confirmed_by", self.results_confirmed_by.value),
            ("results_reported_by", self.results_reported_by.value),
            ("results_published_by", self.results_published_by.value),
        ]
        for (name_a, day_a), (name_b, day_b) in itertools.pairwise(steps):
            if day_a.in_year(2001) > day_b.in_year(2001):
                raise ValueError(f"CM-6 日期顺序错误 (deadlines out of order): {name_a} {day_a} > {name_b} {day_b}")
        return self


class PolicyPack(_Frozen):
    """A policy pack: the parameters of one jurisdiction for one year.

    Attributes:
        id: ``<jurisdiction name>-<year>``, e.g. ``shanxi-2024``; equals the file name stem.
        name: Chinese name of the pack.
        jurisdiction: GB/T 2260 code of the jurisdiction (e.g. ``140000``).
        year: The evaluation year the pack is for.
        applies_through_year: The last evaluation year the pack still applies to when the
            jurisdiction issued no newer pack (its documents stay in force); ``None`` = ``year`` only.
        effective_from: First day the pack applies.
        sources: Short names of the documents the values come from (see RULES.md).
        parameters: The parameters.
    """

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")]
    name: Annotated[str, Field(min_length=1)]
    jurisdiction: RegionCode
    year: Annotated[int, Strict(), Field(ge=2000, le=2100)]
    applies_through_year: Annotated[int, Strict(), Field(ge=2000, le=2100)] | None = None
    effective_from: date
    sources: Annotated[tuple[SourceName, ...], Field(min_length=1)]
    parameters: PolicyParameters

    @model_validator(mode="after")
    def _through_not_before_year(self) -> Self:
        if self.applies_through_year is not None and self.applies_through_year < self.year:
            raise ValueError(f"适用截止年度早于年度 (applies_through_year before year): {self.applies_through_year}")
        return self

    def covers_year(self, year: int) -> bool:
        """Tell whether the pack applies to evaluation year ``year``."""
        return self.year <= year <= (self.applies_through_year or self.year)


class PolicyPackError(Exception):
    """A policy pack could not be read or is invalid.

    Attributes:
        source: The file (or packaged resource) the pack came from.
        problems: ``(field, message)`` pairs; field is a dotted path such as
            ``parameters.publicity_working_days.rule``, empty for the whole file.
    """

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = tuple(problems)
        listed = "; ".join(f"{field}: {message}" if field else message for field, message in problems)
        super().__init__(f"政策包无效 (invalid policy pack) {source}: {listed}")


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe loader that refuses a key given twice (PyYAML would silently keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _parse(text: str, source: str) -> PolicyPack:
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise PolicyPackError(source, [("", f"YAML 语法错误 (YAML error): {exc}")]) from exc
    if not isinstance(data, dict):
        raise PolicyPackError(source, [("", "顶层应为映射 (the top level must be a mapping)")])
    try:
        return PolicyPack.model_validate(data)
    except ValidationError as exc:
        problems = [(".".join(str(part) for part in error["loc"]), error["msg"]) for error in exc.errors()]
        raise PolicyPackError(source, problems) from exc


def _packaged() -> Traversable:
    return resources.files("zhicheng_common").joinpath("policies")


def available_packs() -> list[str]:
    """Return the ids of the packs shipped with this package, sorted."""
    return list(_shipped_packs())


@functools.cache
def _shipped_packs() -> tuple[str, ...]:
    # The package's files do not change while it runs: listed once, not on every pack_by_id (a
    # directory listing per consumed event was 4 % of review's CPU on the write path).
    return tuple(
        sorted(entry.name.removesuffix(".yaml") for entry in _packaged().iterdir() if entry.name.endswith(".yaml"))
    )


@functools.cache
def load_pack(pack_id: str) -> PolicyPack:
    """Load a pack shipped with this package, e.g. ``load_pack("shanxi-2024")`` (cached).

    Raises:
        PolicyPackError: No such pack, or the pack is invalid.
    """
    source = f"zhicheng_common/policies/{pack_id}.yaml"
    known = available_packs()
    if pack_id not in known:
        raise PolicyPackError(source, [("id", f"没有此政策包 (no such pack); available: {', '.join(known)}")])
    pack = _parse(_packaged().joinpath(f"{pack_id}.yaml").read_text(encoding="utf-8"), source)
    if pack.id != pack_id:
        raise PolicyPackError(source, [("id", f"与文件名不一致 (does not match the file name): {pack.id!r}")])
    return pack


def load_pack_file(path: str | os.PathLike[str]) -> PolicyPack:
    """Load a pack from a file named by configuration (not cached: the file may change).

    Raises:
        PolicyPackError: The file cannot be read or the pack is invalid.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyPackError(str(file), [("", f"无法读取 (cannot read): {exc}")]) from exc
    return _parse(text, str(file))


class UnknownPolicyPack(ProblemError, status=422, code="unknown_policy_pack", title="政策参数包不存在"):
    """A record or request names a pack id that no pack has (422 ``unknown_policy_pack``)."""


class NoPolicyPack(ProblemError, status=422, code="no_policy_pack", title="没有适用的政策参数包"):
    """No pack covers a region for a year (422 ``no_policy_pack``)."""


class PolicyPackNotApplicable(
    ProblemError, status=422, code="policy_pack_not_applicable", title="政策参数包不适用于该地区或年度"
):
    """A request names a pack of another jurisdiction or year than its record's (422 ``policy_pack_not_applicable``)."""


class HasPolicyPack(Protocol):
    """A record that keeps the id of the pack it is judged by (a declaration, a review…)."""

    @property
    def policy_pack(self) -> str: ...


def pack_by_id(pack_id: str) -> PolicyPack:
    """Load the shipped pack ``pack_id``; an id no pack has is :class:`UnknownPolicyPack`.

    Raises:
        UnknownPolicyPack: No pack has this id.
        PolicyPackError: The pack exists but is invalid (a defect of the release, not of the request).
    """
    if pack_id not in available_packs():
        raise UnknownPolicyPack(
            f"政策参数包 {pack_id!r} 不存在；现有：{'、'.join(available_packs())}",
            errors=[FieldError(field="policy_pack", code="unknown_policy_pack", message=f"没有政策参数包 {pack_id!r}")],
        )
    return load_pack(pack_id)


def applicable_pack(pack_id: str, jurisdiction: str, year: int | None = None) -> PolicyPack:
    """The pack a request names for a record of region ``jurisdiction`` (and evaluation ``year``).

    A named pack must be one of the record's own jurisdiction (its jurisdiction contains the
    region) and, when the record has a year, cover that year: a Shanxi committee is not judged by
    Yunnan's numbers, nor a 2028 plan by a pack that ends with 2027.

    Raises:
        UnknownPolicyPack: No pack has this id.
        PolicyPackNotApplicable: The pack is of another jurisdiction or does not cover ``year``.
    """
    pack = pack_by_id(pack_id)
    fits = is_region_code(jurisdiction) and region_contains(pack.jurisdiction, jurisdiction)
    if fits and (year is None or pack.covers_year(year)):
        return pack
    when = f"{year}年度" if year is not None else ""
    raise PolicyPackNotApplicable(
        f"{pack.name}不适用于地区{jurisdiction}{when}",
        errors=[
            FieldError(
                field="policy_pack",
                code="policy_pack_not_applicable",
                message=f"{pack.name}不适用于地区{jurisdiction}{when}",
                facts={"jurisdiction": jurisdiction, "year": year, "pack_jurisdiction": pack.jurisdiction},
            )
        ],
    )


def pack_for(record: HasPolicyPack) -> PolicyPack:
    """The pack a record was bound to when it was made (its ``policy_pack``)."""
    return pack_by_id(record.policy_pack)


_LEVEL_DEPTH = {"national": 0, "province": 1, "city": 2, "county": 3}


@functools.cache
def _shipped() -> tuple[PolicyPack, ...]:
    return tuple(load_pack(pack_id) for pack_id in available_packs())


def resolve_pack(jurisdiction: str, year: int) -> PolicyPack:
    """The pack for a record of region ``jurisdiction`` and evaluation year ``year``.

    Among the shipped packs for ``year`` (their own year, or a later one up to their
    ``applies_through_year``) whose jurisdiction contains ``jurisdiction``, the most specific one (a
    city's pack before its province's, a province's before a national one), and of those the one
    issued for the latest year.

    Args:
        jurisdiction: GB/T 2260 code of the record's region (e.g. the employer's county ``140105``).
        year: The evaluation year of the record (e.g. a declaration's target year).

    Raises:
        NoPolicyPack: No pack covers this region for this year (or the code is malformed).
    """
    candidates = [
        pack
        for pack in _shipped()
        if pack.covers_year(year) and is_region_code(jurisdiction) and region_contains(pack.jurisdiction, jurisdiction)
    ]
    if not candidates:
        covered = "、".join(
            f"{p.jurisdiction}/{p.year}" + (f"-{p.applies_through_year}" if p.applies_through_year else "")
            for p in _shipped()
        )
        raise NoPolicyPack(
            f"地区 {jurisdiction} 的 {year} 年度没有政策参数包（现有：{covered}）",
            errors=[
                FieldError(
                    field="jurisdiction",
                    code="no_policy_pack",
                    message=f"没有适用于 {jurisdiction} {year} 年度的政策参数包",
                    facts={"jurisdiction": jurisdiction, "year": year},
                )
            ],
        )
    return max(candidates, key=lambda pack: (_LEVEL_DEPTH[level_of(pack.jurisdiction)], pack.year))
