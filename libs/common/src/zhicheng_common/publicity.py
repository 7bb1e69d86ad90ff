"""Publicity windows (公示) and the objections raised during them: the counting every service shares.

Review publicizes declarations (RV-6, NA-6) and committees publicize a meeting's results (NA-11,
RV-6); both count the window the same way (NA-14) and accept and resolve objections by the same
rules. Pure functions, no I/O: the rule id of the caller's publicity is passed in.
"""

from __future__ import annotations

from datetime import date, timedelta

from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.refusals import Refusal


def open_through(calendar: WorkingDayCalendar, opened_on: date, working_days: int) -> date:
    """RV-6, NA-11, NA-14: the last day of a publicity opened on ``opened_on`` (that day not counted):
    the ``working_days``-th working day after it. The publicity is open through the END of that day."""
    return calendar.deadline(opened_on, working_days)


def closes_on(last_day: date) -> date:
    """NA-14: a publicity closes at the earliest on the day after its last day."""
    return last_day + timedelta(days=1)


def accepts_objections(*, today: date, last_day: date) -> bool:
    """RV-6: objections are accepted until the end of the publicity's last day."""
    return today <= last_day


def objection_refusal(*, open: bool, today: date, last_day: date, rule: str = "RV-6") -> Refusal | None:
    """RV-6: an objection is filed only while the publicity is open, until the end of its last day."""
    if open and accepts_objections(today=today, last_day=last_day):
        return None
    return Refusal(rule, "publicity_closed", "公示期已结束，不再受理异议")


def close_refusal(*, today: date, last_day: date, open_objections: int, rule: str = "RV-6") -> Refusal | None:
    """RV-6: why a publicity may not close yet (unresolved objections, or its last day not over)."""
    if open_objections:
        return Refusal(rule, "objections_unresolved", f"公示期内有 {open_objections} 件异议尚未处理，不能结束公示")
    if today < closes_on(last_day):
        return Refusal(
            rule,
            "publicity_too_short",
            f"公示期至 {last_day.isoformat()} 日终了，最早于 {closes_on(last_day).isoformat()} 结束",
        )
    return None
