"""Periods counted in years (NA-14; Civil Code art. 201-203): the one way every service counts them.

A period of N years after an event starts the day after the event's day (art. 201: the first day
is not counted) and ends at the end of the corresponding day of its last year (art. 202); a
corresponding day that does not exist (29 February in a common year) is the last day of that
month (art. 202). The last day is included: "valid 3 years" from a decision on 2026-11-20 means
in force through 2029-11-20, lapsed from 2029-11-21 (Beijing dates).

Committees' filings (CM-2), integrity records (IN-2, NA-13) and experts' terms (EX-3) all count
so. A period stated by its first day (a term "from 2024-01-01") is the period after the day
before: :func:`last_day_from`.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def last_day_after(event: date, years: int) -> date:
    """The last day (inclusive) of a period of ``years`` years after an event on ``event``."""
    year = event.year + years
    day = min(event.day, calendar.monthrange(year, event.month)[1])
    return event.replace(year=year, day=day)


def last_day_from(first_day: date, years: int) -> date:
    """The last day (inclusive) of a period of ``years`` years whose first counted day is ``first_day``."""
    return last_day_after(first_day - timedelta(days=1), years)
