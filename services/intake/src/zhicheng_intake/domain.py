"""Pure rules of intake: the eligibility engine and the declaration state machine (no I/O).

``check_eligibility`` runs every rule and returns every failure at once, each with its rule id,
a Chinese message and the facts it used; an empty list accepts the declaration.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from zhicheng_common.policy import PolicyPack
from zhicheng_common.reference import (
    attachment_kind_name,
    channel_name,
    code_name,
    level_name,
    ownership_name,
    rank_name,
    series_name,
    specialty_name,
)
from zhicheng_common.refusals import Refusal
from zhicheng_common.regions import region_contains
from zhicheng_common.series import RANK_ORDER, Rank, SeriesCatalog, level_of, steps_between
from zhicheng_intake.schemas import DeclarationCreate, DeclarationStatus

# --- reference data (loaded by reference.py) -----------------------------------------------------


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class QualificationMapping(_Data):
    name: str
    province: str
    effective_from: date
    series: str
    rank: Rank


class ExamSeries(_Data):
    series: str
    ranks: tuple[Rank, ...]
    exam: str | None = None


class QualificationTable(_Data):
    """Qualification → title (EL-16, NA-18), per province and date; exam-based series."""

    qualifications: tuple[QualificationMapping, ...]
    exam_instead: tuple[ExamSeries, ...] = ()
    exam_plus_evaluation: tuple[ExamSeries, ...] = ()

    def title_for(self, name: str, *, region: str, on: date) -> QualificationMapping | None:
        """The mapping in force for ``region`` on ``on``: the province's own first, then the nation's."""
        candidates = [
            q
            for q in self.qualifications
            if q.name == name and q.effective_from <= on and region_contains(q.province, region)
        ]
        candidates.sort(key=lambda q: (q.province == "100000", -q.effective_from.toordinal()))
        return candidates[0] if candidates else None

    def exam_instead_of(self, series: str, rank: Rank) -> bool:
        return any(e.series == series and rank in e.ranks for e in self.exam_instead)

    def exam_needed(self, series: str, rank: Rank) -> str | None:
        for entry in self.exam_plus_evaluation:
            if entry.series == series and rank in entry.ranks:
                return entry.exam or entry.series
        return None


# --- projections as the engine sees them --------------------------------------------------------


@dataclass(frozen=True)
class CommitteeScope:
    committee_id: uuid.UUID
    name: str
    series: str
    specialties: tuple[str, ...]
    levels: tuple[str, ...]
    scope_regions: tuple[str, ...]
    scope_ownership_kinds: tuple[str, ...]
    policy_pack: str
    valid_from: date
    valid_until: date
    status: str  # active / suspended / expired / power_withdrawn

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CommitteeScope:
        """From the committee's JSON as the projection stores it (the fields of ``committee.approved``)."""
        return cls(
            committee_id=uuid.UUID(str(data["committee_id"])),
            name=data["name"],
            series=data["series"],
            specialties=tuple(data["specialties"]),
            levels=tuple(data["levels"]),
            scope_regions=tuple(data["scope_regions"]),
            scope_ownership_kinds=tuple(data["scope_ownership_kinds"]),
            policy_pack=data["policy_pack"],
            valid_from=date.fromisoformat(data["valid_from"]),
            valid_until=date.fromisoformat(data["valid_until"]),
            status=data.get("status", "active"),
        )


@dataclass(frozen=True)
class DeclarationWindow:
    plan_id: uuid.UUID
    committee_id: uuid.UUID
    year: int
    series: str
    levels: tuple[str, ...]
    opens: date
    closes: date

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeclarationWindow:
        """From the plan's JSON as the projection stores it (the fields of ``plan.published``)."""
        return cls(
            plan_id=uuid.UUID(data["plan_id"]),
            committee_id=uuid.UUID(data["committee_id"]),
            year=data["year"],
            series=data["series"],
            levels=tuple(data["levels"]),
            opens=date.fromisoformat(data["declaration_opens"]),
            closes=date.fromisoformat(data["declaration_closes"]),
        )


@dataclass(frozen=True)
class OtherDeclaration:
    """A declaration of the same applicant already made, i.e. submitted at least once (EL-11)."""

    declaration_id: uuid.UUID
    year: int
    series: str
    specialty: str
    level: str
    kind: str
    status: str = "submitted"
    withdrawn_before_review: bool = False


@dataclass(frozen=True)
class EligibilityContext:
    today: date
    committee: CommitteeScope | None
    windows: tuple[DeclarationWindow, ...] = ()
    integrity_bars: tuple[str, ...] = ()  # record ids of active bars on the applicant (EL-20)
    other_declarations: tuple[OtherDeclaration, ...] = ()
    titles_held: tuple[HeldTitle, ...] = ()  # the applicant's valid certificates of this platform (EL-9)


@dataclass(frozen=True)
class HeldTitle:
    """A title the applicant holds by a valid certificate (intake's ``titles_held``, from certificates' events)."""

    certificate_number: str
    series: str
    level: str
    title_name: str
    obtained_on: date

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HeldTitle:
        return cls(
            str(data["certificate_number"]),
            str(data["series"]),
            str(data["level"]),
            str(data["title_name"]),
            date.fromisoformat(str(data["obtained_on"])),
        )

    def rank(self, catalog: SeriesCatalog) -> Rank:
        """The rank of the title: by its name in the series catalog, else by its level (junior: 员级)."""
        series = catalog.get(self.series)
        by_name = series.rank_of_title(self.title_name) if series else None
        return by_name or _LEVEL_FLOOR.get(self.level, Rank.CLERK)


