"""Refusals shared by the feature folders of the committees service (RFC 9457)."""

from __future__ import annotations

from zhicheng_common.problems import ProblemError


class InvalidPayload(ProblemError):
    """A payload that parses but does not hold together (dates out of order, a specialty not of the series)."""

    status = 422
    code = "validation_failed"
    title = "请求数据格式有误"


class CalendarUnknown(ProblemError):
    """A date falls in a year whose working-day calendar is not known (configure overrides)."""

    status = 400
    code = "calendar_year_unknown"
    title = "工作日历未知"
