"""Pure rules of the integrity archive: kinds and their rules, effects, validity, the record's states.

No I/O here. Numbers (years of validity) come in as arguments, read by the caller from the policy
pack (``integrity_record_years`` for IN-2, ``integrity_declaring_bar_years`` for NA-13/EL-20).

Validity (NA-14, Civil Code art. 201-203): a period counted in years starts the day after the
event and ends on the corresponding day of its last year, bound included; a corresponding day
that does not exist (29 February) is the last day of that month. So a record decided on
2026-11-20 with a 3-year period is in force up to and including 2029-11-20 and lapses from
2029-11-21 (Beijing time). ``valid_until`` is that last day, inclusive.

States of a record::

    proposed ──decide──► decided ──appeal──► under_appeal ──uphold──► decided
                            │                     ├──change──► superseded (a new decided record replaces it)
                            │                     └──withdraw─► withdrawn
                            └────────expire (also from under_appeal)──► expired

Effects are in force in ``decided`` and ``under_appeal``: an appeal freezes the record (nothing
but the appeal's decision changes it) without suspending it, and it still lapses at the end of
its validity.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Literal, get_args

from zhicheng_common.periods import last_day_after
from zhicheng_common.refusals import Refusal
from zhicheng_common.validators import (
    credit_code_problem,
    normalize_credit_code,
    normalize_resident_id,
    resident_id_problem,
)

SubjectKind = Literal["person", "unit"]
RecordKind = Literal[
    "falsified_materials",
    "plagiarism",
    "improper_means",
    "expert_misconduct",
    "staff_misconduct",
    "unit_failed_review",
    "committee_violation",
]
# NA-13: the steps of sanctions against units, mildest first.
UnitSanction = Literal["reminder", "interview", "suspension", "rectification", "public_criticism", "power_withdrawal"]
RecordStatus = Literal["proposed", "decided", "under_appeal", "expired", "withdrawn", "superseded"]
RecordAction = Literal["decide", "appeal", "uphold", "change", "withdraw", "expire"]
AppealOutcome = Literal["upheld", "changed", "withdrawn"]

# Display names: messages name kinds, statuses and actions in Chinese, never by their codes (issue 13).
KIND_NAMES: dict[str, str] = {
    "falsified_materials": "弄虚作假、伪造材料",
    "plagiarism": "剽窃抄袭",
    "improper_means": "以不正当手段取得职称",
    "expert_misconduct": "评审专家违规",
    "staff_misconduct": "工作人员违规",
    "unit_failed_review": "单位审核把关不严",
    "committee_violation": "评委会违规评审",
}
STATUS_NAMES: dict[str, str] = {
    "proposed": "待决定",
    "decided": "已决定",
    "under_appeal": "申诉中",
    "expired": "已届满",
    "withdrawn": "已撤销",
    "superseded": "已变更",
}
ACTION_NAMES: dict[str, str] = {
    "decide": "作出决定",
    "appeal": "申诉",
    "uphold": "维持原记录",
    "change": "变更记录",
    "withdraw": "撤销记录",
    "expire": "届满失效",
}

RECORD_KINDS: tuple[str, ...] = get_args(RecordKind)
UNIT_SANCTIONS: tuple[str, ...] = get_args(UnitSanction)

#: Statuses in which a record's effects bar what they bar.
ACTIVE_STATUSES: frozenset[str] = frozenset({"decided", "under_appeal"})

TRANSITIONS: dict[str, dict[str, str]] = {
    "decide": {"proposed": "decided"},
    "appeal": {"decided": "under_appeal"},
    "uphold": {"under_appeal": "decided"},
    "change": {"under_appeal": "superseded"},
    "withdraw": {"under_appeal": "withdrawn"},
    "expire": {"decided": "expired", "under_appeal": "expired"},
}

OUTCOME_ACTIONS: dict[str, RecordAction] = {"upheld": "uphold", "changed": "change", "withdrawn": "withdraw"}

#: Whom each kind of record is about.
KIND_SUBJECT: dict[str, SubjectKind] = {
    "falsified_materials": "person",
    "plagiarism": "person",
    "improper_means": "person",
    "expert_misconduct": "person",
    "staff_misconduct": "person",
    "unit_failed_review": "unit",
    "committee_violation": "unit",
}

#: The rules each kind of record applies.
KIND_RULES: dict[str, tuple[str, ...]] = {
    # IN-1 falsification disqualifies and revokes; IN-2 recorded 3 years; NA-13 fraud, 3-year bar.
    "falsified_materials": ("IN-1", "IN-2", "NA-13"),
    "plagiarism": ("IN-1", "IN-2", "NA-13"),
    "improper_means": ("IN-1", "IN-2", "NA-13"),
    # NA-13: an expert who breaks the rules loses expert status.
    "expert_misconduct": ("IN-2", "NA-13"),
    "staff_misconduct": ("IN-2",),
    # IN-3: units that fail to review are ordered to rectify; NA-13 lists the unit sanctions.
    "unit_failed_review": ("IN-3", "NA-13"),
    # CM-10: committees with incomplete procedures are suspended, in serious cases lose their power.
    "committee_violation": ("CM-10", "IN-3", "NA-13"),
}

#: NA-13: fraud cases are shared with the national credit platform (全国信用信息共享平台).
CREDIT_PLATFORM_KINDS: frozenset[str] = frozenset({"falsified_materials", "plagiarism", "improper_means"})

# Fixed UTC+8: mainland China has had no daylight saving time since 1991.


@dataclass(frozen=True)
class Effects:
    """What a record bars or causes in the other services while it is in force."""

    bar_declaring: bool = False  # EL-20, NA-13: intake refuses the subject's declarations
    bar_expert_draws: bool = False  # NA-13: experts excludes the person from draws, disqualified
    revoke_certificate_number: str | None = None  # IN-1, NA-13: certificates revokes it
    unit_sanction: str | None = None  # IN-3, CM-10, NA-13: committees applies the step

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Effects:
        return cls(
            bar_declaring=bool(data.get("bar_declaring", False)),
            bar_expert_draws=bool(data.get("bar_expert_draws", False)),
            revoke_certificate_number=data.get("revoke_certificate_number"),
            unit_sanction=data.get("unit_sanction"),
        )


def subject_id_problem(subject_kind: str, value: str) -> str | None:
    """What is wrong with a subject's identifier: a resident ID number for a person, a credit code for a unit."""
    if subject_kind == "person":
        return resident_id_problem(normalize_resident_id(value))
    if subject_kind == "unit":
        return credit_code_problem(normalize_credit_code(value))
    return f"未知的对象类型：{subject_kind!r}（应为 person 或 unit）"