# The lowest rank of each level: a held title whose name the catalog does not know counts as this.
_LEVEL_FLOOR: dict[str, Rank] = {
    "junior": Rank.CLERK,
    "intermediate": Rank.INTERMEDIATE,
    "associate_senior": Rank.ASSOCIATE_SENIOR,
    "senior": Rank.SENIOR,
}


# --- counting (EL-2, EL-4..EL-7) -----------------------------------------------------------------

# EL-7's applicant kinds, and the ownerships that belong to them.
_EXEMPT_OWNERSHIP = {
    "private_enterprise": "non_public_organization",
    "social_organization": "non_public_organization",
    "non_public_organization": "non_public_organization",
    "individual_business": "individual_business",
    "flexible_employment": "flexible_employment",
    "freelancer": "freelancer",
}
PRIVATE_OWNERSHIPS = frozenset({"private_enterprise", "non_public_organization", "social_organization"})


def full_years(start: date, end: date) -> int:
    """Whole years from ``start`` to ``end`` (0 when ``end`` is before ``start``)."""
    years = end.year - start.year - (1 if (end.month, end.day) < (start.month, start.day) else 0)
    return max(0, years)


def counted_to(pack: PolicyPack, year: int) -> date:
    """EL-2: years are counted up to this day of the application year (31 December)."""
    return pack.parameters.years_counted_to.value.in_year(year)


def years_in_title(pack: PolicyPack, obtained_on: date, year: int) -> int:
    """EL-2: whole years holding a title, counted to the pack's day (31 December) of ``year``."""
    return full_years(obtained_on, counted_to(pack, year))


def non_counting_years(pack: PolicyPack, grades: Mapping[int, str], since: date, year: int) -> list[int]:
    """EL-4: years after ``since`` up to ``year`` assessed below the counting grades."""
    counting = pack.parameters.assessment_grades_counting.value
    return sorted(y for y, grade in grades.items() if since.year < y <= year and grade not in counting)


def unassessed_years(grades: Mapping[int, str], since: date, year: int) -> list[int]:
    """EL-4: years in title before the application year for which no assessment was declared.

    Such a year has no counting grade, so it does not count. The application year itself is not
    listed: its annual assessment is made at the year's end, after the declaration deadline, so it
    counts unless it is declared below the counting grades (see :func:`non_counting_years`).
    """
    return [y for y in range(since.year + 1, year) if y not in grades]


def assessment_exempt(pack: PolicyPack, ownership: str) -> bool:
    """EL-7: whether the applicant's kind may omit annual assessments."""
    kind = _EXEMPT_OWNERSHIP.get(ownership)
    return kind is not None and kind in pack.parameters.assessment_exempt_applicant_kinds.value


def recent_assessment_ok(pack: PolicyPack, grades: Mapping[int, str], year: int) -> bool:
    """EL-5: the application year's or a recent year's assessment is accepted."""
    accepted = pack.parameters.recent_assessment_grades_accepted.value
    back = pack.parameters.recent_assessment_years_back.value
    return any(grades.get(y) in accepted for y in range(year - back, year + 1))


def excellent_count(pack: PolicyPack, grades: Mapping[int, str], year: int) -> int:
    """EL-6: `excellent` assessments in the window of years before the application year."""
    window = pack.parameters.exceptional_excellent_window_years.value
    return sum(1 for y in range(year - window, year) if grades.get(y) == "excellent")


# --- the engine ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Inputs:
    d: DeclarationCreate
    pack: PolicyPack
    catalog: SeriesCatalog
    table: QualificationTable
    ctx: EligibilityContext

    @property
    def grades(self) -> dict[int, str]:
        return {a.year: a.grade for a in self.d.assessments}

    @property
    def ownership(self) -> str:
        return self.d.applicant.employer.ownership

    @property
    def private(self) -> bool:
        return self.ownership in PRIVATE_OWNERSHIPS

    @property
    def exempt(self) -> bool:
        return assessment_exempt(self.pack, self.ownership)

    @property
    def deadline(self) -> date | None:
        windows = matching_windows(self.d, self.ctx)
        return windows[0].closes if windows else None

    @property
    def direct(self) -> bool:
        """Kinds recognised directly: seniority and ladder do not apply."""
        return self.d.kind in ("qualification_mapping", "high_level_talent", "postdoc")

    @property
    def unbound(self) -> bool:
        """EL-15: staff from Party and government organs at their first application."""
        return (
            self.d.from_party_government_organ
            and self.d.first_application
            and self.private
            and self.pack.parameters.party_government_transfer_unbound_enabled.value
        )


Rule = Callable[[_Inputs], Iterable[Refusal]]


def matching_windows(d: DeclarationCreate, ctx: EligibilityContext) -> list[DeclarationWindow]:
    """Plans of the target committee open for this year, series and level."""
    level = level_of(d.target.rank)
    return [
        w
        for w in ctx.windows
        if w.committee_id == d.target.committee_id
        and w.year == d.target.year
        and w.series == d.target.series
        and (not w.levels or level in w.levels)
    ]


