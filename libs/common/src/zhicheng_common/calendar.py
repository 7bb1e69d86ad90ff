"""Working-day calendar of mainland China (工作日历).

Every policy deadline of the platform counts working days (DESIGN.md §4). The rules of counting
are those of NA-14 (Civil Code art. 201):

* a period counted in days starts the day **after** the event, so the event day never counts;
* working days exclude weekends and statutory holidays (法定节假日) and include the official
  make-up working days (调休上班日), which may fall on a Saturday or Sunday;
* "at least *n* working days before E" is counted back from E, E's day not counted: an act is
  in time iff its day is on or before the *n*-th working day before E's day.

Where a year's arrangement comes from, first source that knows it wins (docs/calendar.md):

1. :class:`CalendarOverrides` from configuration (single days, or whole ``known_years``);
2. an official arrangement an operator loaded (:class:`YearArrangement`, ``zhicheng calendar
   load``), which also corrects the library;
3. the maintained `chinese-calendar` package (2004–2026 in 1.11.0);
4. for a later year nobody has described yet, a **provisional** calendar: Monday to Friday less
   the statutory holidays of the State Council's holiday rules (fixed dates, and the lunar ones
   computed with `lunar_python`), with no bridge days and no make-up working days. A deadline
   counted through such a year is marked provisional (:class:`Due`) and recomputed by its owning
   service once the official arrangement is loaded.

A date in a year none of these covers (before 2004, or after :data:`PROVISIONAL_LAST_YEAR`)
raises :class:`UnknownCalendarYear`, because a wrong deadline is worse than a loud error.

Everything here is pure: no clock, no I/O. The one piece of state is the set of loaded
arrangements, which the calendar store (:mod:`zhicheng_common.calendar_store`) replaces when an
operator loads a year.

Example:
    >>> from datetime import date
    >>> cal = WorkingDayCalendar()
    >>> cal.deadline(date(2024, 9, 26), 5)  # publicity opened on 26 Sep 2024
    datetime.date(2024, 10, 9)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Self

import chinese_calendar
from lunar_python import Lunar, Solar
from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "PROVISIONAL_LAST_YEAR",
    "CalendarOverrides",
    "Due",
    "UnknownCalendarYear",
    "WorkingDayCalendar",
    "YearArrangement",
    "statutory_holidays",
]

_ONE_DAY = timedelta(days=1)

# The library's official data: the first and last year it knows (2004–2026 in 1.11.0).
LIBRARY_FIRST_YEAR: int = min(chinese_calendar.holidays).year
LIBRARY_LAST_YEAR: int = max(chinese_calendar.holidays).year
# Provisional calendars are a projection of today's holiday rules; far ahead they mean nothing,
# and the lunar computation is only checked against official data for the years we have.
PROVISIONAL_LAST_YEAR = 2100


class UnknownCalendarYear(Exception):
    """The working-day arrangement of a year is unknown and cannot be projected.

    Attributes:
        year: The year that is not known.
    """

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"{year}年的节假日安排未知：请用 zhicheng calendar load 载入该年的安排，或在配置中提供日历覆盖 "
            f"(working-day calendar of {year} is unknown: load its arrangement with `zhicheng calendar load` "
            f"or configure calendar overrides with known_years including {year})"
        )


@lru_cache(maxsize=64)
def statutory_holidays(year: int) -> Mapping[date, str]:
    """The statutory holiday days (法定节假日) of ``year``, as the holiday rules fix them in advance.

    《全国年节及纪念日放假办法》 as revised by the State Council in November 2024 (in force
    since 2025): 元旦 1 day (1 Jan); 春节 4 days (除夕 and 正月初一 to 初三); 清明节 1 day (the
    day of the solar term 清明); 劳动节 2 days (1–2 May); 端午节 1 day (五月初五); 中秋节 1 day
    (八月十五); 国庆节 3 days (1–3 Oct). These are the days only: the yearly arrangement adds
    bridge days and make-up working days around them, which nobody can know in advance.

    Lunar dates and 清明 come from `lunar_python` (astronomical computation, no year table).

    Args:
        year: A Gregorian year.

    Returns:
        Each holiday day of the year with its name.
    """
    days: dict[date, str] = {date(year, 1, 1): "元旦"}
    new_year = _solar_date(Lunar.fromYmd(year, 1, 1).getSolar())
    for offset in range(-1, 3):  # 除夕 (the last day of the 12th month, whether 29th or 30th) to 初三
        days[new_year + timedelta(days=offset)] = "春节"
    days[_solar_date(Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()["清明"])] = "清明节"
    days[date(year, 5, 1)] = days[date(year, 5, 2)] = "劳动节"
    days[_solar_date(Lunar.fromYmd(year, 5, 5).getSolar())] = "端午节"
    days[_solar_date(Lunar.fromYmd(year, 8, 15).getSolar())] = "中秋节"
    for day in (1, 2, 3):
        days[date(year, 10, day)] = "国庆节"
    return MappingProxyType(dict(sorted(days.items())))


def years_span(years: Iterable[int]) -> tuple[date, date]:
    """The first and the last day of the ``years`` (a recomputation after holidays are loaded looks at
    every deadline counted through them)."""
    ordered = sorted(years)
    return date(ordered[0], 1, 1), date(ordered[-1], 12, 31)


def recomputed_reason(years: Iterable[int], what: str = "期限") -> str:
    """The journal's reason for a deadline recomputed after the holiday arrangement of ``years`` was
    loaded: ``载入2026、2027年节假日安排后重新计算期限``."""
    return f"载入{'、'.join(str(y) for y in sorted(years))}年节假日安排后重新计算{what}"


def _solar_date(solar: Solar) -> date:
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


class CalendarOverrides(BaseModel):
    """Per-year corrections and additions to the library calendar, from configuration.

    Parse from configuration with ``CalendarOverrides.model_validate(mapping)`` or
    ``CalendarOverrides.model_validate_json(text)``, e.g.
    ``{"holidays": ["2027-01-01"], "workdays": ["2027-02-07"], "known_years": [2027]}``.

    Attributes:
        holidays: Dates that are not working days, whatever the library says.
        workdays: Dates that are working days (e.g. a make-up Saturday), whatever the library says.
        known_years: Years fully described by these overrides: for such a year the library is not
            consulted, and a date is a working day iff it is in ``workdays``, or it is a Monday to
            Friday not in ``holidays``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    known_years: frozenset[int] = frozenset()

    @model_validator(mode="after")
    def _holidays_and_workdays_are_disjoint(self) -> Self:
        both = self.holidays & self.workdays
        if both:
            listed = ", ".join(sorted(d.isoformat() for d in both))
            raise ValueError(f"日期不能同时是节假日和工作日 (date both holiday and workday): {listed}")
        return self


