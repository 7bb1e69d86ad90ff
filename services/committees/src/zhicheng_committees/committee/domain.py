"""Pure rules of a committee: composition (NA-1), approval authority (CM-1, CM-3), validity (CM-2),
sanctions (NA-13, CM-10) and evaluation scope (CM-4).

No I/O and no clock: every function takes the policy pack and "today" as arguments. Each refusal is
a :class:`Refusal` naming its rule, which the service turns into a problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Literal

from zhicheng_common.auth import Principal, Role
from zhicheng_common.periods import last_day_after
from zhicheng_common.policy import CommitteeLevel, PolicyPack, committee_level
from zhicheng_common.reference import code_name
from zhicheng_common.refusals import Refusal
from zhicheng_common.regions import level_of as region_level_of
from zhicheng_common.regions import region_contains
from zhicheng_common.series import Level

ApprovalAuthority = Literal["provincial_hr", "city_hr", "provincial_industry_department"]


class FormationBasis(StrEnum):
    """NA-1: a committee is formed per series or per specialty (never across series)."""

    PER_SERIES = "per_series"
    PER_SPECIALTY = "per_specialty"


class CommitteeKind(StrEnum):
    """CM-3: who forms the committee."""

    GOVERNMENT_HR = "government_hr"  # 人社部门组建
    INDUSTRY_DEPARTMENT = "industry_department"  # 行业主管部门组建
    SOCIAL_ORGANIZATION = "social_organization"  # 学会、协会、人才服务机构
    ENTERPRISE_SELF_EVALUATION = "enterprise_self_evaluation"  # 企业自主评价
    PRIVATE_ENTERPRISE_ENGINEERING = "private_enterprise_engineering"  # 民营企业工程技术评委会


class OwnershipKind(StrEnum):
    """Whom a committee evaluates (its scope, besides regions)."""

    PUBLIC_INSTITUTION = "public_institution"  # 事业单位
    STATE_OWNED_ENTERPRISE = "state_owned_enterprise"  # 国有企业
    PRIVATE_ENTERPRISE = "private_enterprise"  # 非公有制经济组织
    SOCIAL_ORGANIZATION = "social_organization"  # 社会组织
    FREELANCER = "freelancer"  # 自由职业者
    FLEXIBLE_EMPLOYMENT = "flexible_employment"  # 灵活就业人员
    INDIVIDUAL_BUSINESS = "individual_business"  # 个体经济组织


class CommitteeStatus(StrEnum):
    """The life of a committee: filed, approved, sanctioned, expired or withdrawn."""

    PENDING = "pending"  # first filing applied, not yet decided
    REJECTED = "rejected"  # first filing rejected
    ACTIVE = "active"  # approved and within its validity
    SUSPENDED = "suspended"  # CM-10: suspended, must rectify
    EXPIRED = "expired"  # CM-2: validity ended; must re-file
    WITHDRAWN = "withdrawn"  # CM-10, NA-13: evaluation power withdrawn (final)


class FilingStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # an approved filing replaced by a later one (kept as history)


class FilingReason(StrEnum):
    """CM-2: why a committee (re-)files."""

    NEW = "new"  # 新组建
    RENAME = "rename"  # 名称变更
    ORGANIZER_CHANGE = "organizer_change"  # 组建单位变更
    SCOPE_CHANGE = "scope_change"  # 评审范围变更
    DELEGATION = "delegation"  # 下放评审权
    EXPIRY = "expiry"  # 有效期届满


REFILING_REASONS = frozenset(FilingReason) - {FilingReason.NEW}


class SanctionKind(StrEnum):
    """NA-13: measures against a committee, in order of severity."""

    REMINDER = "reminder"  # 提醒
    INTERVIEW = "interview"  # 约谈
    SUSPENSION = "suspension"  # 暂停评审
    RECTIFICATION_ORDER = "rectification_order"  # 责令整改
    PUBLIC_CRITICISM = "public_criticism"  # 通报批评
    POWER_WITHDRAWAL = "power_withdrawal"  # 收回评审权


def minimum_members(pack: PolicyPack, level: CommitteeLevel, basis: FormationBasis) -> int:
    """NA-1: the minimum number of members for the level and formation basis, from the pack."""
    return pack.parameters.minimum_members(level, basis.value).value


def composition_refusals(
    pack: PolicyPack,
    *,
    levels: Sequence[Level],
    basis: FormationBasis,
    specialties: Sequence[str],
    member_count: int,
) -> list[Refusal]:
    """NA-1: odd membership, minimum size by level and basis, per-specialty committees name specialties."""
    out: list[Refusal] = []
    members_odd = pack.parameters.members_odd
    if members_odd.value and member_count % 2 == 0:
        out.append(
            Refusal("NA-1", "members_not_odd", f"评委会委员人数应为奇数，实际为{member_count}人", ("member_count",))
        )
    level = committee_level(levels)
    minimum = minimum_members(pack, level, basis)
    if member_count < minimum:
        out.append(
            Refusal(
                "NA-1",
                "too_few_members",
                f"{_LEVEL_NAMES[level]}评委会（{_BASIS_NAMES[basis]}）委员不少于{minimum}人，实际为{member_count}人",
                ("member_count",),
            )
        )
    if basis is FormationBasis.PER_SPECIALTY and not specialties:
        out.append(Refusal("NA-1", "specialty_required", "按专业组建的评委会须列明专业", ("specialties",)))
    return out


def kind_refusals(pack: PolicyPack, *, kind: CommitteeKind, series: str, levels: Sequence[Level]) -> list[Refusal]:
    """CM-3: enterprises self-evaluate only at the pack's levels; the private-enterprise committee is engineering."""
    out: list[Refusal] = []
    level = committee_level(levels)
    allowed = pack.parameters.self_evaluation_levels.value
    if kind is CommitteeKind.ENTERPRISE_SELF_EVALUATION and level not in allowed:
        names = "、".join(_LEVEL_NAMES[a] for a in allowed)
        out.append(Refusal("CM-3", "self_evaluation_level", f"企业自主评价仅限{names}", ("levels",)))
    if kind is CommitteeKind.PRIVATE_ENTERPRISE_ENGINEERING and series != "engineering":
        out.append(
            Refusal("CM-3", "private_enterprise_engineering_only", "民营企业评委会仅评审工程技术系列", ("series",))
        )
    return out