def _catalog(i: _Inputs) -> Iterable[Refusal]:
    series = i.catalog.get(i.d.target.series)
    if series is None:
        yield Refusal(
            "EL-9",
            "unknown_series",
            f"职称系列 {i.d.target.series} 不在系列目录中",
            facts={"series": i.d.target.series},
        )
    elif series.title(i.d.target.rank) is None:
        yield Refusal(
            "EL-9",
            "unknown_rank",
            f"{series.name}系列没有{rank_name(i.d.target.rank)}职称",
            facts={"series": series.code, "rank": i.d.target.rank.value},
        )


def _committee_scope(i: _Inputs) -> Iterable[Refusal]:
    c = i.ctx.committee
    d = i.d
    level = level_of(d.target.rank)
    if c is None:
        yield Refusal(
            "CM-4",
            "committee_unknown",
            "所选评委会未经核准备案，不能受理申报",
            facts={"committee_id": str(d.target.committee_id)},
        )
        return
    facts: dict[str, Any] = {"committee_id": str(c.committee_id), "committee": c.name}
    if c.status != "active" or not (c.valid_from <= i.ctx.today <= c.valid_until):
        yield Refusal(
            "CM-4",
            "committee_inactive",
            f"评委会{c.name}当前不具备评审权（{code_name('committee_statuses', c.status)}）",
            facts={**facts, "status": c.status},
        )
    if c.series != d.target.series or (c.specialties and d.target.specialty not in c.specialties):
        yield Refusal(
            "CM-4",
            "outside_committee_series",
            f"评委会{c.name}只评审{series_name(c.series)}系列"
            f"{'、'.join(specialty_name(c.series, s) for s in c.specialties) or '各'}专业，"
            f"不含{series_name(d.target.series)}系列{specialty_name(d.target.series, d.target.specialty)}专业",
            facts={**facts, "series": d.target.series, "specialty": d.target.specialty, "committee_series": c.series},
        )
    if level not in c.levels:
        yield Refusal(
            "CM-4",
            "outside_committee_levels",
            f"评委会{c.name}只评审{'、'.join(level_name(v) for v in c.levels)}层级，不含{level_name(level)}",
            facts={**facts, "level": level, "committee_levels": list(c.levels)},
        )
    region = d.applicant.employer.region
    if not any(region_contains(scope, region) for scope in c.scope_regions):
        yield Refusal(
            "CM-4",
            "outside_committee_regions",
            f"申报单位所在地区{region}不在评委会{c.name}的评审范围内",
            facts={**facts, "region": region, "scope_regions": list(c.scope_regions)},
        )
    if c.scope_ownership_kinds and i.ownership not in c.scope_ownership_kinds:
        yield Refusal(
            "CM-4",
            "outside_committee_ownership",
            f"评委会{c.name}不评审“{ownership_name(i.ownership)}”类别的申报人",
            facts={**facts, "ownership": i.ownership},
        )


def _window(i: _Inputs) -> Iterable[Refusal]:
    # CM-5: declarations are taken within the time the committee's annual plan publishes.
    if i.ctx.committee is None:
        return
    windows = matching_windows(i.d, i.ctx)
    if not windows:
        yield Refusal(
            "CM-5",
            "no_declaration_window",
            f"评委会本年度（{i.d.target.year}）没有发布该系列、层级的评审计划",
            facts={"year": i.d.target.year, "series": i.d.target.series, "level": level_of(i.d.target.rank)},
        )
    elif not any(w.opens <= i.ctx.today <= w.closes for w in windows):
        w = windows[0]
        yield Refusal(
            "CM-5",
            "outside_declaration_window",
            f"申报时间为{w.opens.isoformat()}至{w.closes.isoformat()}，今天（{i.ctx.today.isoformat()}）不在申报期内",
            facts={"opens": w.opens.isoformat(), "closes": w.closes.isoformat(), "today": i.ctx.today.isoformat()},
        )


_CHANNEL_FITS: dict[str, Callable[[_Inputs], bool]] = {
    # CH-1: the applicant's own employer, dispatch unit, competent department, talent agency, HR fallback.
    "employer": lambda i: (
        i.d.applicant.employment_status in ("in_service", "on_leave_business", "posted_elsewhere")
        and i.ownership not in ("individual_business", "flexible_employment", "freelancer")
    ),
    "labor_dispatch": lambda i: i.d.applicant.employment_status == "dispatched",
    "competent_department": lambda i: (
        i.ownership in ("public_institution", "state_owned_enterprise", "party_government_organ")
    ),
    "talent_agency": lambda i: True,  # personnel file kept at the agency: open to everyone
    "hr_department": lambda i: i.ownership in ("individual_business", "flexible_employment", "freelancer"),
    # CH-2: freelancers through associations and societies.
    "industry_association": lambda i: i.ownership == "freelancer",
    # CH-3: private-enterprise staff through service points.
    "hr_service_point": lambda i: i.private,
}
_CHANNEL_RULE = {"industry_association": "CH-2", "hr_service_point": "CH-3"}


