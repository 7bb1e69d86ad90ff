"""Pure rules of the review: chains, returns, city-level refusals, batches, publicity, signatures."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.policy import ReviewChain, ReviewChains, load_pack
from zhicheng_common.problems import Conflict, ProblemError, RuleRefused
from zhicheng_common.refusals import Refusal, refused
from zhicheng_review import domain
from zhicheng_review.domain import CorrectionItem, Outcome

CAL = WorkingDayCalendar()
PACK = load_pack("shanxi-2024")
CHAINS = PACK.parameters.review_chains.value
NOT_ASKED_AGAIN = PACK.parameters.not_asked_again_fields
# National Day 2024: 1–7 October off; Sunday 29 September and Saturday 12 October are make-up days.
BEFORE_NATIONAL_DAY = date(2024, 9, 26)


def _chain(chains: ReviewChains = CHAINS, *, channel: str, level: str) -> ReviewChain:
    chain = domain.select_chain(chains, channel=channel, level=level)
    assert isinstance(chain, ReviewChain), chain
    return chain


def _refusal(refusal: Refusal | ReviewChain | None) -> Refusal:
    assert isinstance(refusal, Refusal), refusal
    return refusal


def test_CH_1_employer_chain_runs_unit_publicity_department_city_committee_office() -> None:
    chain = _chain(channel="employer", level="intermediate")
    assert [s.key for s in chain.steps] == [
        "unit_review",
        "unit_publicity",
        "department_review",
        "city_hr_review",
        "committee_office_review",
    ]
    assert [s.role for s in chain.steps] == [
        "unit_reviewer",
        "unit_reviewer",
        "dept_reviewer",
        "hr_reviewer",
        "committee_office",
    ]


def test_CH_1_hr_department_channel_is_the_fallback_chain_through_county_hr() -> None:
    chain = _chain(channel="hr_department", level="junior")
    assert chain.id == "hr_fallback"
    assert chain.steps[0].role == "hr_reviewer"


def test_CH_2_industry_association_reviews_publicizes_and_recommends() -> None:
    chain = _chain(channel="industry_association", level="senior")
    assert chain.id == "association"
    assert [s.kind for s in chain.steps[:2]] == ["review", "publicity"]


def test_CH_1_unknown_channel_takes_the_default_chain() -> None:
    assert _chain(channel="something_new", level="junior").id == "unit"


def test_CH_1_unknown_level_is_refused_with_the_rule() -> None:
    refusal = _refusal(domain.select_chain(CHAINS, channel="employer", level="grandmaster"))
    assert (refusal.rule, refusal.code) == ("CH-1", "no_review_chain")


def test_CH_4_every_chain_has_a_review_step_before_and_after_publicity_and_ends_at_the_committee_office() -> None:
    for chain in CHAINS.chains:
        assert chain.steps[0].kind == "review"
        assert chain.steps[-1].role == "committee_office"
        assert any(s.kind == "publicity" for s in chain.steps)


def test_RV_3_a_return_without_items_is_refused() -> None:
    problem = refused(_refusal(domain.return_items_refusal([])))
    assert isinstance(problem, RuleRefused)
    assert (problem.status, problem.code, problem.rule) == (409, "correction_items_required", "RV-3")
    assert [(e.field, e.code, e.rule) for e in problem.errors] == [("items", "required", "RV-3")]


def test_RV_3_a_return_lists_each_item_once() -> None:
    items = [CorrectionItem(field="education", message="a"), CorrectionItem(field="education", message="b")]
    problem = refused(_refusal(domain.return_items_refusal(items)))
    assert problem.code == "correction_items_duplicated"
    assert [(e.field, e.code, e.message) for e in problem.errors] == [("items", "duplicated", "重复的事项：education")]
    assert domain.return_items_refusal([CorrectionItem(field="education", message="a")]) is None


def test_RV_3_correction_deadline_counts_working_days_across_national_day() -> None:
    days = PACK.parameters.correction_deadline_working_days
    assert days.rule == "RV-3"
    # 27 Sep 2024 (Fri): 29 Sep (make-up Sunday), 30 Sep, 8, 9, 10 Oct.
    assert domain.correction_deadline(CAL, date(2024, 9, 27), days.value) == date(2024, 10, 10)


def test_RV_4_city_hr_may_not_amend_a_declaration() -> None:
    city = _chain(channel="employer", level="intermediate").steps[3]
    assert city.returns_only
    problem = refused(_refusal(domain.outcome_refusal(city, Outcome.PASS, {"education": "本科"}, returns_only=True)))
    assert (problem.code, problem.rule) == ("amendment_not_allowed", "RV-4")
    assert [(e.field, e.rule) for e in problem.errors] == [("amendments", "RV-4")]


def test_RV_4_city_hr_may_return_without_amending() -> None:
    city = _chain(channel="employer", level="intermediate").steps[3]
    assert domain.outcome_refusal(city, Outcome.RETURN, {}, returns_only=True) is None


def test_RV_1_no_level_amends_a_declaration() -> None:
    unit = _chain(channel="employer", level="intermediate").steps[0]
    refusal = _refusal(domain.outcome_refusal(unit, Outcome.PASS, {"x": 1}, returns_only=True))
    assert (refusal.rule, refusal.code) == ("RV-1", "amendment_not_allowed")


def test_RV_6_no_decision_at_a_publicity_step() -> None:
    publicity = _chain(channel="employer", level="intermediate").steps[1]
    refusal = _refusal(domain.outcome_refusal(publicity, Outcome.PASS, {}, returns_only=True))
    # No rule names it: the problem is a plain 409 conflict, not a rule refusal.
    assert (refusal.rule, refusal.code) == (None, "not_a_review_step")
    problem = refused(refusal)
    assert isinstance(problem, Conflict)
    assert not isinstance(problem, RuleRefused)
    assert (problem.status, problem.rule) == (409, None)


def test_RV_5_department_batch_after_its_deadline_is_refused() -> None:
    department = _chain(channel="employer", level="intermediate").steps[2]
    due = domain.step_due(CAL, BEFORE_NATIONAL_DAY, department)
    assert due == date(2024, 10, 9)  # 5 working days across National Day
    assert domain.batch_late_refusal(department, due=due, today=date(2024, 10, 9)) is None
    refusal = _refusal(domain.batch_late_refusal(department, due=due, today=date(2024, 10, 10)))
    assert (refusal.rule, refusal.code) == ("RV-5", "batch_late")


def test_RV_5_other_steps_have_no_batch_deadline() -> None:
    unit = _chain(channel="employer", level="intermediate").steps[0]
    assert domain.batch_late_refusal(unit, due=date(2024, 1, 1), today=date(2024, 12, 1)) is None


def test_RV_6_publicity_of_5_working_days_across_national_day_2024_is_open_through_9_october() -> None:
    days = PACK.parameters.publicity_working_days
    assert days.rule == "RV-6"
    assert "NA-6" in days.also
    assert "NA-11" in days.also
    # Opened Thu 26 Sep 2024 (not counted): Fri 27 = 1, Sun 29 (make-up) = 2, Mon 30 = 3, 1–7 Oct off,
    # Tue 8 = 4, Wed 9 = 5. Open through the end of 9 October; closes on 10 October at the earliest.
    open_through = domain.publicity_open_through(CAL, BEFORE_NATIONAL_DAY, days.value)
    assert open_through == date(2024, 10, 9)
    assert domain.publicity_closes_on(open_through) == date(2024, 10, 10)
    assert domain.publicity_accepts_objections(today=date(2024, 10, 9), open_through=open_through)
    assert not domain.publicity_accepts_objections(today=date(2024, 10, 10), open_through=open_through)
    assert not domain.can_close_publicity(today=date(2024, 10, 9), open_through=open_through, open_objections=0)
    assert domain.can_close_publicity(today=date(2024, 10, 10), open_through=open_through, open_objections=0)


def test_RV_6_publicity_across_national_day_2026_is_open_through_13_october() -> None:
    # Official arrangement for 2026 (国务院办公厅, 2025-11): 1–7 October off; Sunday 20 September and
    # Saturday 10 October are make-up working days. Opened Wed 30 Sep 2026 (not counted): 1–7 Oct off,
    # Thu 8 = 1, Fri 9 = 2, Sat 10 (make-up) = 3, Sun 11 off, Mon 12 = 4, Tue 13 = 5.
    open_through = domain.publicity_open_through(CAL, date(2026, 9, 30), 5)
    assert open_through == date(2026, 10, 13)
    assert domain.publicity_accepts_objections(today=date(2026, 10, 13), open_through=open_through)
    assert not domain.can_close_publicity(today=date(2026, 10, 13), open_through=open_through, open_objections=0)
    refusal = _refusal(
        domain.publicity_close_refusal(today=date(2026, 10, 13), open_through=open_through, open_objections=0)
    )
    assert (refusal.code, refusal.rule) == ("publicity_too_short", "RV-6")
    assert "2026-10-14" in refusal.message
    assert (
        domain.publicity_close_refusal(today=date(2026, 10, 14), open_through=open_through, open_objections=0) is None
    )


def test_RV_6_publicity_with_an_unresolved_objection_cannot_close() -> None:
    assert not domain.can_close_publicity(today=date(2024, 12, 1), open_through=date(2024, 10, 9), open_objections=1)
    refusal = _refusal(
        domain.publicity_close_refusal(today=date(2024, 12, 1), open_through=date(2024, 10, 9), open_objections=1)
    )
    assert (refusal.code, refusal.rule) == ("objections_unresolved", "RV-6")


def test_RV_6_an_objection_after_the_last_day_or_on_a_closed_publicity_is_refused() -> None:
    last_day = date(2024, 10, 9)
    assert domain.objection_refusal(open=True, today=last_day, open_through=last_day) is None
    late = _refusal(domain.objection_refusal(open=True, today=date(2024, 10, 10), open_through=last_day))
    closed = _refusal(domain.objection_refusal(open=False, today=last_day, open_through=last_day))
    assert (late.rule, late.code) == (closed.rule, closed.code) == ("RV-6", "publicity_closed")


def test_NA_6_unit_publicity_lasts_the_packs_working_days() -> None:
    step = _chain(channel="employer", level="intermediate").steps[1]
    assert step.kind == "publicity"
    assert step.rule == "NA-6"
    assert "NA-6" in PACK.parameters.publicity_working_days.also


def test_NA_11_publicity_never_closes_before_its_working_days_have_passed() -> None:
    open_through = domain.publicity_open_through(CAL, date(2024, 12, 27), PACK.parameters.publicity_working_days.value)
    # New Year's Day 2025 is a holiday: 30, 31 Dec, 2, 3, 6 Jan; open through 6 January, closes on the 7th.
    assert open_through == date(2025, 1, 6)
    assert not domain.can_close_publicity(today=date(2025, 1, 6), open_through=open_through, open_objections=0)


@given(
    opened=st.dates(min_value=date(2024, 1, 1), max_value=date(2025, 11, 30)),
    days=st.integers(min_value=1, max_value=30),
)
def test_RV_6_a_publicity_spans_exactly_its_working_days(opened: date, days: int) -> None:
    open_through = domain.publicity_open_through(CAL, opened, days)
    assert CAL.working_days_between(opened, open_through) == days
    assert CAL.is_working_day(open_through)
    # Open through the whole last day, closable from the next day on.
    assert domain.publicity_accepts_objections(today=open_through, open_through=open_through)
    assert not domain.can_close_publicity(today=open_through, open_through=open_through, open_objections=0)
    after = open_through + timedelta(days=1)
    assert domain.can_close_publicity(today=after, open_through=open_through, open_objections=0)


@given(
    today=st.dates(min_value=date(2024, 1, 1), max_value=date(2025, 11, 30)),
    offset=st.integers(min_value=-40, max_value=40),
)
def test_working_days_left_is_negative_exactly_when_overdue(today: date, offset: int) -> None:
    due = today + timedelta(days=offset)
    left = domain.working_days_left(CAL, today, due)
    assert left is not None
    if due < today:
        assert left <= 0
    else:
        assert left >= 0


def test_CH_4_signed_content_is_canonical_and_changes_with_the_opinion() -> None:
    at = datetime(2024, 9, 26, 2, 0, tzinfo=UTC)
    content = domain.decision_content(
        decision_id="d",
        declaration_id="x",
        step="unit_review",
        outcome="pass",
        opinion="同意",
        items=[],
        signer_subject="u1",
        signer_role="unit_reviewer",
        signer_unit="单位",
        decided_at=at,
    )
    assert domain.canonical_json(content) == domain.canonical_json(dict(reversed(list(content.items()))))
    edited = {**content, "opinion": "同意。"}
    assert domain.canonical_json(edited) != domain.canonical_json(content)


def test_statistics_median_and_nearest_rank_p90() -> None:
    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert domain.median(values) == 5.5
    assert domain.percentile(values, 0.9) == 9.0
    assert domain.median([]) is None
    assert domain.percentile([], 0.9) is None


def test_NA_5_a_return_may_not_ask_again_for_what_is_verifiable_online() -> None:
    items = [CorrectionItem(field="education_verification", message="请提供学历认证报告")]
    problem = refused(_refusal(domain.proof_asked_again_refusal(items, NOT_ASKED_AGAIN.value)))
    assert (problem.code, problem.rule) == ("proof_not_to_be_asked", "NA-5")
    assert [(e.field, e.code) for e in problem.errors] == [("items", "verifiable_elsewhere")]


def test_RV_2_a_return_may_ask_for_declaration_material_itself() -> None:
    assert "RV-2" in NOT_ASKED_AGAIN.also
    items = [CorrectionItem(field="achievements.paper_1", message="论文检索页缺失")]
    assert domain.proof_asked_again_refusal(items, NOT_ASKED_AGAIN.value) is None


@given(st.lists(st.integers(min_value=0, max_value=40), max_size=60), st.sampled_from([0.1, 0.5, 0.9, 1.0]))
def test_statistics_from_counts_per_span_equal_those_over_every_stay(values: list[int], q: float) -> None:
    """Statistics aggregate in SQL (issue 12): counts per value give the same median and p90."""
    counts = Counter(values)
    assert domain.counted_median(counts) == _median_of_list(values)
    assert domain.counted_percentile(counts, q) == _percentile_of_list(values, q)


def test_statistics_from_counts_worked_by_hand() -> None:
    # 3 stays of 2 days, 1 of 5, 4 of 7 (8 stays): sorted 2,2,2,5,7,7,7,7; median (5+7)/2; p90 rank 8 → 7.
    counts = {2: 3, 5: 1, 7: 4}
    assert domain.counted_median(counts) == 6.0
    assert domain.counted_percentile(counts, 0.9) == 7.0
    assert domain.counted_median({}) is None


def _median_of_list(values: list[int]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _percentile_of_list(values: list[int], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(1, math.ceil(q * len(ordered))) - 1])


def test_CH_1_a_missing_chain_is_named_in_chinese_for_display() -> None:
    only_senior = CHAINS.model_copy(
        update={"chains": tuple(c.model_copy(update={"levels": ("senior",)}) for c in CHAINS.chains)}
    )
    refusal = _refusal(domain.select_chain(only_senior, channel="employer", level="junior"))
    assert refusal.message == "申报渠道“用人单位”的初级层级没有配置审核链"
    assert refused(refusal).detail == "申报渠道“用人单位”的初级层级没有配置审核链"


def test_IN_1_disqualifying_without_facts_is_a_bad_request_naming_the_facts_field() -> None:
    refusal = _refusal(domain.decision_input_refusal(Outcome.DISQUALIFY, items=[], facts=None))
    problem = refused(refusal, error=ProblemError)
    assert (problem.status, problem.code, problem.rule) == (400, "facts_required", "IN-1")
    assert [(e.field, e.code, e.rule) for e in problem.errors] == [("facts", "required", "IN-1")]
    assert domain.decision_input_refusal(Outcome.DISQUALIFY, items=[], facts="伪造论文") is None


def test_RV_3_items_belong_to_a_return_only() -> None:
    items = [CorrectionItem(field="education", message="a")]
    refusal = _refusal(domain.decision_input_refusal(Outcome.PASS, items=items, facts=None))
    assert (refusal.rule, refusal.code) == (None, "items_only_for_return")
    assert [(e.field, e.code) for e in refusal.field_errors()] == [("items", "not_allowed")]
    assert domain.decision_input_refusal(Outcome.RETURN, items=items, facts=None) is None


def test_RV_6_an_upheld_objection_names_its_action() -> None:
    refusal = _refusal(domain.resolution_refusal("upheld", None))
    assert (refusal.rule, refusal.code) == ("RV-6", "action_required")
    assert [e.field for e in refusal.field_errors()] == ["action"]
    assert domain.resolution_refusal("upheld", "return") is None
    assert domain.resolution_refusal("dismissed", None) is None


def test_NA_12_a_re_examination_conclusion_states_its_reasons() -> None:
    problem = refused(_refusal(domain.reexamination_outcome_refusal("")), error=ProblemError)
    assert (problem.status, problem.code, problem.rule) == (400, "outcome_text_required", "NA-12")
    assert [(e.field, e.code) for e in problem.errors] == [("outcome_text", "required")]
    assert domain.reexamination_outcome_refusal("论文确已公开发表，维持原结论") is None