_LEVEL_NAMES: dict[str, str] = {"senior": "高级", "intermediate": "中级", "junior": "初级"}


_BASIS_NAMES = {FormationBasis.PER_SERIES: "按系列组建", FormationBasis.PER_SPECIALTY: "按专业组建"}


def authorities_of(principal: Principal) -> frozenset[ApprovalAuthority]:
    """The approval authorities a caller holds.

    HR administrators of a province or of a city hold ``provincial_hr`` / ``city_hr``; an industry
    administrator (``industry_admin``, 行业主管部门) of a province holds
    ``provincial_industry_department``, whose levels the pack names (CM-3).
    """
    out: set[ApprovalAuthority] = set()
    try:
        level = region_level_of(principal.region)
    except ValueError:
        return frozenset()
    if principal.has_role(Role.PROVINCE_ADMIN) and level in ("province", "national"):
        out.add("provincial_hr")
    if principal.has_role(Role.HR_ADMIN):
        if level in ("province", "national"):
            out.add("provincial_hr")
        elif level == "city":
            out.add("city_hr")
    if principal.has_role(Role.INDUSTRY_ADMIN) and level == "province":
        out.add("provincial_industry_department")
    return frozenset(out)


def may_decide(pack: PolicyPack, principal: Principal, *, levels: Sequence[Level], region: str) -> Refusal | None:
    """CM-1, CM-3: the HR department with authority for the committee's level and region decides."""
    level = committee_level(levels)
    allowed: tuple[str, ...] = getattr(pack.parameters.committee_approval_authorities.value, level)
    if not authorities_of(principal) & set(allowed):
        return Refusal(
            "CM-3",
            "approval_authority_required",
            f"{_LEVEL_NAMES[level]}评委会须由以下部门核准备案：{'、'.join(_AUTHORITY_NAMES[a] for a in allowed)}",
        )
    if not principal.covers(region):
        return Refusal(
            "CM-1", "outside_jurisdiction", f"评委会所属地区 {region} 不在您的管辖范围（{principal.region}）内"
        )
    return None


_AUTHORITY_NAMES = {
    "provincial_hr": "省级人社部门",
    "city_hr": "市级人社部门",
    "provincial_industry_department": "省级行业主管部门",
}


def validity(pack: PolicyPack, approved_on: date) -> tuple[date, date]:
    """CM-2, NA-1, NA-14: a filing is in force from its approval through the corresponding day the
    pack's number of years later (the approval day is the event, not counted; last day included)."""
    years = pack.parameters.committee_filing_validity_years.value
    return approved_on, last_day_after(approved_on, years)


def is_expired(valid_until: date | None, today: date) -> bool:
    """CM-2: past the last valid day, the filing has expired."""
    return valid_until is not None and today > valid_until