def _channel(i: _Inputs) -> Iterable[Refusal]:
    kind = i.d.channel.kind
    if not _CHANNEL_FITS[kind](i):
        yield Refusal(
            _CHANNEL_RULE.get(kind, "CH-1"),
            "channel_not_allowed",
            f"申报渠道“{i.d.channel.name}”（{channel_name(kind)}）不适用于“{ownership_name(i.ownership)}”类别、"
            f"{code_name('employment_statuses', i.d.applicant.employment_status)}的申报人",
            facts={"channel": kind, "ownership": i.ownership, "employment_status": i.d.applicant.employment_status},
        )


def _in_service(i: _Inputs) -> Iterable[Refusal]:
    a = i.d.applicant
    if a.employment_status == "retired":
        yield Refusal("NA-3", "retired", "已退休人员不得申报职称评审", facts={"employment_status": a.employment_status})
        return
    public_unit = i.ownership == "public_institution"
    sanction = a.sanction
    if sanction is not None and sanction.kind != "warning" and sanction.until >= i.ctx.today and public_unit:
        yield Refusal(
            "NA-3",
            "under_sanction",
            f"事业单位工作人员受{code_name('sanction_kinds', sanction.kind)}处分期间"
            f"（至{sanction.until.isoformat()}）不得申报",
            facts={"sanction": sanction.kind, "until": sanction.until.isoformat()},
        )
    if a.employment_status == "not_employed" and i.ownership not in ("flexible_employment", "freelancer"):
        yield Refusal(
            "EL-1",
            "not_in_service",
            "申报人须为申报单位在职在岗的专业技术人员",
            facts={"employment_status": a.employment_status},
        )
    if a.practiced_specialty != i.d.target.specialty and i.d.kind not in ("transfer", "qualification_mapping"):
        yield Refusal(
            "EL-1",
            "specialty_mismatch",
            f"申报专业（{specialty_name(i.d.target.series, i.d.target.specialty)}）"
            f"与现从事专业（{specialty_name(i.d.target.series, a.practiced_specialty)}）不一致",
            facts={"declared": i.d.target.specialty, "practiced": a.practiced_specialty},
        )


def _leave_and_posting(i: _Inputs) -> Iterable[Refusal]:
    d = i.d
    p = i.pack.parameters
    if d.applicant.employment_status == "on_leave_business":
        years = p.leave_post_original_unit_years.value
        if d.leave_started_on is None or full_years(d.leave_started_on, i.ctx.today) >= years:
            yield Refusal(
                "EL-17",
                "leave_too_long",
                f"离岗创业或兼职人员只可在{years}年内回原单位申报",
                facts={
                    "leave_started_on": d.leave_started_on.isoformat() if d.leave_started_on else None,
                    "years": years,
                },
            )
    if d.declaring_where_posted:
        months = p.posted_elsewhere_min_months.value
        since = d.posted_since
        served = 0 if since is None else (i.ctx.today.year - since.year) * 12 + i.ctx.today.month - since.month
        if since is not None and i.ctx.today.day < since.day:
            served -= 1
        if not i.private or served < months:
            yield Refusal(
                "EL-18",
                "posting_too_short",
                f"民营企业派驻人员须连续派驻满{months}个月方可在派驻地申报",
                facts={"posted_since": since.isoformat() if since else None, "months": served, "required": months},
            )


def _seniority(i: _Inputs) -> Iterable[Refusal]:
    d = i.d
    if i.direct or d.kind in ("initial_determination", "skilled_worker", "transfer") or i.unbound:
        return
    if d.current_title is None:
        yield from _without_title(i)
        return
    needed = i.pack.parameters.years_in_title_required.value.get(d.target.rank, 0)
    relaxed = _relaxed_by(i)
    raw = years_in_title(i.pack, d.current_title.obtained_on, d.target.year)
    facts: dict[str, Any] = {
        "obtained_on": d.current_title.obtained_on.isoformat(),
        "counted_to": counted_to(i.pack, d.target.year).isoformat(),
        "years": raw,
        "required": max(needed - relaxed, 0),
    }
    if relaxed:
        facts["relaxed"] = {"category": d.relaxed_category, "years_fewer": relaxed, "rule": "NA-4"}
        needed = max(needed - relaxed, 0)
    if d.kind == "exceptional":
        return  # NA-4: relaxed seniority; EL-6 and NA-4 hold the exceptional path
    if raw < needed:
        yield Refusal(
            "EL-2",
            "too_few_years_in_title",
            f"现职称任职年限{raw}年（计算至{facts['counted_to']}），不满{needed}年",
            facts=facts,
        )
        return
    if not i.exempt:
        # EL-4: only years with a counting grade count; a year below it or with no assessment does not.
        bad = non_counting_years(i.pack, i.grades, d.current_title.obtained_on, d.target.year)
        missing = unassessed_years(i.grades, d.current_title.obtained_on, d.target.year)
        counted = raw - len(bad) - len(missing)
        if counted < needed:
            reasons = []
            if bad:
                reasons.append(f"{'、'.join(str(y) for y in bad)}年度考核为基本合格及以下")
            if missing:
                reasons.append(f"{'、'.join(str(y) for y in missing)}年度未申报年度考核结果")
            yield Refusal(
                "EL-4",
                "assessment_years_not_counted",
                f"{'；'.join(reasons)}，不计入任职年限；计入年限{counted}年，不满{needed}年",
                facts={**facts, "not_counted": bad, "missing": missing, "counted": counted},
            )


