"""Pure rules of the review: chains, decisions, corrections, publicity, signatures, statistics.

No I/O here: callers pass the calendar, the policy numbers and ``today``.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from zhicheng_common import publicity
from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.policy import ReviewChain, ReviewChains, ReviewStep
from zhicheng_common.reference import channel_name, level_name
from zhicheng_common.refusals import Refusal


class ReviewStatus(StrEnum):
    IN_REVIEW = "in_review"  # waiting at a review step, or at a publicity step for a batch
    IN_PUBLICITY = "in_publicity"
    RETURNED = "returned"  # returned for correction (RV-3), waiting for the resubmission
    QUALIFIED = "qualified"
    REJECTED = "rejected"
    DISQUALIFIED = "disqualified"  # IN-1
    WITHDRAWN = "withdrawn"
    ABANDONED = "abandoned"  # RV-3: not corrected in time (decided by intake)


OPEN_STATUSES = frozenset({ReviewStatus.IN_REVIEW, ReviewStatus.IN_PUBLICITY, ReviewStatus.RETURNED})


class Outcome(StrEnum):
    PASS = "pass"  # noqa: S105 - an outcome, not a password
    RETURN = "return"
    REJECT = "reject"
    DISQUALIFY = "disqualify"  # falsification found (IN-1)


# --- Chains (CH-1, CH-2, CH-4): data of the policy pack (`review_chains`) ---------------------


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def select_chain(chains: ReviewChains, *, channel: str, level: str) -> ReviewChain | Refusal:
    """The chain of a channel and level (CH-1, CH-2); an unknown channel takes the default one."""
    for wanted in (channel, chains.default_channel):
        for chain in chains.chains:
            if wanted in chain.channels and level in chain.levels:
                return chain
    return Refusal(
        "CH-1", "no_review_chain", f"申报渠道“{channel_name(channel)}”的{level_name(level)}层级没有配置审核链"
    )


def chain_by_id(chains: ReviewChains, chain_id: str) -> ReviewChain:
    """The chain a review started on (kept by id, so a review stays on its chain)."""
    for chain in chains.chains:
        if chain.id == chain_id:
            return chain
    raise LookupError(chain_id)


# --- Decisions (RV-1..RV-5, CH-4, IN-1) ------------------------------------------------------


class CorrectionItem(_Frozen):
    field: str = Field(min_length=1, max_length=200)
    message: str = Field(min_length=1, max_length=1000)


def return_items_refusal(items: Sequence[CorrectionItem]) -> Refusal | None:
    """RV-3: a return lists every item at once: at least one, and each field only once."""
    if not items:
        return Refusal("RV-3", "correction_items_required", "退回补正须一次性列明全部需补正事项").for_field(
            "items", "required", "至少列出一项补正事项"
        )
    seen: set[str] = set()
    duplicates: list[str] = []
    for item in items:
        if item.field in seen:
            duplicates.append(item.field)
        seen.add(item.field)
    if duplicates:
        return Refusal(
            "RV-3",
            "correction_items_duplicated",
            "同一事项只能列出一次（一次性告知）",
            parts=tuple(Refusal("RV-3", "duplicated", f"重复的事项：{f}", ("items",)) for f in duplicates),
        )
    return None


def proof_asked_again_refusal(items: Sequence[CorrectionItem], not_asked_again: Sequence[str]) -> Refusal | None:
    """RV-2, NA-5: a return never asks for proof that can be checked elsewhere."""
    refused = [item.field for item in items if item.field in not_asked_again]
    if not refused:
        return None
    return Refusal(
        "NA-5",
        "proof_not_to_be_asked",
        "可通过证照、部门数据或网上核验的材料不得要求申报人重复提供",
        parts=tuple(Refusal("NA-5", "verifiable_elsewhere", f"{f} 可自行核验", ("items",)) for f in refused),
    )


def outcome_refusal(
    step: ReviewStep, outcome: Outcome, amendments: Mapping[str, Any], *, returns_only: bool
) -> Refusal | None:
    """RV-4: at the city HR level a non-conforming declaration is returned, never amended.

    A publicity step takes no decision at all: that refusal names no rule (a 409 conflict).
    """
    if amendments and step.returns_only and returns_only:
        return Refusal(
            "RV-4", "amendment_not_allowed", "市级人社部门审核时不符合要求的申报材料一律退回，不得代为修改或补充"
        ).for_field("amendments", "not_allowed", "市级审核不得修改材料")
    if amendments:
        # No level amends a declaration: the review service never changes a declaration (DESIGN §2).
        return Refusal("RV-1", "amendment_not_allowed", "审核不修改申报材料，不符合要求的请退回补正").for_field(
            "amendments", "not_allowed", "请退回补正"
        )
    if step.kind != "review":
        return Refusal(None, "not_a_review_step", "公示环节不作审核决定，请通过公示及异议处理")
    return None


def decision_input_refusal(outcome: Outcome, *, items: Sequence[CorrectionItem], facts: str | None) -> Refusal | None:
    """What a decision lacks or has too much of: items belong to a return only; disqualifying names the facts (IN-1)."""
    if items and outcome is not Outcome.RETURN:
        return Refusal(None, "items_only_for_return", "只有退回补正才列出补正事项").for_field(
            "items", "not_allowed", "仅退回时填写"
        )
    if outcome is Outcome.DISQUALIFY and not facts:
        return Refusal("IN-1", "facts_required", "认定弄虚作假须写明事实").for_field("facts", "required", "请写明事实")
    return None


def step_due(calendar: WorkingDayCalendar, arrived_on: date, step: ReviewStep) -> date | None:
    """Last day of a review step: ``working_days`` after the day the declaration arrived."""
    return calendar.deadline(arrived_on, step.working_days) if step.working_days else None


def batch_late_refusal(step: ReviewStep, *, due: date | None, today: date) -> Refusal | None:
    """RV-5: a department forwards its batch within its deadline; a late batch is not reviewed."""
    if step.batch_deadline and due is not None and today > due:
        return Refusal("RV-5", "batch_late", f"主管部门报送期限已过（{due.isoformat()}），逾期报送的材料不予受理")
    return None


def correction_deadline(calendar: WorkingDayCalendar, returned_on: date, working_days: int) -> date:
    """RV-3: the last day to resubmit a returned declaration."""
    return calendar.deadline(returned_on, working_days)


def working_days_left(calendar: WorkingDayCalendar, today: date, due: date | None) -> int | None:
    """Working days from today to the due day (negative when overdue); None without a due day."""
    if due is None:
        return None
    if due >= today:
        return calendar.working_days_between(today, due)
    return -calendar.working_days_between(due, today)


# --- Publicity (RV-6, NA-6, NA-11) -----------------------------------------------------------


class ObjectionStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class PublicityStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


def publicity_open_through(calendar: WorkingDayCalendar, opened_on: date, working_days: int) -> date:
    """RV-6, NA-14: the last day of a publicity opened on ``opened_on`` (not counted); shared with the
    results publicity of committees (``zhicheng_common.publicity``)."""
    return publicity.open_through(calendar, opened_on, working_days)


def publicity_closes_on(open_through: date) -> date:
    """NA-14: a publicity closes at the earliest on the day after its last day."""
    return publicity.closes_on(open_through)


def publicity_accepts_objections(*, today: date, open_through: date) -> bool:
    """RV-6: objections are accepted until the end of the publicity's last day."""
    return publicity.accepts_objections(today=today, last_day=open_through)


