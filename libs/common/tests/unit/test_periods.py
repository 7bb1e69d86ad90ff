"""NA-14: one way to count a period of years, used by committees (CM-2) and integrity (IN-2) alike.

Expected dates worked out by hand from the Civil Code (art. 201: the event's day is not counted;
art. 202: the period ends on the corresponding day, or the month's last day when there is none).
"""

from __future__ import annotations

from datetime import date

import pytest

from zhicheng_committees.committee.domain import validity
from zhicheng_common.periods import last_day_after, last_day_from
from zhicheng_common.policy import load_pack
from zhicheng_integrity.domain import default_valid_until

SHANXI = load_pack("shanxi-2024")


@pytest.mark.parametrize(
    ("event", "years", "last_day"),
    [
        (date(2026, 11, 20), 3, date(2029, 11, 20)),  # in force through 20 Nov 2029, lapsed on the 21st
        (date(2024, 3, 1), 3, date(2027, 3, 1)),
        (date(2024, 12, 31), 1, date(2025, 12, 31)),
        (date(2024, 2, 29), 3, date(2027, 2, 28)),  # 2027 has no 29 Feb: the month's last day
        (date(2024, 2, 29), 4, date(2028, 2, 29)),  # 2028 has one
        (date(2023, 2, 28), 1, date(2024, 2, 28)),  # the corresponding day, not the month's end
    ],
)
def test_NA_14_a_period_of_years_after_an_event_ends_on_the_corresponding_day(
    event: date, years: int, last_day: date
) -> None:
    assert last_day_after(event, years) == last_day


@pytest.mark.parametrize(
    ("first_day", "years", "last_day"),
    [
        (date(2024, 1, 1), 3, date(2026, 12, 31)),  # a term from 1 Jan 2024 of 3 years
        (date(2024, 3, 1), 3, date(2027, 2, 28)),  # the day before is 29 Feb 2024
        (date(2024, 2, 29), 3, date(2027, 2, 28)),
        (date(2021, 11, 16), 3, date(2024, 11, 15)),
    ],
)
def test_NA_14_a_period_stated_by_its_first_day_ends_the_day_before_the_corresponding_day(
    first_day: date, years: int, last_day: date
) -> None:
    assert last_day_from(first_day, years) == last_day


@pytest.mark.parametrize("start", [date(2026, 11, 20), date(2024, 2, 29), date(2024, 3, 1), date(2025, 12, 31)])
def test_NA_14_committees_and_integrity_count_valid_3_years_to_the_same_day(start: date) -> None:
    # CM-2 and IN-2 both say 3 years in the Shanxi pack: the same start must give the same last day.
    years = SHANXI.parameters.committee_filing_validity_years.value
    record_years = SHANXI.parameters.integrity_record_years.value
    assert years == record_years == 3
    _, committee_until = validity(SHANXI, start)
    record_until = default_valid_until(start, record_years=record_years, bar_years=0, bars_declaring=False)
    assert committee_until == record_until == last_day_after(start, years)


def test_NA_14_CM_2_a_filing_approved_on_29_february_2024_is_valid_through_28_february_2027() -> None:
    assert validity(SHANXI, date(2024, 2, 29)) == (date(2024, 2, 29), date(2027, 2, 28))
    assert validity(SHANXI, date(2026, 11, 20)) == (date(2026, 11, 20), date(2029, 11, 20))