def _relaxed_by(i: _Inputs) -> int:
    """NA-4: years fewer that a relaxed talent needs; 0 when the declaration or the pack does not relax."""
    p = i.pack.parameters
    category = i.d.relaxed_category
    if category is None or category not in p.relaxed_seniority_categories.value:
        return 0
    if category == "grassroots_long_term" and (i.d.grassroots_years or 0) < p.grassroots_long_term_min_years.value:
        return 0
    return p.relaxed_seniority_years_fewer.value


def _na_4_grassroots(i: _Inputs) -> Iterable[Refusal]:
    """NA-4: a declared long-term grassroots talent has the pack's years at the grassroots."""
    d = i.d
    minimum = i.pack.parameters.grassroots_long_term_min_years.value
    if d.relaxed_category == "grassroots_long_term" and (d.grassroots_years or 0) < minimum:
        yield Refusal(
            "NA-4",
            "grassroots_years_too_few",
            f"基层一线工作{d.grassroots_years or 0}年，不满{minimum}年，不属于长期在基层一线工作的人员",
            facts={"grassroots_years": d.grassroots_years, "required": minimum},
        )


def _without_title(i: _Inputs) -> Iterable[Refusal]:
    d = i.d
    lowest = min(
        (r for r in RANK_ORDER if (s := i.catalog.get(d.target.series)) and s.title(r)),
        default=Rank.ASSISTANT,
        key=RANK_ORDER.index,
    )
    if d.target.rank == lowest:
        return
    years = full_years(d.applicant.education.graduated_on, counted_to(i.pack, d.target.year))
    needed = i.pack.parameters.years_since_graduation_required.value.get(d.target.rank, 0)
    allowed = (
        i.private
        and d.applicant.education.full_time
        and i.pack.parameters.private_graduate_direct_next_level_enabled.value
    )
    if not allowed:
        yield Refusal(
            "EL-13",
            "first_title_by_initial_determination",
            "未取得职称的人员须先初定；只有民营企业全日制毕业生可直接申报上一层级",
            facts={"ownership": i.ownership, "full_time": d.applicant.education.full_time},
        )
    elif years < needed:
        yield Refusal(
            "EL-13",
            "too_few_years_since_graduation",
            f"毕业后工作年限{years}年，不满直接申报{rank_name(d.target.rank)}所需的{needed}年",
            facts={"graduated_on": d.applicant.education.graduated_on.isoformat(), "years": years, "required": needed},
        )


def _assessments(i: _Inputs) -> Iterable[Refusal]:
    d = i.d
    if i.exempt or i.direct or d.kind == "initial_determination":
        return  # EL-7
    grades = i.grades
    if not recent_assessment_ok(i.pack, grades, d.target.year):
        back = i.pack.parameters.recent_assessment_years_back.value
        yield Refusal(
            "EL-5",
            "recent_assessment_missing",
            f"{d.target.year - back}至{d.target.year}年度须至少有一次合格及以上的年度考核",
            facts={"assessments": {str(y): g for y, g in sorted(grades.items())}, "ownership": i.ownership},
        )
    if d.kind == "exceptional":
        needed = i.pack.parameters.exceptional_excellent_min_count.value
        window = i.pack.parameters.exceptional_excellent_window_years.value
        count = excellent_count(i.pack, grades, d.target.year)
        if count < needed:
            yield Refusal(
                "EL-6",
                "exceptional_needs_excellent",
                f"破格申报须近{window}年内至少有{needed}次年度考核优秀，现有{count}次",
                facts={"window_years": window, "excellent": count, "required": needed},
            )


def _transfer(i: _Inputs) -> Iterable[Refusal]:
    d = i.d
    years = i.pack.parameters.transfer_min_years_in_new_post.value
    in_post = full_years(d.post_changed_on, i.ctx.today) if d.post_changed_on else None
    t = d.current_title
    if d.kind == "transfer":
        if t is None or t.series == d.target.series or level_of(t.rank) != level_of(d.target.rank):
            yield Refusal("EL-8", "transfer_same_level_other_series", "转评须申报另一系列的同一层级职称", facts={})
        if in_post is None or in_post < years:
            yield Refusal(
                "EL-8",
                "transfer_too_early",
                f"转评须在新岗位工作满{years}年",
                facts={"post_changed_on": str(d.post_changed_on), "years": in_post},
            )
        elif not i.exempt and not recent_assessment_ok(i.pack, i.grades, d.target.year):
            yield Refusal("EL-8", "transfer_assessment", "转评须在新岗位年度考核合格及以上", facts={})
    elif (
        d.post_changed_on is not None
        and t is not None
        and t.series != d.target.series
        and not i.direct
        and not i.unbound
    ):
        yield Refusal(
            "EL-8",
            "transfer_first",
            f"变更单位或岗位后须先转评取得{series_name(d.target.series)}系列同级职称，方可申报晋升",
            facts={"current_series": t.series, "target_series": d.target.series},
        )


def highest_held(i: _Inputs) -> tuple[HeldTitle, Rank] | None:
    """EL-9: the highest title the applicant holds by a valid certificate of this platform (None: none)."""
    ranked = [(title, title.rank(i.catalog)) for title in i.ctx.titles_held]
    return max(ranked, key=lambda pair: RANK_ORDER.index(pair[1])) if ranked else None