def normalize_subject_id(subject_kind: str, value: str) -> str:
    return normalize_resident_id(value) if subject_kind == "person" else normalize_credit_code(value)


def record_problems(subject_kind: str, kind: str, effects: Effects) -> list[Refusal]:
    """Every inconsistency between whom a record is about, its kind and its effects (empty when fine)."""
    problems: list[Refusal] = []
    expected = KIND_SUBJECT.get(kind)
    if expected is not None and expected != subject_kind:
        problems.append(
            Refusal(
                None,
                "kind_not_for_subject",
                f"记录类型“{KIND_NAMES.get(kind, kind)}”只适用于{_subject_label(expected)}",
                fields=("kind",),
            )
        )
    if subject_kind == "unit":
        if effects.bar_declaring:
            problems.append(
                Refusal(
                    "EL-20", "effect_not_for_unit", "单位不申报职称，不能限制申报", fields=("effects.bar_declaring",)
                )
            )
        if effects.bar_expert_draws:
            problems.append(
                Refusal(
                    "NA-13",
                    "effect_not_for_unit",
                    "单位不是评审专家，不能限制抽取",
                    fields=("effects.bar_expert_draws",),
                )
            )
        if effects.revoke_certificate_number:
            problems.append(
                Refusal(
                    "IN-1",
                    "effect_not_for_unit",
                    "职称证书属于个人，不能对单位撤销",
                    fields=("effects.revoke_certificate_number",),
                )
            )
    elif effects.unit_sanction is not None:
        problems.append(
            Refusal("IN-3", "effect_not_for_person", "单位处理措施只适用于单位", fields=("effects.unit_sanction",))
        )
    if kind == "committee_violation" and effects.unit_sanction is None:
        problems.append(
            Refusal(
                "CM-10",
                "sanction_required",
                "评审委员会违规须明确处理措施（暂停、整改或收回评审权）",
                fields=("effects.unit_sanction",),
            )
        )
    return problems


