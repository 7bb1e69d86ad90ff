"""Property tests of the counting rules over years and assessment sequences (EL-2, EL-4..EL-6)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from zhicheng_common.policy import load_pack
from zhicheng_intake import domain

PACK = load_pack("shanxi-2024")
GRADES = st.sampled_from(["excellent", "qualified", "basically_qualified", "unqualified", "undetermined"])
DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31))
YEARS = st.integers(min_value=0, max_value=30)


@given(obtained=DAYS, after=YEARS)
def test_EL_2_years_counted_to_31_december_ignore_the_day_obtained(obtained: date, after: int) -> None:
    # Counted to 31 December, a title obtained on any day of year Y has n whole years in year Y + n.
    assert domain.years_in_title(PACK, obtained, obtained.year + after) == after


@given(obtained=DAYS, after=YEARS)
def test_EL_2_years_never_decrease_with_the_application_year(obtained: date, after: int) -> None:
    year = obtained.year + after
    assert domain.years_in_title(PACK, obtained, year + 1) == domain.years_in_title(PACK, obtained, year) + 1


@given(start=DAYS, days=st.integers(min_value=0, max_value=20000))
def test_EL_2_full_years_agree_with_the_calendar(start: date, days: int) -> None:
    end = start + timedelta(days=days)
    years = domain.full_years(start, end)
    assert years >= 0
    anniversary_year = start.year + years
    # The last anniversary is on or before ``end``, the next one after it (29 Feb → 28 Feb).
    day = min(start.day, 28) if start.month == 2 else start.day
    assert date(anniversary_year, start.month, day) <= end
    assert date(anniversary_year + 1, start.month, day) > end or (start.month, start.day) == (2, 29)


@given(since_year=st.integers(2000, 2020), grades=st.dictionaries(st.integers(1995, 2035), GRADES))
def test_EL_4_only_years_assessed_below_qualified_after_obtaining_are_dropped(
    since_year: int, grades: dict[int, str]
) -> None:
    year = 2024
    dropped = domain.non_counting_years(PACK, grades, date(since_year, 6, 1), year)
    counting = PACK.parameters.assessment_grades_counting.value
    assert dropped == sorted(y for y, g in grades.items() if since_year < y <= year and g not in counting)
    assert all(grades[y] not in ("excellent", "qualified") for y in dropped)


@given(grades=st.dictionaries(st.integers(2015, 2024), GRADES), extra=st.integers(2015, 2024))
def test_EL_4_a_bad_year_never_adds_counted_years(grades: dict[int, str], extra: int) -> None:
    since = date(2014, 1, 1)
    before = len(domain.non_counting_years(PACK, grades, since, 2024))
    after = len(domain.non_counting_years(PACK, {**grades, extra: "unqualified"}, since, 2024))
    assert after >= before


@given(grades=st.dictionaries(st.integers(2015, 2026), GRADES), year=st.integers(2018, 2026))
def test_EL_5_accepted_exactly_when_this_or_last_year_is_qualified_or_better(grades: dict[int, str], year: int) -> None:
    expected = grades.get(year) in ("excellent", "qualified") or grades.get(year - 1) in ("excellent", "qualified")
    assert domain.recent_assessment_ok(PACK, grades, year) is expected


@given(grades=st.dictionaries(st.integers(2010, 2030), GRADES), year=st.integers(2015, 2026))
def test_EL_6_excellent_counted_only_in_the_three_years_before(grades: dict[int, str], year: int) -> None:
    expected = sum(1 for y in (year - 3, year - 2, year - 1) if grades.get(y) == "excellent")
    assert domain.excellent_count(PACK, grades, year) == expected


@given(ownership=st.sampled_from(["private_enterprise", "freelancer", "public_institution", "state_owned_enterprise"]))
def test_EL_7_exempt_exactly_for_the_packs_applicant_kinds(ownership: str) -> None:
    assert domain.assessment_exempt(PACK, ownership) is (ownership in ("private_enterprise", "freelancer"))