def _ladder(i: _Inputs) -> Iterable[Refusal]:
    """EL-9 level by level, from the current title: the declared one, or the highest title held by
    certificate when that is higher (or nothing is declared). A real title only ever raises the
    floor: a title obtained before the platform or elsewhere is not in ``titles_held``."""
    d = i.d
    if i.direct or i.unbound or d.kind in ("skilled_worker", "transfer", "initial_determination"):
        return
    t = d.current_title
    held = highest_held(i)
    by_certificate = held is not None and (t is None or RANK_ORDER.index(held[1]) > RANK_ORDER.index(t.rank))
    if by_certificate:
        assert held is not None
        title, current = held
        said = f"已持有的职称{title.title_name}（证书 {title.certificate_number}）"
        source = {"current_from": "titles_held", "certificate_number": title.certificate_number}
    elif t is not None:
        current, said, source = t.rank, f"现职称{rank_name(t.rank)}", {}
    else:
        return
    step = i.pack.parameters.max_level_step.value
    extra = 1 if d.kind == "exceptional" else 0  # NA-4: exceptional applicants may skip one level
    gap = steps_between(current, d.target.rank)
    if gap <= 0:
        yield Refusal(
            "EL-9",
            "not_a_promotion",
            f"申报层级须高于{said}" if by_certificate else f"申报层级须高于现职称（{rank_name(current)}）",
            facts={"current": current.value, "target": d.target.rank.value, **source},
        )
    elif gap > step + extra:
        yield Refusal(
            "EL-9",
            "skips_a_level",
            f"须逐级申报：{said}，只可申报高{step + extra}级",
            facts={"current": current.value, "target": d.target.rank.value, "max_step": step + extra, **source},
        )


def _exceptional(i: _Inputs) -> Iterable[Refusal]:
    if i.d.kind != "exceptional":
        return
    major = [a for a in i.d.achievements if a.major and a.level in ("national", "provincial")]
    if not major:
        yield Refusal(
            "NA-4",
            "exceptional_needs_major_contribution",
            "破格申报须有省级及以上的重大突破或突出贡献",
            facts={"achievements": len(i.d.achievements)},
        )


def _initial(i: _Inputs) -> Iterable[Refusal]:
    d = i.d
    if d.kind != "initial_determination":
        return
    deadline = i.pack.parameters.initial_determination_deadline.value.in_year(d.target.year)
    lowest_ok = d.target.rank in (Rank.CLERK, Rank.ASSISTANT) or (
        d.target.rank == Rank.INTERMEDIATE and d.applicant.education.level == "doctorate"
    )
    if d.current_title is not None or not d.applicant.education.full_time or not lowest_ok:
        yield Refusal(
            "EL-10",
            "initial_only_first_title",
            "初定只适用于尚无职称的全日制毕业生的首个职称",
            facts={"target": d.target.rank.value},
        )
    if i.ctx.today > deadline:
        yield Refusal(
            "EL-10",
            "initial_after_deadline",
            f"初定须在{deadline.isoformat()}前完成",
            facts={"deadline": deadline.isoformat(), "today": i.ctx.today.isoformat()},
        )


# EL-11: kinds that are not promotion applications: initial determination (EL-10) and direct
# recognition (EL-14 high-level talents and postdocs, EL-16 professional qualifications).
NOT_PROMOTION_KINDS = frozenset({"initial_determination", "high_level_talent", "postdoc", "qualification_mapping"})


def uses_the_year(pack: PolicyPack, other: OtherDeclaration) -> bool:
    """EL-11: a submitted declaration uses the person's application of its year whatever its
    outcome (rejected, disqualified, abandoned, not passed); only a withdrawal by the applicant
    before the first review decision frees it, where the pack says so."""
    if other.kind in NOT_PROMOTION_KINDS or other.status == "draft":
        return False
    freed = other.status == "withdrawn" and other.withdrawn_before_review
    return not (freed and pack.parameters.withdrawal_before_review_frees_year.value)


def _once_a_year(i: _Inputs) -> Iterable[Refusal]:
    limit = i.pack.parameters.max_promotion_applications_per_year.value
    same_year = [o for o in i.ctx.other_declarations if o.year == i.d.target.year and uses_the_year(i.pack, o)]
    if i.d.kind not in NOT_PROMOTION_KINDS and len(same_year) >= limit:
        yield Refusal(
            "EL-11",
            "one_promotion_per_year",
            f"每人每年只能申报{limit}个晋升评审，本年度已申报"
            f"{series_name(same_year[0].series)}系列{specialty_name(same_year[0].series, same_year[0].specialty)}专业",
            facts={"existing": [str(o.declaration_id) for o in same_year], "limit": limit},
        )


