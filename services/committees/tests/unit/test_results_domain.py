"""Results publicity, confirmation, re-examination and pass rates as pure rules (NA-11, NA-12, NA-14,
MT-5). Dates are counted by hand on the 2024 calendar of the State Council."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from zhicheng_committees.result.domain import (
    ResultStatus,
    confirmation_refusal,
    pass_rate,
    reexamination_decision_refusal,
    result_objection_refusal,
    results_publicity_open_through,
    title_name,
)
from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.policy import pack_by_id

PACK = pack_by_id("shanxi-2024")
CAL = WorkingDayCalendar()


def test_NA_11_NA_14_a_publicity_opened_friday_27_september_2024_lasts_through_thursday_10_october() -> None:
    # Fri 27 Sep is not counted; Sun 29 Sep is a make-up working day (1), Mon 30 Sep (2), 1-7 Oct are
    # the National Day holidays, Tue 8 (3), Wed 9 (4), Thu 10 Oct (5): 13 calendar days for 5 working.
    assert PACK.parameters.results_publicity_working_days.value == 5
    assert results_publicity_open_through(PACK, CAL, date(2024, 9, 27)) == date(2024, 10, 10)


def test_NA_11_NA_14_a_publicity_opened_monday_14_october_2024_lasts_through_monday_21_october() -> None:
    # Tue 15 (1), Wed 16 (2), Thu 17 (3), Fri 18 (4), the weekend not counted, Mon 21 Oct (5).
    assert results_publicity_open_through(PACK, CAL, date(2024, 10, 14)) == date(2024, 10, 21)


def test_NA_11_results_are_confirmed_only_after_the_last_day_and_with_every_objection_resolved() -> None:
    last = date(2024, 10, 21)
    early = confirmation_refusal(PACK, today=last, open_through=last, open_objections=0)
    assert early is not None
    assert (early.rule, early.code) == ("NA-11", "publicity_too_short")
    assert confirmation_refusal(PACK, today=date(2024, 10, 22), open_through=last, open_objections=0) is None
    pending = confirmation_refusal(PACK, today=date(2024, 10, 22), open_through=last, open_objections=1)
    assert pending is not None
    assert (pending.rule, pending.code) == ("NA-11", "objections_unresolved")


def test_NA_11_objections_are_taken_through_the_last_day_and_only_about_a_passed_applicant() -> None:
    last = date(2024, 10, 21)
    status = ResultStatus.PUBLICIZED
    assert result_objection_refusal(PACK, status=status, today=last, open_through=last, passed=True) is None
    late = result_objection_refusal(PACK, status=status, today=date(2024, 10, 22), open_through=last, passed=True)
    assert late is not None
    assert (late.rule, late.code) == ("NA-11", "publicity_closed")
    confirmed = result_objection_refusal(
        PACK, status=ResultStatus.CONFIRMED, today=last, open_through=last, passed=True
    )
    assert confirmed is not None
    assert confirmed.code == "publicity_closed"
    failed = result_objection_refusal(PACK, status=status, today=last, open_through=last, passed=False)
    assert failed is not None
    assert failed.code == "not_publicized_as_passed"


def test_the_title_name_comes_from_the_series_catalog_by_rank() -> None:
    assert title_name("engineering", level="senior", rank="senior") == "正高级工程师"
    assert title_name("engineering", level="associate_senior", rank=None) == "高级工程师"
    assert title_name("engineering", level="junior", rank="clerk") == "技术员"
    assert title_name("engineering", level="junior", rank=None) == "助理工程师"
    assert title_name("no-such-series", level="senior", rank="senior") is None


def test_NA_12_a_changed_result_names_a_different_result_and_an_upheld_one_keeps_it() -> None:
    assert reexamination_decision_refusal(outcome="changed", passed=True, current=False) is None
    same = reexamination_decision_refusal(outcome="changed", passed=False, current=False)
    assert same is not None
    assert (same.rule, same.code) == ("NA-12", "result_not_changed")
    missing = reexamination_decision_refusal(outcome="changed", passed=None, current=True)
    assert missing is not None
    assert missing.code == "result_not_changed"
    assert reexamination_decision_refusal(outcome="upheld", passed=None, current=True) is None
    flipped = reexamination_decision_refusal(outcome="upheld", passed=False, current=True)
    assert flipped is not None
    assert flipped.code == "upheld_changes_result"


def test_MT_5_pass_rates_are_percentages_with_two_decimals_half_up() -> None:
    assert pass_rate(2, 3) == Decimal("66.67")  # 66.666…
    assert pass_rate(1, 3) == Decimal("33.33")  # 33.333…
    assert pass_rate(1, 8) == Decimal("12.50")
    assert pass_rate(1, 16) == Decimal("6.25")
    assert pass_rate(1, 200) == Decimal("0.50")
    assert pass_rate(0, 0) == Decimal("0.00")