class YearArrangement(BaseModel):
    """The official holiday arrangement of one year (国务院办公厅关于某年部分节假日安排的通知).

    What an operator loads with ``zhicheng calendar load FILE`` (YAML or JSON), e.g.::

        year: 2027
        source: 国办发明电〔2026〕7号
        holidays: [2027-01-01, 2027-01-02, 2027-01-03, ...]
        workdays: [2027-02-20, ...]

    Attributes:
        year: The year described.
        holidays: Every day off of the year's holiday periods (weekend days inside a period may be
            listed or not). Must include every statutory holiday day (:func:`statutory_holidays`).
        workdays: The make-up working days (调休上班日): each a Saturday or Sunday.
        source: The notice the dates are taken from.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: int = Field(ge=LIBRARY_FIRST_YEAR, le=PROVISIONAL_LAST_YEAR)
    holidays: frozenset[date]
    workdays: frozenset[date] = frozenset()
    source: str = Field(default="", max_length=256)

    @model_validator(mode="after")
    def _dates_belong_to_the_year(self) -> Self:
        problems: list[str] = []
        stray = sorted(d for d in self.holidays | self.workdays if d.year != self.year)
        if stray:
            problems.append(f"日期不属于{self.year}年 (not in {self.year}): {', '.join(d.isoformat() for d in stray)}")
        both = sorted(self.holidays & self.workdays)
        if both:
            problems.append(
                f"日期不能同时是节假日和调休上班日 (both holiday and workday): {', '.join(d.isoformat() for d in both)}"
            )
        weekdays = sorted(d for d in self.workdays if d.weekday() < 5)
        if weekdays:
            problems.append(
                "调休上班日须为周六或周日 (a make-up working day is a Saturday or Sunday): "
                + ", ".join(d.isoformat() for d in weekdays)
            )
        if not stray:
            missing = sorted(d for d in statutory_holidays(self.year) if d not in self.holidays)
            if missing:
                problems.append(
                    "缺少法定节假日 (statutory holidays missing): "
                    + ", ".join(f"{d.isoformat()} {statutory_holidays(self.year)[d]}" for d in missing)
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def revision(self) -> str:
        """A digest of the dates (not the source text): equal files give equal revisions."""
        canonical = json.dumps(
            {
                "year": self.year,
                "holidays": sorted(d.isoformat() for d in self.holidays),
                "workdays": sorted(d.isoformat() for d in self.workdays),
            },
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def is_working_day(self, day: date) -> bool:
        return day in self.workdays or (day.weekday() < 5 and day not in self.holidays)


@dataclass(frozen=True)
class Due:
    """A due date and whether it was counted through a provisional year (DESIGN.md §4).

    Attributes:
        on: The last day of the period (acting on it is in time).
        provisional: True when a day counted lies in a year without an official arrangement: the
            date is recomputed once that year's arrangement is loaded.
    """

    on: date
    provisional: bool


def _as_date(day: date) -> date:
    # A datetime is a date subclass but never equals the date in a set lookup, which would
    # silently skip an override; normalise instead.
    return day.date() if isinstance(day, datetime) else day


class WorkingDayCalendar:
    """Working days of mainland China, with make-up days, overrides and loaded arrangements.

    Counting follows NA-14: a period of *n* working days after an event starts the day after the
    event. All methods are pure functions of their arguments, the overrides and the loaded
    arrangements.

    Args:
        overrides: Corrections and additional years from configuration; they win over everything.
        arrangements: Official arrangements loaded by an operator; they win over the library.
    """

    def __init__(
        self, overrides: CalendarOverrides | None = None, arrangements: Iterable[YearArrangement] = ()
    ) -> None:
        self._overrides = overrides or CalendarOverrides()
        self._arrangements: dict[int, YearArrangement] = {a.year: a for a in arrangements}

    @classmethod
    def from_settings_json(cls, overrides_json: str | None) -> WorkingDayCalendar:
        """The calendar with ``ZC_CALENDAR_OVERRIDES`` (JSON of :class:`CalendarOverrides`) applied, if set."""
        return cls(CalendarOverrides.model_validate_json(overrides_json) if overrides_json else None)

    @property
    def overrides(self) -> CalendarOverrides:
        """The overrides this calendar applies."""
        return self._overrides

    @property
    def arrangements(self) -> Mapping[int, YearArrangement]:
        """The loaded official arrangements, by year."""
        return dict(self._arrangements)

    def load(self, arrangement: YearArrangement) -> bool:
        """Use ``arrangement`` for its year from now on (replacing an earlier one).

        Returns:
            True when it differs from what the calendar used for that year before.
        """
        previous = self._arrangements.get(arrangement.year)
        self._arrangements[arrangement.year] = arrangement
        return previous is None or previous.revision != arrangement.revision

    def unload(self, year: int) -> bool:
        """Forget the loaded arrangement of ``year`` (the year falls back to the library or provisional).

        Returns:
            True when there was one.
        """
        return self._arrangements.pop(year, None) is not None

    def is_provisional_year(self, year: int) -> bool:
        """Tell whether ``year`` is counted provisionally (no override, arrangement or library data)."""
        if year in self._overrides.known_years or year in self._arrangements:
            return False
        return LIBRARY_LAST_YEAR < year <= PROVISIONAL_LAST_YEAR

    def is_working_day(self, day: date) -> bool:
        """Tell whether ``day`` is a working day (工作日, make-up days included).

        Args:
            day: The date to check.

        Returns:
            True for a working day, False for a weekend day or a (provisional) holiday.

        Raises:
            UnknownCalendarYear: No source covers the year, and it cannot be projected.
        """
        day = _as_date(day)
        overrides = self._overrides
        if day in overrides.workdays:
            return True
        if day in overrides.holidays:
            return False
        if day.year in overrides.known_years:
            return day.weekday() < 5
        arrangement = self._arrangements.get(day.year)
        if arrangement is not None:
            return arrangement.is_working_day(day)
        if LIBRARY_FIRST_YEAR <= day.year <= LIBRARY_LAST_YEAR:
            return bool(chinese_calendar.is_workday(day))
        if self.is_provisional_year(day.year):
            return day.weekday() < 5 and day not in statutory_holidays(day.year)
        raise UnknownCalendarYear(day.year)

    def is_provisional_span(self, start: date, end: date) -> bool:
        """Tell whether a day ``d`` with ``start < d <= end`` lies in a provisional year."""
        first, last = _as_date(start) + _ONE_DAY, _as_date(end)
        return first <= last and any(self.is_provisional_year(y) for y in range(first.year, last.year + 1))

    def add_working_days(self, start: date, n: int) -> date:
        """Return the ``n``-th working day strictly after ``start`` (NA-14).

        Args:
            start: The event day; it never counts, even if it is a working day.
            n: Number of working days, ``n >= 0``; ``0`` returns ``start`` unchanged.

        Returns:
            The date on which the ``n``-th working day after ``start`` falls.

        Raises:
            ValueError: ``n`` is negative.
            UnknownCalendarYear: The count runs into a year the calendar does not know.
        """
        return self._nth_working_day(start, n, _ONE_DAY)

    def _nth_working_day(self, start: date, n: int, step: timedelta) -> date:
        """The ``n``-th working day from ``start`` stepping by ``step`` (a day on or back); ``start`` never counts."""
        if n < 0:
            raise ValueError(f"工作日数不能为负数 (working days must be >= 0): {n}")
        day = _as_date(start)
        remaining = n
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Count the working days ``d`` with ``start < d <= end``.

        The start day is the event and does not count (NA-14); the end day counts when it is a
        working day. So ``working_days_between(d, add_working_days(d, n)) == n``. This is the
        count *after* an event; for "before an event" use :meth:`working_days_ahead`.

        Args:
            start: The earlier date (excluded).
            end: The later date (included).

        Returns:
            The number of working days, ``0`` when ``end <= start``.

        Raises:
            UnknownCalendarYear: The range touches a year the calendar does not know.
        """
        day, end = _as_date(start), _as_date(end)
        count = 0
        while day < end:
            day += _ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count

    def working_days_ahead(self, act: date, event: date) -> int:
        """Count how many working days ``act`` lies before ``event``: the ``d`` with ``act <= d < event``.

        NA-14 counts "before E" back from E with E's day not counted, so the act's own day counts
        when it is a working day: an act on the *n*-th working day before E is *n* ahead, and an
        act on the weekend just after it is *n - 1* ahead.

        Args:
            act: The day of the act (notice, filing, draw).
            event: The day of the reference event (meeting).

        Returns:
            The number of working days, ``0`` when ``act >= event``.
        """
        day, event = _as_date(act), _as_date(event)
        count = 0
        while day < event:
            if self.is_working_day(day):
                count += 1
            day += _ONE_DAY
        return count

    def deadline(self, event: date, working_days: int) -> date:
        """Return the last day allowed for an act due within ``working_days`` after ``event``.

        Example: a publicity of 5 working days opened on 2024-09-26 runs to 2024-10-09 (the
        National Day holidays do not count, the make-up Sunday 2024-09-29 does).

        Args:
            event: The day of the event that starts the period (not counted).
            working_days: Length of the period in working days.

        Returns:
            The last day of the period: acting on this day is still in time.
        """
        return self.add_working_days(event, working_days)

    def due(self, event: date, working_days: int) -> Due:
        """:meth:`deadline` with its provisional mark: what a service stores for a deadline row.

        Example: 5 working days after Mon 2026-12-28, with 2027 not yet announced, is
        ``Due(on=date(2027, 1, 5), provisional=True)`` (Fri 2027-01-01 is New Year's Day).
        """
        on = self.add_working_days(event, working_days)
        return Due(on=on, provisional=self.is_provisional_span(event, on))

    def deadline_met(self, *, event: date, working_days: int, done: date) -> bool:
        """Tell whether an act done on ``done`` met a deadline of ``working_days`` after ``event``.

        Args:
            event: The day of the event that starts the period.
            working_days: Length of the period in working days.
            done: The day the act was done.

        Returns:
            True when ``done`` is on or before the deadline.
        """
        return _as_date(done) <= self.deadline(event, working_days)

    def has_at_least_working_days(self, earlier: date, later: date, n: int) -> bool:
        """Tell whether an act on ``earlier`` is at least ``n`` working days before ``later`` (NA-14).

        This is the check for "at least *n* working days before" rules (CM-7 notice before the
        meeting, CM-8 pre-meeting filing, EX-2 expert draw, EX-4 re-filing). NA-14 counts back
        from the meeting, the meeting's day not counted: the act is in time iff its day is on or
        before the *n*-th working day before the meeting, i.e. ``working_days_ahead(earlier,
        later) >= n``. A draw on Fri 2024-11-08 for a meeting on Fri 2024-11-15 is in time for
        5 working days (11-08 is the 5th working day before); a draw on Sat 2024-11-09 is not.

        Args:
            earlier: The day of the act (notice, filing, draw).
            later: The day of the reference event (meeting).
            n: The minimum number of working days.

        Returns:
            True when the act was early enough.
        """
        return self.working_days_ahead(earlier, later) >= n

    def working_days_before(self, day: date, n: int) -> date:
        """Return the ``n``-th working day before ``day`` (``day`` not counted): the last day in time.

        For ``n >= 1`` and any date ``x``: ``has_at_least_working_days(x, day, n)`` iff
        ``x <= working_days_before(day, n)``. Use it to show "publish the notice by ...". The
        result is always a working day. ``n == 0`` returns ``day``.

        Args:
            day: The reference event (e.g. the meeting).
            n: Number of working days, ``n >= 0``.

        Returns:
            The last date on which the act is still early enough.

        Raises:
            ValueError: ``n`` is negative.
            UnknownCalendarYear: The count runs into a year the calendar does not know.
        """
        return self._nth_working_day(day, n, -_ONE_DAY)
