"""Working-day calendar (NA-14): hand-computed 2024 cases, overrides, properties."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from zhicheng_common.calendar import (
    CalendarOverrides,
    Due,
    UnknownCalendarYear,
    WorkingDayCalendar,
    YearArrangement,
    statutory_holidays,
    years_span,
)

CAL = WorkingDayCalendar()

# 2024 around National Day (State Council arrangement for 2024): holidays 10-01..10-07; make-up working days
# Sunday 09-29 and Saturday 10-12. Saturday 09-28 is an ordinary weekend day.


def test_NA_14_make_up_sunday_2024_09_29_is_a_working_day() -> None:
    assert CAL.is_working_day(date(2024, 9, 29))


def test_NA_14_make_up_saturday_2024_10_12_is_a_working_day() -> None:
    assert CAL.is_working_day(date(2024, 10, 12))


@pytest.mark.parametrize("day", range(1, 8))
def test_NA_14_national_day_holidays_2024_are_not_working_days(day: int) -> None:
    assert not CAL.is_working_day(date(2024, 10, day))


def test_NA_14_ordinary_weekend_and_weekday() -> None:
    assert not CAL.is_working_day(date(2024, 9, 28))  # Saturday
    assert not CAL.is_working_day(date(2024, 10, 13))  # Sunday
    assert CAL.is_working_day(date(2024, 10, 8))  # Tuesday after the holidays


def test_NA_14_add_working_days_starts_the_day_after_the_event() -> None:
    # Fri 09-27 → next is Sat 09-28 (weekend), Sun 09-29 (make-up): 1
    assert CAL.add_working_days(date(2024, 9, 27), 1) == date(2024, 9, 29)
    # Sun 09-29 → Mon 09-30: 1
    assert CAL.add_working_days(date(2024, 9, 29), 1) == date(2024, 9, 30)
    # Mon 09-30 → 10-01..10-07 holidays → Tue 10-08: 1
    assert CAL.add_working_days(date(2024, 9, 30), 1) == date(2024, 10, 8)
    # Thu 10-10 → Fri 10-11: 1, Sat 10-12 (make-up): 2
    assert CAL.add_working_days(date(2024, 10, 10), 2) == date(2024, 10, 12)


def test_NA_14_zero_working_days_is_the_event_day() -> None:
    assert CAL.add_working_days(date(2024, 10, 3), 0) == date(2024, 10, 3)


def test_NA_14_negative_working_days_are_refused() -> None:
    with pytest.raises(ValueError, match="工作日"):
        CAL.add_working_days(date(2024, 10, 3), -1)
    with pytest.raises(ValueError, match="工作日"):
        CAL.working_days_before(date(2024, 10, 3), -1)


def test_RV_6_publicity_of_five_working_days_opened_2024_09_26_ends_2024_10_09() -> None:
    # Opened Thu 09-26: Fri 09-27 (1), Sun 09-29 make-up (2), Mon 09-30 (3),
    # holidays 10-01..10-07, Tue 10-08 (4), Wed 10-09 (5).
    assert CAL.deadline(date(2024, 9, 26), 5) == date(2024, 10, 9)


def test_NA_14_deadline_met_includes_the_last_day() -> None:
    event = date(2024, 9, 26)
    assert CAL.deadline_met(event=event, working_days=5, done=date(2024, 10, 9))
    assert CAL.deadline_met(event=event, working_days=5, done=date(2024, 9, 30))
    assert not CAL.deadline_met(event=event, working_days=5, done=date(2024, 10, 10))


def test_NA_14_working_days_between_over_national_day() -> None:
    # (09-30, 10-08]: only 10-08 → 1
    assert CAL.working_days_between(date(2024, 9, 30), date(2024, 10, 8)) == 1
    # (09-26, 10-13]: 09-27, 09-29, 09-30, 10-08, 10-09, 10-10, 10-11, 10-12 → 8
    assert CAL.working_days_between(date(2024, 9, 26), date(2024, 10, 13)) == 8
    # (10-01, 10-07]: all holidays → 0
    assert CAL.working_days_between(date(2024, 10, 1), date(2024, 10, 7)) == 0


def test_NA_14_working_days_between_empty_or_reversed_range_is_zero() -> None:
    assert CAL.working_days_between(date(2024, 10, 9), date(2024, 10, 9)) == 0
    assert CAL.working_days_between(date(2024, 10, 9), date(2024, 9, 1)) == 0


def test_EX_2_draw_on_friday_is_five_working_days_before_next_friday() -> None:
    # Meeting Fri 11-15; back from it (its day not counted): Thu 14, Wed 13, Tue 12, Mon 11, Fri 8 = the 5th.
    assert CAL.has_at_least_working_days(date(2024, 11, 8), date(2024, 11, 15), 5)
    # Mon 11-11 is only the 4th working day before.
    assert not CAL.has_at_least_working_days(date(2024, 11, 11), date(2024, 11, 15), 5)


def test_NA_14_EX_2_a_draw_on_saturday_is_after_the_fifth_working_day_before_a_friday_meeting() -> None:
    # The defect this fixes: Sat 11-09 → Fri 11-15 has 5 working days *after* the draw (11..15, the
    # meeting day counted), but NA-14 counts back from the meeting without its day: the 5th working
    # day before is Fri 11-08, and Sat 11-09 is after it, so the draw is late.
    assert not CAL.has_at_least_working_days(date(2024, 11, 9), date(2024, 11, 15), 5)
    assert not CAL.has_at_least_working_days(date(2024, 11, 10), date(2024, 11, 15), 5)  # Sunday
    assert CAL.working_days_ahead(date(2024, 11, 9), date(2024, 11, 15)) == 4
    assert CAL.working_days_ahead(date(2024, 11, 8), date(2024, 11, 15)) == 5


def test_NA_14_EX_2_a_meeting_on_a_non_working_day_does_not_count_itself() -> None:
    # Meeting Sat 2024-11-16 (an ordinary Saturday). Back from it: Fri 15, Thu 14, Wed 13, Tue 12,
    # Mon 11 = the 5th. A draw on Mon 11-11 is in time, one on Tue 11-12 is not.
    assert CAL.working_days_before(date(2024, 11, 16), 5) == date(2024, 11, 11)
    assert CAL.has_at_least_working_days(date(2024, 11, 11), date(2024, 11, 16), 5)
    assert not CAL.has_at_least_working_days(date(2024, 11, 12), date(2024, 11, 16), 5)
    # Meeting on the make-up Saturday 2024-10-12, a working day: back from it Fri 11, Thu 10, Wed 9,
    # Tue 8 (4), then 1–7 Oct are holidays, Mon 30 Sep is the 5th.
    assert CAL.working_days_before(date(2024, 10, 12), 5) == date(2024, 9, 30)


def test_CM_7_notice_thirty_working_days_before_a_meeting_on_2024_11_15() -> None:
    meeting = date(2024, 11, 15)
    # Back from Fri 11-15 (not counted): Nov 14..11 (4), Nov 8..4 (9), Nov 1..Oct 28 (14),
    # Oct 25..21 (19), Oct 18..14 (24), Sat Oct 12 make-up and Oct 11..8 (29); 1–7 Oct are
    # holidays, so the 30th is Mon 09-30.
    assert CAL.working_days_before(meeting, 30) == date(2024, 9, 30)
    assert CAL.has_at_least_working_days(date(2024, 9, 30), meeting, 30)
    assert CAL.has_at_least_working_days(date(2024, 9, 29), meeting, 30)  # make-up Sunday: 31
    assert not CAL.has_at_least_working_days(date(2024, 10, 7), meeting, 30)  # holiday after the 30th: 29
    assert not CAL.has_at_least_working_days(date(2024, 10, 8), meeting, 30)  # 29


def test_NA_14_working_days_before_over_national_day() -> None:
    # Back from Tue 10-08 (not counted): Mon 09-30 (1), Sun 09-29 make-up (2), Fri 09-27 (3).
    assert CAL.working_days_before(date(2024, 10, 8), 3) == date(2024, 9, 27)
    assert CAL.working_days_before(date(2024, 10, 8), 1) == date(2024, 9, 30)
    assert CAL.working_days_before(date(2024, 10, 8), 0) == date(2024, 10, 8)


def test_NA_14_datetime_is_treated_as_its_date() -> None:
    overrides = CalendarOverrides(holidays=frozenset({date(2024, 10, 8)}))
    assert not WorkingDayCalendar(overrides).is_working_day(datetime(2024, 10, 8, 9, 30))


# --- Overrides ---------------------------------------------------------------------------------

# 2099 will stay unknown to the library; in the override, Thu 01-01 and Fri 01-02 are holidays
# and Sat 01-10 is a make-up working day.
OVERRIDES_2099 = {"holidays": ["2099-01-01", "2099-01-02"], "workdays": ["2099-01-10"], "known_years": [2099]}


def test_a_year_before_the_library_or_past_the_provisional_horizon_raises() -> None:
    with pytest.raises(UnknownCalendarYear) as caught:
        CAL.is_working_day(date(2101, 1, 5))
    assert caught.value.year == 2101
    assert "2101年" in str(caught.value)
    assert "unknown" in str(caught.value)
    with pytest.raises(UnknownCalendarYear):
        CAL.is_working_day(date(2003, 6, 2))


def test_overrides_describe_an_unknown_year() -> None:
    cal = WorkingDayCalendar(CalendarOverrides.model_validate(OVERRIDES_2099))
    assert not cal.is_working_day(date(2099, 1, 2))  # holiday
    assert cal.is_working_day(date(2099, 1, 5))  # Monday
    assert cal.is_working_day(date(2099, 1, 10))  # make-up Saturday
    assert not cal.is_working_day(date(2099, 1, 11))  # Sunday
    # 01-02 holiday, 01-03/04 weekend → Mon 01-05: 1
    assert cal.add_working_days(date(2099, 1, 1), 1) == date(2099, 1, 5)
    # Mon 01-05 .. Fri 01-09: 5, Sat 01-10 make-up: 6
    assert cal.add_working_days(date(2099, 1, 1), 6) == date(2099, 1, 10)


def test_overrides_parse_from_json() -> None:
    overrides = CalendarOverrides.model_validate_json(
        '{"holidays": ["2099-01-01"], "workdays": [], "known_years": [2099]}'
    )
    assert overrides.holidays == frozenset({date(2099, 1, 1)})
    assert overrides.known_years == frozenset({2099})


def test_overrides_win_over_the_library() -> None:
    overrides = CalendarOverrides(holidays=frozenset({date(2024, 10, 8)}), workdays=frozenset({date(2024, 10, 7)}))
    cal = WorkingDayCalendar(overrides)
    assert not cal.is_working_day(date(2024, 10, 8))
    assert cal.is_working_day(date(2024, 10, 7))
    assert cal.is_working_day(date(2024, 10, 9))  # the library still answers other days


def test_counting_into_a_year_nobody_knows_raises() -> None:
    cal = WorkingDayCalendar(CalendarOverrides(known_years=frozenset({2100})))
    # Thu 2100-12-30 → Fri 12-31: 1, then 2101 is past the provisional horizon.
    with pytest.raises(UnknownCalendarYear) as caught:
        cal.add_working_days(date(2100, 12, 30), 2)
    assert caught.value.year == 2101


def test_overrides_refuse_a_day_both_holiday_and_workday() -> None:
    with pytest.raises(ValidationError, match="2099-01-01"):
        CalendarOverrides.model_validate({"holidays": ["2099-01-01"], "workdays": ["2099-01-01"]})


# --- Properties ----------------------------------------------------------------------------------

days_2020_2025 = st.dates(min_value=date(2020, 1, 1), max_value=date(2025, 12, 31))


@given(start=days_2020_2025, n=st.integers(min_value=0, max_value=60))
def test_NA_14_between_inverts_add(start: date, n: int) -> None:
    assert CAL.working_days_between(start, CAL.add_working_days(start, n)) == n


@given(start=days_2020_2025, n=st.integers(min_value=1, max_value=60))
def test_NA_14_add_lands_on_a_working_day_and_skips_none(start: date, n: int) -> None:
    end = CAL.add_working_days(start, n)
    assert CAL.is_working_day(end)
    assert CAL.working_days_between(start, end - timedelta(days=1)) == n - 1


@given(
    day=st.dates(min_value=date(2020, 6, 1), max_value=date(2025, 12, 31)),
    n=st.integers(min_value=1, max_value=60),
    back=st.integers(min_value=0, max_value=120),
)
def test_NA_14_working_days_before_is_the_latest_date_early_enough(day: date, n: int, back: int) -> None:
    latest = CAL.working_days_before(day, n)
    candidate = day - timedelta(days=back)
    assert CAL.has_at_least_working_days(candidate, day, n) == (candidate <= latest)


# --- Years without an official arrangement (issue 11 §5) ----------------------------------------

# 2027, worked out by hand from the holiday rules (全国年节及纪念日放假办法, 2024 revision) and a
# printed lunar calendar: 元旦 Fri 01-01; 春节 除夕 Fri 02-05 (the lunar year 丁未 begins Sat 02-06),
# 初一 to 初三 Sat 02-06 – Mon 02-08; 清明 Mon 04-05; 劳动节 Sat 05-01, Sun 05-02; 端午 (五月初五)
# Wed 06-09; 中秋 (八月十五) Wed 09-15; 国庆 Fri 10-01 – Sun 10-03.
STATUTORY_2027 = {
    date(2027, 1, 1): "元旦",
    date(2027, 2, 5): "春节",
    date(2027, 2, 6): "春节",
    date(2027, 2, 7): "春节",
    date(2027, 2, 8): "春节",
    date(2027, 4, 5): "清明节",
    date(2027, 5, 1): "劳动节",
    date(2027, 5, 2): "劳动节",
    date(2027, 6, 9): "端午节",
    date(2027, 9, 15): "中秋节",
    date(2027, 10, 1): "国庆节",
    date(2027, 10, 2): "国庆节",
    date(2027, 10, 3): "国庆节",
}


def _arrangement_2027(**changes: object) -> YearArrangement:
    data: dict[str, object] = {
        "year": 2027,
        "source": "test",
        "holidays": sorted(d.isoformat() for d in STATUTORY_2027),
        "workdays": [],
    }
    data.update(changes)
    return YearArrangement.model_validate(data)


def test_NA_14_statutory_holidays_of_2027_by_hand() -> None:
    assert dict(statutory_holidays(2027)) == STATUTORY_2027


@pytest.mark.parametrize("year", [2025, 2026])
def test_statutory_holidays_are_holidays_in_the_official_data_of_2025_and_2026(year: int) -> None:
    # The current rules apply since 2025: every computed day must be an official holiday there.
    days = statutory_holidays(year)
    assert len(days) == 13
    assert all(not CAL.is_working_day(day) for day in days)
    assert all(chinese_calendar.is_holiday(day) for day in days)


def test_NA_14_2027_is_provisional_and_counts_statutory_holidays_only() -> None:
    assert CAL.is_provisional_year(2027)
    assert not CAL.is_provisional_year(2026)
    assert not CAL.is_working_day(date(2027, 1, 1))  # 元旦, a Friday
    assert CAL.is_working_day(date(2027, 1, 4))  # Monday
    assert not CAL.is_working_day(date(2027, 2, 8))  # Monday, 初三
    assert CAL.is_working_day(date(2027, 2, 9))  # Tuesday: no bridge day is guessed
    assert not CAL.is_working_day(date(2027, 2, 20))  # Saturday: no make-up day is guessed


def test_NA_14_a_return_on_2026_12_28_is_due_provisionally_on_2027_01_05() -> None:
    # Mon 2026-12-28 (not counted); Tue 29 (1), Wed 30 (2), Thu 31 (3); Fri 2027-01-01 元旦,
    # Sat 2, Sun 3; Mon 4 (4), Tue 5 (5).
    assert CAL.due(date(2026, 12, 28), 5) == Due(on=date(2027, 1, 5), provisional=True)
    # Ending in 2026, the same count is official: Mon 12-21 → Mon 12-28.
    assert CAL.due(date(2026, 12, 21), 5) == Due(on=date(2026, 12, 28), provisional=False)
    # Starting on the last day of 2026, only 2027 days are counted.
    assert CAL.due(date(2026, 12, 31), 1) == Due(on=date(2027, 1, 4), provisional=True)
    assert CAL.due(date(2026, 12, 31), 0) == Due(on=date(2026, 12, 31), provisional=False)


def test_NA_14_a_loaded_arrangement_replaces_the_provisional_year() -> None:
    cal = WorkingDayCalendar()
    # Hypothetical official 2027: 01-01..01-04 off (Mon 4 a bridge day), Sat 01-09 a make-up day.
    arrangement = _arrangement_2027(
        holidays=sorted({*(d.isoformat() for d in STATUTORY_2027), "2027-01-02", "2027-01-03", "2027-01-04"}),
        workdays=["2027-01-09"],
    )
    assert cal.load(arrangement)
    assert not cal.load(arrangement)  # the same dates again: nothing changes
    assert not cal.is_provisional_year(2027)
    # Tue 29 (1), Wed 30 (2), Thu 31 (3); Jan 1–4 off; Tue 5 (4), Wed 6 (5).
    assert cal.due(date(2026, 12, 28), 5) == Due(on=date(2027, 1, 6), provisional=False)
    assert cal.is_working_day(date(2027, 1, 9))
    assert CAL.due(date(2026, 12, 28), 5).on == date(2027, 1, 5)  # other calendars are untouched


def test_NA_14_configuration_overrides_win_over_a_loaded_arrangement() -> None:
    cal = WorkingDayCalendar(CalendarOverrides(workdays=frozenset({date(2027, 1, 1)})), [_arrangement_2027()])
    assert cal.is_working_day(date(2027, 1, 1))


def test_a_year_arrangement_refuses_dates_of_another_year_and_weekday_make_up_days() -> None:
    with pytest.raises(ValidationError, match="2028-01-01"):
        _arrangement_2027(holidays=[*(d.isoformat() for d in STATUTORY_2027), "2028-01-01"])
    with pytest.raises(ValidationError, match="2027-01-04"):  # a Monday is a working day already
        _arrangement_2027(workdays=["2027-01-04"])
    with pytest.raises(ValidationError, match="2027-02-06"):
        _arrangement_2027(workdays=["2027-02-06"])  # both holiday (春节) and make-up day
    with pytest.raises(ValidationError, match=r"2027-02-30|date"):
        _arrangement_2027(workdays=["2027-02-30"])  # not a real date


def test_a_year_arrangement_must_contain_every_statutory_holiday() -> None:
    holidays = sorted(d.isoformat() for d in STATUTORY_2027 if d != date(2027, 9, 15))
    with pytest.raises(ValidationError, match="2027-09-15 中秋节"):
        _arrangement_2027(holidays=holidays)


def test_a_year_arrangement_revision_depends_on_the_dates_only() -> None:
    assert _arrangement_2027().revision == _arrangement_2027(source="国办发明电").revision
    assert _arrangement_2027().revision != _arrangement_2027(workdays=["2027-01-09"]).revision


def test_NA_14_a_recomputation_after_loading_2025_and_2027_looks_at_1_january_2025_through_31_december_2027() -> None:
    assert years_span(frozenset({2027, 2025})) == (date(2025, 1, 1), date(2027, 12, 31))
    assert years_span([2026]) == (date(2026, 1, 1), date(2026, 12, 31))
