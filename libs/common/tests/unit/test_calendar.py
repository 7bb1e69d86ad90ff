"""Working-day calendar (NA-14): hand-computed 2024 cases, overrides, properties."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from zhicheng_common.calendar import CalendarOverrides, UnknownCalendarYear, WorkingDayCalendar

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
    # (Fri 11-08, Fri 11-15]: 11-11, 11-12, 11-13, 11-14, 11-15 → 5
    assert CAL.has_at_least_working_days(date(2024, 11, 8), date(2024, 11, 15), 5)
    # (Mon 11-11, Fri 11-15]: 4
    assert not CAL.has_at_least_working_days(date(2024, 11, 11), date(2024, 11, 15), 5)


def test_CM_7_notice_thirty_working_days_before_a_meeting_on_2024_11_15() -> None:
    # Counting back from Fri 11-15 (included): Nov 1..15 → 11; Oct 28..31 → 15; Oct 21..25 → 20;
    # Oct 14..18 → 25; Sat 10-12 make-up → 26; Oct 8..11 → 30. So the 30th is Tue 10-08 and the
    # latest notice day is Mon 10-07 (a holiday: publishing then is still in time).
    meeting = date(2024, 11, 15)
    assert CAL.working_days_before(meeting, 30) == date(2024, 10, 7)
    assert CAL.has_at_least_working_days(date(2024, 10, 7), meeting, 30)
    assert CAL.has_at_least_working_days(date(2024, 9, 30), meeting, 30)
    assert not CAL.has_at_least_working_days(date(2024, 10, 8), meeting, 30)  # 29


def test_NA_14_working_days_before_over_national_day() -> None:
    # Back from Tue 10-08 (1), Mon 09-30 (2), Sun 09-29 (3) → latest date is Sat 09-28.
    assert CAL.working_days_before(date(2024, 10, 8), 3) == date(2024, 9, 28)
    assert CAL.working_days_before(date(2024, 10, 8), 1) == date(2024, 10, 7)
    assert CAL.working_days_before(date(2024, 10, 8), 0) == date(2024, 10, 8)


def test_NA_14_datetime_is_treated_as_its_date() -> None:
    overrides = CalendarOverrides(holidays=frozenset({date(2024, 10, 8)}))
    assert not WorkingDayCalendar(overrides).is_working_day(datetime(2024, 10, 8, 9, 30))


# --- Overrides ---------------------------------------------------------------------------------

# 2099 will stay unknown to the library; in the override, Thu 01-01 and Fri 01-02 are holidays
# and Sat 01-10 is a make-up working day.
OVERRIDES_2099 = {
    "holidays": ["2099-01-01", "2099-01-02"],
    "workdays": ["2099-01-10"],
    "known_years": [2099],
}


def test_unknown_year_without_overrides_raises() -> None:
    with pytest.raises(UnknownCalendarYear) as caught:
        CAL.is_working_day(date(2099, 1, 5))
    assert caught.value.year == 2099
    assert "2099年" in str(caught.value)
    assert "unknown" in str(caught.value)


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
    cal = WorkingDayCalendar(CalendarOverrides.model_validate(OVERRIDES_2099))
    # Wed 12-30 → Thu 12-31: 1, then 2100 is unknown.
    with pytest.raises(UnknownCalendarYear) as caught:
        cal.add_working_days(date(2099, 12, 30), 2)
    assert caught.value.year == 2100


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
