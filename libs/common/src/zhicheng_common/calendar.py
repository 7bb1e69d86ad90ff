"""Working-day calendar of mainland China (工作日历).

Every policy deadline of the platform counts working days (DESIGN.md §4). The rules of counting
are those of NA-14 (Civil Code art. 201):

* a period counted in days starts the day **after** the event, so the event day never counts;
* working days exclude weekends and statutory holidays (法定节假日) and include the official
  make-up working days (调休上班日), which may fall on a Saturday or Sunday.

The data comes from the maintained `chinese-calendar` package. The State Council publishes
each year's arrangement only in November or December of the year before, so a deployment can
run ahead of the library: :class:`CalendarOverrides` fills in (or corrects) such years from
configuration. A date whose year neither source knows raises :class:`UnknownCalendarYear`
instead of silently treating the year as holiday-free, because a wrong deadline is worse than a
loud error.

Everything here is pure: no clock, no I/O.

Example:
    >>> from datetime import date
    >>> cal = WorkingDayCalendar()
    >>> cal.deadline(date(2024, 9, 26), 5)  # publicity opened on 26 Sep 2024
    datetime.date(2024, 10, 9)
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Self

import chinese_calendar
from pydantic import BaseModel, ConfigDict, model_validator

__all__ = ["CalendarOverrides", "UnknownCalendarYear", "WorkingDayCalendar"]

_ONE_DAY = timedelta(days=1)


class UnknownCalendarYear(Exception):
    """The working-day arrangement of a year is unknown (neither library nor overrides).

    Attributes:
        year: The year that is not known.
    """

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"{year}年的节假日安排未知：请升级 chinese-calendar 或在配置中提供该年的日历覆盖 "
            f"(working-day calendar of {year} is unknown: upgrade chinese-calendar or configure "
            f"calendar overrides with known_years including {year})"
        )


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


def _as_date(day: date) -> date:
    # A datetime is a date subclass but never equals the date in a set lookup, which would
    # silently skip an override; normalise instead.
    return day.date() if isinstance(day, datetime) else day


class WorkingDayCalendar:
    """Working days of mainland China, with make-up days and configurable overrides.

    Counting follows NA-14: a period of *n* working days after an event starts the day after the
    event. All methods are pure functions of their arguments and the overrides.

    Args:
        overrides: Corrections and additional years from configuration; they win over the
            library.
    """

    def __init__(self, overrides: CalendarOverrides | None = None) -> None:
        self._overrides = overrides or CalendarOverrides()

    @classmethod
    def from_settings_json(cls, overrides_json: str | None) -> WorkingDayCalendar:
        """The calendar with ``ZC_CALENDAR_OVERRIDES`` (JSON of :class:`CalendarOverrides`) applied, if set."""
        return cls(CalendarOverrides.model_validate_json(overrides_json) if overrides_json else None)

    @property
    def overrides(self) -> CalendarOverrides:
        """The overrides this calendar applies."""
        return self._overrides

    def is_working_day(self, day: date) -> bool:
        """Tell whether ``day`` is a working day (工作日, make-up days included).

        Args:
            day: The date to check.

        Returns:
            True for a working day, False for a weekend day or a statutory holiday.

        Raises:
            UnknownCalendarYear: The year is neither known to the library nor in
                ``overrides.known_years``.
        """
        day = _as_date(day)
        overrides = self._overrides
        if day in overrides.workdays:
            return True
        if day in overrides.holidays:
            return False
        if day.year in overrides.known_years:
            return day.weekday() < 5
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            raise UnknownCalendarYear(day.year) from None

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
        if n < 0:
            raise ValueError(f"工作日数不能为负数 (working days must be >= 0): {n}")
        day = _as_date(start)
        remaining = n
        while remaining:
            day += _ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Count the working days ``d`` with ``start < d <= end``.

        The start day is the event and does not count (NA-14); the end day counts when it is a
        working day. So ``working_days_between(d, add_working_days(d, n)) == n``.

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
        """Tell whether at least ``n`` working days separate ``earlier`` from ``later``.

        This is the check for "at least *n* working days before" rules (CM-7 notice before the
        meeting, CM-8 pre-meeting filing, EX-2 expert draw, EX-4 re-filing): the day of the act
        (``earlier``) does not count, the day of the meeting (``later``) counts when it is a
        working day, i.e. ``working_days_between(earlier, later) >= n``. A draw on Friday for a
        meeting on the next Friday has 5 working days.

        Args:
            earlier: The day of the act (notice, filing, draw).
            later: The day of the reference event (meeting).
            n: The minimum number of working days.

        Returns:
            True when the act was early enough.
        """
        return self.working_days_between(earlier, later) >= n

    def working_days_before(self, day: date, n: int) -> date:
        """Return the latest date that is still at least ``n`` working days before ``day``.

        Defined as the latest ``d`` with ``has_at_least_working_days(d, day, n)``; so for
        ``n >= 1`` and any date ``x``: ``has_at_least_working_days(x, day, n)`` iff
        ``x <= working_days_before(day, n)``. Use it to show "publish the notice by ...". The
        result is the day before the ``n``-th working day counted backwards from ``day``
        (``day`` included), and may be a weekend day or holiday: acting on it is in time.
        ``n == 0`` returns ``day``.

        Args:
            day: The reference event (e.g. the meeting).
            n: Number of working days, ``n >= 0``.

        Returns:
            The last date on which the act is still early enough.

        Raises:
            ValueError: ``n`` is negative.
            UnknownCalendarYear: The count runs into a year the calendar does not know.
        """
        if n < 0:
            raise ValueError(f"工作日数不能为负数 (working days must be >= 0): {n}")
        current = _as_date(day)
        if n == 0:
            return current
        remaining = n
        while True:
            if self.is_working_day(current):
                remaining -= 1
                if remaining == 0:
                    return current - _ONE_DAY
            current -= _ONE_DAY
