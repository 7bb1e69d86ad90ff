"""Pure readings of the projected facts: a committee's level, the ranks a meeting evaluates, whether
a committee is related to enterprises (EX-5), and whether an integrity bar is in force (NA-13)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from zhicheng_common.reference import load_reference_catalog
from zhicheng_common.series import RANK_ORDER, Rank

#: EX-5: committees formed by enterprises, or evaluating private enterprises' staff.
ENTERPRISE_KINDS = frozenset({"enterprise_self_evaluation", "private_enterprise_engineering"})
ENTERPRISE_OWNERSHIP = "private_enterprise"


def ranks_of_levels(levels: Iterable[str]) -> tuple[Rank, ...]:
    """The ranks a meeting evaluates, lowest first, from its title levels (初级 is 员级 and 助理级)."""
    reference = load_reference_catalog().levels
    ranks = {rank for level in levels if level in reference for rank in reference[level].ranks}
    return tuple(rank for rank in RANK_ORDER if rank in ranks)


def enterprise_related(kind: str, scope_ownership_kinds: Sequence[str]) -> bool:
    """EX-5: whether the pack's share of private-enterprise experts applies to the committee."""
    return kind in ENTERPRISE_KINDS or ENTERPRISE_OWNERSHIP in scope_ownership_kinds


def bar_in_force(*, in_force: bool, valid_from: date, valid_until: date, on: date) -> bool:
    """NA-13: a bar counts from its first to its last day (both included) until it ends by event."""
    return in_force and valid_from <= on <= valid_until
