"""Pure rules of an expert record: series, specialties and title from the catalogs (NA-2), terms
of at most the pack's years (EX-3), status changes, and what an integrity record does (NA-13).

No I/O: callers pass the policy pack and the series catalog, and get refusals
(:class:`~zhicheng_common.refusals.Refusal`) back.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from zhicheng_common.periods import last_day_from
from zhicheng_common.policy import PolicyPack
from zhicheng_common.refusals import Refusal
from zhicheng_common.series import Rank, SeriesCatalog

#: Statuses an office may set by hand; ``disqualified`` by hand needs a reason like any other.
STATUSES = ("active", "suspended", "disqualified")
#: NA-13: an integrity record of this kind takes expert status away (besides barring draws).
DISQUALIFYING_KINDS = frozenset({"expert_misconduct"})


@dataclass(frozen=True)
class Term:
    starts_on: date
    ends_on: date


def term_problems(terms: Sequence[Term], pack: PolicyPack, *, field: str = "terms") -> list[Refusal]:
    """EX-3: each term lasts at most the pack's years (NA-14 counting); terms do not overlap."""
    years = pack.parameters.expert_term_max_years
    out: list[Refusal] = []
    for index, term in enumerate(terms):
        where = f"{field}.{index}"
        if term.ends_on < term.starts_on:
            out.append(
                Refusal(None, "term_order", f"聘期结束日{term.ends_on}早于开始日{term.starts_on}", fields=(where,))
            )
            continue
        limit = last_day_from(term.starts_on, years.value)
        if term.ends_on > limit:
            out.append(
                Refusal(
                    years.rule,
                    "term_too_long",
                    f"每届聘期不超过{years.value}年：自{term.starts_on}起最迟至{limit}，填报至{term.ends_on}",
                    fields=(where,),
                )
            )
    ordered = sorted(enumerate(terms), key=lambda pair: pair[1].starts_on)
    for (_, earlier), (index, later) in itertools.pairwise(ordered):
        if later.starts_on <= earlier.ends_on:
            message = f"聘期{later.starts_on}至{later.ends_on}与聘期{earlier.starts_on}至{earlier.ends_on}重叠"
            out.append(Refusal(None, "terms_overlap", message, fields=(f"{field}.{index}",)))
    return out


def field_problems(
    catalog: SeriesCatalog, *, series: str, specialties: Sequence[str], rank_held: Rank, title_name: str | None
) -> list[Refusal]:
    """NA-2: the series exists, the rank has a title in it, the specialties are the series' own.

    A series whose catalog entry lists no specialties takes any code (the catalog is extended by
    configuration; the draw matches codes exactly, so they only need to agree with the committee's).
    """
    entry = catalog.get(series)
    if entry is None:
        return [Refusal(None, "unknown_series", f"职称系列 {series} 不在参考目录中", fields=("series",))]
    out: list[Refusal] = []
    if entry.title(rank_held) is None:
        out.append(Refusal(None, "rank_not_in_series", f"{entry.name}系列没有该级别的职称", fields=("rank_held",)))
    if entry.specialties:
        for index, specialty in enumerate(specialties):
            if specialty not in entry.specialties:
                out.append(
                    Refusal(
                        None,
                        "unknown_specialty",
                        f"专业 {specialty} 不在{entry.name}系列的目录中",
                        fields=(f"specialties.{index}",),
                    )
                )
    if len(set(specialties)) != len(specialties):
        out.append(Refusal(None, "specialty_repeated", "专业重复填写", fields=("specialties",)))
    if title_name:
        held = entry.rank_of_title(title_name)
        if held is None:
            out.append(
                Refusal(
                    None, "unknown_title", f"职称 {title_name} 不是{entry.name}系列的职称名称", fields=("title_name",)
                )
            )
        elif held != rank_held:
            out.append(
                Refusal(None, "title_rank_mismatch", f"职称 {title_name} 与所填级别不符", fields=("title_name",))
            )
    return out


def title_of(catalog: SeriesCatalog, series: str, rank: Rank, given: str | None) -> str:
    """The title stored: the one given, else the series' current title of the rank."""
    if given:
        return given
    entry = catalog.get(series)
    return (entry.title(rank) if entry else None) or ""


def status_after_bar(*, current: str, kind: str, bars_draws: bool) -> str:
    """NA-13: an expert-misconduct record barring draws disqualifies; anything else leaves the status."""
    if bars_draws and kind in DISQUALIFYING_KINDS:
        return "disqualified"
    return current