def _skilled_worker(i: _Inputs) -> Iterable[Refusal]:
    d = i.d
    if d.kind != "skilled_worker":
        return
    p = i.pack.parameters
    if not p.skilled_worker_bridge_enabled.value or d.target.series not in p.skilled_worker_bridge_series.value:
        yield Refusal(
            "EL-12",
            "series_not_bridged",
            f"{series_name(d.target.series)}系列不对技能人才开放贯通",
            facts={"series": d.target.series},
        )
        return
    level = level_of(d.target.rank)
    rows = {row.skill_level: row for row in p.skilled_worker_bridge.value}
    eligible = []
    for cert in d.skill_certificates:
        row = rows.get(cert.level)
        if row is None or row.title_level != level or cert.specialty != d.target.specialty:
            continue
        eligible.append((cert, row, years_in_title(i.pack, cert.obtained_on, d.target.year)))
    if not eligible:
        yield Refusal(
            "NA-17",
            "skill_level_does_not_match",
            f"技能等级证书与申报层级{level_name(level)}、"
            f"专业{specialty_name(d.target.series, d.target.specialty)}不对应",
            facts={"certificates": [c.level for c in d.skill_certificates], "level": level},
        )
    elif not any(years >= row.years_required for _, row, years in eligible):
        cert, row, years = eligible[0]
        yield Refusal(
            "NA-17",
            "too_few_years_with_skill",
            f"取得{code_name('skill_levels', cert.level)}证书后须满{row.years_required}年，现为{years}年",
            facts={"obtained_on": cert.obtained_on.isoformat(), "years": years, "required": row.years_required},
        )


def _recognition(i: _Inputs) -> Iterable[Refusal]:
    d = i.d
    p = i.pack.parameters
    if d.kind in ("high_level_talent", "postdoc"):
        if not p.direct_recognition_enabled.value or not i.private:
            yield Refusal(
                "EL-14",
                "direct_recognition_not_open",
                "直接认定只适用于民营企业引进的高层次人才和企业博士后",
                facts={"ownership": i.ownership},
            )
        elif d.kind == "postdoc" and d.target.rank != Rank.ASSOCIATE_SENIOR:
            yield Refusal(
                "EL-14",
                "postdoc_associate_senior",
                "企业博士后直接认定副高级职称",
                facts={"target": d.target.rank.value},
            )
    if i.table.exam_instead_of(d.target.series, d.target.rank) and d.kind != "qualification_mapping":
        yield Refusal(
            "EL-16",
            "exam_instead",
            f"{series_name(d.target.series)}系列{rank_name(d.target.rank)}以考代评，不进行评审",
            facts={"series": d.target.series, "rank": d.target.rank.value},
        )
    exam = i.table.exam_needed(d.target.series, d.target.rank)
    if exam and d.kind != "qualification_mapping" and not any(q.name == exam for q in d.qualifications):
        yield Refusal("EL-16", "exam_required", f"考评结合：申报前须通过{exam}", facts={"exam": exam})
    if d.kind == "qualification_mapping":
        if not p.qualification_recognition_enabled.value:
            yield Refusal("EL-16", "qualification_recognition_closed", "本地未开放职业资格直接认定", facts={})
            return
        region = d.applicant.employer.region
        mapped = [
            m for q in d.qualifications if (m := i.table.title_for(q.name, region=region, on=q.obtained_on)) is not None
        ]
        if not any(m.series == d.target.series and m.rank == d.target.rank for m in mapped):
            yield Refusal(
                "NA-18",
                "qualification_does_not_map",
                f"所持职业资格不对应{series_name(d.target.series)}系列{rank_name(d.target.rank)}职称",
                facts={
                    "qualifications": [q.name for q in d.qualifications],
                    "mapped": [f"{m.series}/{m.rank.value}" for m in mapped],
                },
            )


def _dates(i: _Inputs) -> Iterable[Refusal]:
    # EL-3: education and achievements count only if obtained before the declaration deadline.
    deadline = i.deadline
    if deadline is None:
        return
    late = [a.title for a in i.d.achievements if a.date > deadline]
    if i.d.applicant.education.graduated_on > deadline:
        late.append(i.d.applicant.education.major)
    if late:
        yield Refusal(
            "EL-3",
            "obtained_after_deadline",
            f"以下学历或业绩取得于申报截止日{deadline.isoformat()}之后，不予计算：{'、'.join(late)}",
            facts={"deadline": deadline.isoformat(), "items": late},
        )


def _papers(i: _Inputs) -> Iterable[Refusal]:
    # EL-19: papers are not mandatory for private-enterprise applicants unless the pack says so.
    required = i.pack.parameters.private_enterprise_papers_required.value
    if i.private and required and not any(a.kind == "paper" for a in i.d.achievements):
        yield Refusal("EL-19", "paper_required", "本政策要求申报人提交论文", facts={})


def _continuing_education(i: _Inputs) -> Iterable[Refusal]:
    p = i.pack.parameters
    year = i.d.target.year - 1
    hours = {"public": 0, "professional": 0}
    for entry in i.d.continuing_education:
        if entry.year == year:
            hours[entry.subject_kind] += entry.hours
    checks = [
        ("total", hours["public"] + hours["professional"], p.continuing_education_total_hours_min.value),
        ("public", hours["public"], p.continuing_education_public_hours_min.value),
        ("professional", hours["professional"], p.continuing_education_professional_hours_min.value),
    ]
    for kind, have, minimum in checks:
        if minimum is not None and have < minimum:
            yield Refusal(
                "ED-1",
                f"continuing_education_{kind}",
                f"{year}年度继续教育（{code_name('continuing_education_kinds', kind)}）{have}学时，不满{minimum}学时",
                facts={"year": year, "hours": have, "required": minimum},
            )