def objection_refusal(*, open: bool, today: date, open_through: date) -> Refusal | None:
    """RV-6: an objection is filed only while the publicity is open, until the end of its last day."""
    return publicity.objection_refusal(open=open, today=today, last_day=open_through)


def resolution_refusal(resolution: Literal["upheld", "dismissed"], action: str | None) -> Refusal | None:
    """RV-6: an upheld objection returns the declaration for correction or rejects it; which one is named."""
    if resolution == "upheld" and action is None:
        return Refusal("RV-6", "action_required", "异议成立时须退回补正或不予推荐").for_field(
            "action", "required", "请选择 return 或 reject"
        )
    return None


def can_close_publicity(*, today: date, open_through: date, open_objections: int) -> bool:
    """RV-6: a publicity closes once its last day has ended, and only when no objection is unresolved."""
    return publicity_close_refusal(today=today, open_through=open_through, open_objections=open_objections) is None


def publicity_close_refusal(*, today: date, open_through: date, open_objections: int) -> Refusal | None:
    """RV-6: why a publicity may not close yet (open objections, or its last day not over)."""
    return publicity.close_refusal(today=today, last_day=open_through, open_objections=open_objections)


# --- Re-examination (NA-12) ------------------------------------------------------------------


class ReexaminationStatus(StrEnum):
    REQUESTED = "requested"
    ASSIGNED = "assigned"
    DECIDED = "decided"


ReexaminationOutcome = Literal["upheld", "overturned"]


# --- Signatures (CH-4) -----------------------------------------------------------------------


def canonical_json(content: Mapping[str, Any]) -> bytes:
    """The bytes a decision signature covers: sorted keys, no spaces, UTF-8."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def reexamination_outcome_refusal(outcome_text: str | None) -> Refusal | None:
    """NA-12: a re-examination's conclusion states its reasons (they are sent back to the applicant)."""
    if outcome_text:
        return None
    return Refusal("NA-12", "outcome_text_required", "复查结论须写明理由").for_field(
        "outcome_text", "required", "请写明理由"
    )


def decision_content(
    *,
    decision_id: str,
    declaration_id: str,
    step: str,
    outcome: str,
    opinion: str,
    items: Sequence[Mapping[str, Any]],
    signer_subject: str,
    signer_role: str,
    signer_unit: str,
    decided_at: datetime,
) -> dict[str, Any]:
    """CH-4: what the signer answers for: the decision, its opinion, who and when."""
    return {
        "decision_id": decision_id,
        "declaration_id": declaration_id,
        "step": step,
        "outcome": outcome,
        "opinion": opinion,
        "items": [dict(item) for item in items],
        "signer": {"subject": signer_subject, "role": signer_role, "unit": signer_unit},
        "decided_at": decided_at.isoformat(),
    }


# --- Statistics ------------------------------------------------------------------------------


def _at_rank(counts: Mapping[int, int], rank: int) -> int:
    """The ``rank``-th smallest value (1-based) of values given as ``{value: how many}``."""
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    raise ValueError(f"rank {rank} beyond {seen} values")


def counted_percentile(counts: Mapping[int, int], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..1) of values given as ``{value: how many}``; None for none.

    Statistics aggregate in SQL: the database answers how many stays had each span, never every stay.
    """
    total = sum(counts.values())
    if total == 0:
        return None
    return float(_at_rank(counts, max(1, math.ceil(q * total))))


def counted_median(counts: Mapping[int, int]) -> float | None:
    """Median of values given as ``{value: how many}``; None for none."""
    total = sum(counts.values())
    if total == 0:
        return None
    middle = total // 2
    if total % 2:
        return float(_at_rank(counts, middle + 1))
    return (_at_rank(counts, middle) + _at_rank(counts, middle + 1)) / 2


def percentile(values: Sequence[int], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..1) of working days spent; None for no values."""
    return counted_percentile(Counter(values), q)


def median(values: Sequence[int]) -> float | None:
    return counted_median(Counter(values))