def _subject_label(subject_kind: str) -> str:
    return "个人" if subject_kind == "person" else "单位"


def rule_ids_for(kind: str, effects: Effects) -> list[str]:
    """The rule ids a record of ``kind`` with ``effects`` applies, sorted."""
    rules = set(KIND_RULES.get(kind, ("IN-2",)))
    if effects.bar_declaring:
        rules.add("EL-20")
    if effects.revoke_certificate_number:
        rules.add("IN-1")
    if effects.unit_sanction in ("suspension", "power_withdrawal") and kind == "committee_violation":
        rules.add("CM-10")
    return sorted(rules)


def validity_years(*, record_years: int, bar_years: int, bars_declaring: bool) -> int:
    """Years a record stays in force: the archive period (IN-2), longer if its declaring bar is (NA-13)."""
    return max(record_years, bar_years) if bars_declaring else record_years


def default_valid_until(start: date, *, record_years: int, bar_years: int, bars_declaring: bool) -> date:
    """The last day (inclusive) a record starting on ``start`` is in force by default."""
    return last_day_after(
        start, validity_years(record_years=record_years, bar_years=bar_years, bars_declaring=bars_declaring)
    )


def validity_problems(start: date, end: date, *, latest: date) -> list[Refusal]:
    """Refusals of an explicit validity: end before start (malformed) or beyond the pack's period (IN-2)."""
    if end < start:
        return [
            Refusal(
                None, "validity_end_before_start", f"有效期截止日 {end} 早于起始日 {start}", fields=("valid_until",)
            )
        ]
    if end > latest:
        return [
            Refusal(
                "IN-2",
                "validity_too_long",
                f"有效期截止日 {end} 超过政策规定的记录期限（至 {latest}）",
                fields=("valid_until",),
            )
        ]
    return []


def decision_problems(decision_date: date, today: date) -> list[Refusal]:
    """A record is entered once decided: a decision dated after today is a mistake."""
    if decision_date > today:
        return [
            Refusal(
                None, "decision_in_future", f"决定日期 {decision_date} 晚于今天（{today}）", fields=("decision_date",)
            )
        ]
    return []


def has_lapsed(valid_until: date, today: date) -> bool:
    """Whether a record in force up to ``valid_until`` (inclusive) has lapsed on ``today``."""
    return today > valid_until


def transition_refusal(current: str, action: str) -> str:
    """The message of an action the record's status does not allow (e.g. 记录当前状态为已届满，不能申诉)."""
    return f"记录当前状态为{STATUS_NAMES.get(current, current)}，不能{ACTION_NAMES.get(action, action)}"


def next_status(current: str, action: str) -> str | None:
    """The status ``action`` moves a record in ``current`` to, or ``None`` when it may not."""
    return TRANSITIONS.get(action, {}).get(current)


def is_active(status: str) -> bool:
    return status in ACTIVE_STATUSES


def shared_with_credit_platform(kind: str) -> bool:
    """Whether records of ``kind`` go to the national credit platform (NA-13: fraud)."""
    return kind in CREDIT_PLATFORM_KINDS
