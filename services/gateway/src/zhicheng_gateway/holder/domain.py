"""Pure pieces of the holder's view: the words for a declaration's stage, the totals of anonymous checks."""

from __future__ import annotations

from collections.abc import Iterable

#: intake's declaration statuses as the holder reads them.
STAGE_LABELS: dict[str, str] = {
    "draft": "草稿（未提交）",
    "submitted": "已提交，审核中",
    "returned": "退回补正",
    "resubmitted": "已补正，审核中",
    "withdrawn": "已撤回",
    "abandoned": "逾期未补正，已终止",
    "qualified": "审核通过，待评审",
    "disqualified": "审核未通过",
    "rejected": "不予受理",
}


def stage_label(status: str) -> str:
    return STAGE_LABELS.get(status, status)


def total_checks(counts: Iterable[tuple[object, str, int]]) -> int:
    """The sum of (day, method, count) rows."""
    return sum(count for _, _, count in counts)
