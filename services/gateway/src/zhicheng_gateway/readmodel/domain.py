"""Pure rules of the read model: which stage an event puts a declaration in, how long each stage
lasted in working days (NA-14), keyset cursors, and the chart-ready shape of the statistics."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

# The stage each event puts a declaration in (the event's ``<service>.<entity>.<fact>``).
STAGE_OF: Mapping[str, str] = {
    "intake.declaration.submitted": "submitted",
    "review.declaration.returned": "returned",
    "intake.declaration.resubmitted": "resubmitted",
    "review.declaration.qualified": "qualified",
    "review.declaration.rejected": "rejected",
    "review.declaration.disqualified": "disqualified",
    "intake.declaration.withdrawn": "withdrawn",
    "intake.declaration.abandoned": "abandoned",
}
#: Every stage, in the order of the flow (statistics list them so).
STAGES = (
    "submitted",
    "returned",
    "resubmitted",
    "qualified",
    "passed",
    "not_passed",
    "certified",
    "rejected",
    "disqualified",
    "withdrawn",
    "abandoned",
)
#: Stages nothing follows but a re-examination: a due date there is never overdue.
FINAL_STAGES = frozenset({"certified", "rejected", "disqualified", "withdrawn", "abandoned", "not_passed", "passed"})
#: Which stored deadline (``review.declaration.deadline_changed``'s ``deadline_kind``) a stage runs against.
DEADLINE_KIND_OF_STAGE: Mapping[str, str] = {"returned": "correction", "submitted": "step", "resubmitted": "step"}


@dataclass(frozen=True)
class Visit:
    """One stage a declaration entered (by the event that put it there)."""

    event_id: uuid.UUID
    stage: str
    entered_at: datetime
    entered_on: date  # the China date of entered_at
    due: date | None = None
    left_on: date | None = None
    working_days: int | None = None


def timeline(visits: Sequence[Visit], working_days_between: Callable[[date, date], int | None]) -> list[Visit]:
    """The visits in the order they happened, each closed by the next: left on its day, lasting the
    working days after it entered up to and including the day it left (NA-14: the entry day is not counted).

    Ordered by event time, then id, so the answer does not depend on which producer's events
    arrived first (the read model hears each producer on its own durable).
    """
    ordered = sorted(visits, key=lambda v: (v.entered_at, str(v.event_id)))
    out: list[Visit] = []
    for index, visit in enumerate(ordered):
        # Built directly rather than by dataclasses.replace (a rebuild makes a million of them).
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        left_on = None if following is None else following.entered_on
        days = None if following is None else working_days_between(visit.entered_on, following.entered_on)
        out.append(Visit(visit.event_id, visit.stage, visit.entered_at, visit.entered_on, visit.due, left_on, days))
    return out


def is_overdue(stage: str, due: date | None, today: date) -> bool:
    """A stage with a due date is overdue from the day after it (NA-14: due at the end of the day)."""
    return due is not None and stage not in FINAL_STAGES and today > due


# --- keyset pagination ------------------------------------------------------------------------


def encode_cursor(sort: str, values: Sequence[Any]) -> str:
    """An opaque cursor: the sort it belongs to and the last row's sort values."""
    raw = json.dumps([sort, [v.isoformat() if isinstance(v, date | datetime) else v for v in values]])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> list[Any] | None:
    """The sort values in ``cursor``, or None when it is not a cursor of this sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, values = json.loads(raw)
    except (ValueError, binascii.Error, TypeError):
        return None
    if kind != sort or not isinstance(values, list):
        return None
    return values


# --- statistics -----------------------------------------------------------------------------


def pass_rate(passed: int, evaluated: int) -> float | None:
    """MT-5: passed over evaluated, to four places; none when nobody was evaluated."""
    return round(passed / evaluated, 4) if evaluated else None


COUNTS = ("declared", "qualified", "evaluated", "passed", "overdue")


def chart(dimension: str, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Rows of the statistics as a chart wants them: the categories and one series per measure."""
    categories = [str(row["key"]) for row in rows]
    series = [{"name": name, "data": [row[name] for row in rows]} for name in (*COUNTS, "pass_rate")]
    return {"dimension": dimension, "categories": categories, "series": series}