_REFILABLE = frozenset({CommitteeStatus.ACTIVE, CommitteeStatus.SUSPENDED, CommitteeStatus.EXPIRED})


_SANCTIONABLE = frozenset({CommitteeStatus.ACTIVE, CommitteeStatus.SUSPENDED})


def filing_approval_refusal(status: CommitteeStatus, *, approve: bool) -> Refusal | None:
    """CM-10: a withdrawn power is not restored by a filing applied before the withdrawal."""
    if approve and status == CommitteeStatus.WITHDRAWN:
        return Refusal("CM-10", "committee_withdrawn", "评委会评审权已收回，不能核准备案")
    return None


def refiling_refusal(status: CommitteeStatus, reason: FilingReason) -> Refusal | None:
    """CM-2: an approved, suspended or expired committee re-files; a withdrawn or undecided one cannot."""
    if reason is FilingReason.NEW:
        return Refusal(
            "CM-2",
            "refiling_reason_required",
            "重新备案须说明原因（更名、变更组建单位、变更范围、下放评审权、到期）",
            ("reason",),
        )
    if status not in _REFILABLE:
        return Refusal(
            "CM-2", "not_refilable", f"评委会当前状态为{code_name('committee_statuses', status.value)}，不能重新备案"
        )
    return None


def sanction_refusal(status: CommitteeStatus, kind: SanctionKind) -> Refusal | None:
    """NA-13, CM-10: only a committee with evaluation power can be sanctioned; suspension once at a time."""
    if status not in _SANCTIONABLE:
        return Refusal(
            "NA-13", "not_sanctionable", f"评委会当前状态为{code_name('committee_statuses', status.value)}，不能处理"
        )
    if kind is SanctionKind.SUSPENSION and status is CommitteeStatus.SUSPENDED:
        return Refusal("CM-10", "already_suspended", "评委会已暂停评审")
    return None


def status_after_sanction(status: CommitteeStatus, kind: SanctionKind) -> CommitteeStatus:
    """CM-10: suspension suspends, withdrawal ends evaluation power; the other measures change nothing."""
    if kind is SanctionKind.SUSPENSION:
        return CommitteeStatus.SUSPENDED
    if kind is SanctionKind.POWER_WITHDRAWAL:
        return CommitteeStatus.WITHDRAWN
    return status


def can_open_meetings(status: CommitteeStatus) -> bool:
    """CM-10: only an active committee opens meetings or publishes plans (a suspended one cannot)."""
    return status is CommitteeStatus.ACTIVE


_NOT_EVALUATING: dict[CommitteeStatus, tuple[str, str]] = {
    CommitteeStatus.SUSPENDED: ("CM-10", "评委会已暂停评审，整改并经恢复后方可安排评审"),
    CommitteeStatus.WITHDRAWN: ("CM-10", "评委会评审权已收回，不能安排评审"),
    CommitteeStatus.EXPIRED: ("CM-2", "评委会备案已到期，须重新备案后方可安排评审"),
    CommitteeStatus.PENDING: ("CM-1", "评委会尚未核准备案，不能安排评审"),
    CommitteeStatus.REJECTED: ("CM-1", "评委会未予核准备案，不能安排评审"),
}


def evaluation_refusal(status: CommitteeStatus, *, valid_until: date | None, today: date) -> Refusal | None:
    """CM-10, CM-2: only an active committee within its validity plans and opens meetings; others say why not.

    An active committee past its last valid day counts as expired even before the expiry job has run.
    """
    if can_open_meetings(status) and is_expired(valid_until, today):
        status = CommitteeStatus.EXPIRED
    if can_open_meetings(status):
        return None
    rule, message = _NOT_EVALUATING[status]
    return Refusal(rule, f"committee_{status.value}", message)


@dataclass(frozen=True)
class Scope:
    """What a committee may evaluate (CM-4): empty specialties / ownership kinds mean all."""

    series: str
    specialties: tuple[str, ...]
    levels: tuple[str, ...]
    regions: tuple[str, ...]
    ownership_kinds: tuple[str, ...]


def in_scope(
    scope: Scope,
    *,
    series: str,
    level: str,
    region: str,
    specialty: str | None = None,
    ownership_kind: str | None = None,
) -> bool:
    """CM-4: the applicant's series, level, specialty, region and ownership kind are all within the scope."""
    if series != scope.series or level not in scope.levels:
        return False
    if specialty is not None and scope.specialties and specialty not in scope.specialties:
        return False
    if ownership_kind is not None and scope.ownership_kinds and ownership_kind not in scope.ownership_kinds:
        return False
    return any(region_contains(outer, region) for outer in scope.regions)