def _commitment(i: _Inputs) -> Iterable[Refusal]:
    # NA-5: what can be checked is covered by a written commitment instead of paper proofs.
    if not i.d.written_commitment:
        yield Refusal("NA-5", "commitment_required", "须签署告知承诺书（可核验的证明材料不再另行提交）", facts={})


def _integrity(i: _Inputs) -> Iterable[Refusal]:
    if i.ctx.integrity_bars:
        yield Refusal(
            "EL-20",
            "integrity_bar",
            "申报人有限制申报的失信记录，在有效期内不得申报",
            facts={"records": list(i.ctx.integrity_bars)},
        )


RULES: tuple[Rule, ...] = (
    _catalog,
    _committee_scope,
    _window,
    _channel,
    _in_service,
    _leave_and_posting,
    _seniority,
    _na_4_grassroots,
    _assessments,
    _transfer,
    _ladder,
    _exceptional,
    _initial,
    _once_a_year,
    _skilled_worker,
    _recognition,
    _dates,
    _papers,
    _continuing_education,
    _commitment,
    _integrity,
)


#: Every rule id the engine checks (named in the journal entry of an accepted submission).
CHECKED_RULES: tuple[str, ...] = (
    *(f"CH-{n}" for n in range(1, 4)),
    *(f"EL-{n}" for n in range(1, 21)),
    "ED-1",
    "NA-3",
    "NA-4",
    "NA-5",
    "NA-17",
    "NA-18",
    "CM-4",
    "CM-5",
)


def check_eligibility(
    declaration: DeclarationCreate,
    *,
    pack: PolicyPack,
    catalog: SeriesCatalog,
    table: QualificationTable,
    context: EligibilityContext,
) -> list[Refusal]:
    """Every failed rule of the declaration; empty = eligible."""
    inputs = _Inputs(declaration, pack, catalog, table, context)
    return [failure for rule in RULES for failure in rule(inputs)]


# --- state machine -----------------------------------------------------------------------------

TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"submitted", "withdrawn"}),
    "submitted": frozenset({"returned", "withdrawn", "qualified", "disqualified", "rejected"}),
    "returned": frozenset({"resubmitted", "abandoned", "withdrawn"}),
    "resubmitted": frozenset({"returned", "withdrawn", "qualified", "disqualified", "rejected"}),
    "withdrawn": frozenset(),
    "abandoned": frozenset(),
    "qualified": frozenset(),
    "disqualified": frozenset(),
    "rejected": frozenset(),
}
# Statuses in which no review decision has been made yet: a withdrawal from here frees the year (EL-11).
BEFORE_REVIEW_STATUSES: frozenset[DeclarationStatus] = frozenset({"draft", "submitted"})


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def changed_paths(before: Any, after: Any, prefix: str = "") -> set[str]:
    """Dotted paths of the leaves that differ between two JSON documents."""
    if isinstance(before, dict) and isinstance(after, dict):
        paths: set[str] = set()
        for key in before.keys() | after.keys():
            paths |= changed_paths(before.get(key), after.get(key), f"{prefix}.{key}" if prefix else key)
        return paths
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        paths = set()
        for n, (a, b) in enumerate(zip(before, after, strict=True)):
            paths |= changed_paths(a, b, f"{prefix}.{n}")
        return paths
    return set() if before == after else {prefix}


def outside_correction(paths: Iterable[str], allowed: Iterable[str]) -> list[str]:
    """RV-3: paths changed that no correction item lists (an item covers its sub-fields)."""
    fields = [a.strip(".") for a in allowed]
    return sorted(p for p in paths if not any(p == f or p.startswith(f + ".") for f in fields))


def correction_deadline_refusal(deadline: date | None, today: date) -> Refusal | None:
    """RV-3: a returned declaration is changed and resubmitted by its correction deadline (that day included)."""
    if deadline is not None and today > deadline:
        return Refusal("RV-3", "correction_deadline_passed", f"补正期限{deadline.isoformat()}已过")
    return None


def correction_scope_refusal(changed: Iterable[str], listed: Sequence[str]) -> Refusal | None:
    """RV-3: a correction changes only what the return listed (naming every field changed outside it)."""
    outside = outside_correction(changed, listed)
    if not outside:
        return None
    return Refusal(
        "RV-3",
        "outside_correction_list",
        "只能修改一次性告知中列出的项目：" + "、".join(listed),
        parts=tuple(Refusal("RV-3", "not_listed", "此项不在补正清单中", (path,)) for path in outside),
    )


def attachment_refusal(kind: str, not_asked_again: Sequence[str], rule: str) -> Refusal | None:
    """NA-5: proof that is checked elsewhere (licences, department data, online) is not uploaded."""
    if kind not in not_asked_again:
        return None
    name = attachment_kind_name(kind)
    return Refusal(rule, "proof_not_required", f"{name}可通过证照、部门数据或网上核验，无需上传（告知承诺）").for_field(
        "kind", "verifiable_elsewhere", f"{name}无需上传"
    )


def future_dates(declaration: DeclarationCreate, today: date) -> list[str]:
    """Fields holding a date after today (a declaration states facts, not plans)."""
    out: list[str] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else key)
        elif isinstance(value, list):
            for n, item in enumerate(value):
                walk(item, f"{path}.{n}")
        elif isinstance(value, date) and value > today and not path.endswith("sanction.until"):
            out.append(path)

    walk(declaration.model_dump(), "")
    return out
