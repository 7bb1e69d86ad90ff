"""Refusals of the committees service, each with its HTTP status and stable ``code`` (RFC 9457)."""

from __future__ import annotations

from zhicheng_common.problems import Conflict, Forbidden, NotFound, ProblemError


class InvalidPayload(ProblemError):
    """A payload that parses but does not hold together (dates out of order, a specialty not of the series)."""

    status = 422
    code = "validation_failed"
    title = "请求数据格式有误"


class CommitteeNotFound(NotFound):
    code = "committee_not_found"
    title = "评委会不存在"


class FilingNotFound(NotFound):
    code = "filing_not_found"
    title = "备案申请不存在"


class PlanNotFound(NotFound):
    code = "plan_not_found"
    title = "年度评审计划不存在"


class MeetingNotFound(NotFound):
    code = "meeting_not_found"
    title = "评审会议不存在"


class FilingAlreadyDecided(Conflict):
    code = "filing_already_decided"
    title = "备案申请已处理"


class FilingPending(Conflict):
    code = "filing_pending"
    title = "已有待处理的备案申请"


class PlanExists(Conflict):
    code = "plan_exists"
    title = "该年度评审计划已存在"


class PlanAlreadyPublished(Conflict):
    code = "plan_already_published"
    title = "评审计划已发布"


class CalendarUnknown(ProblemError):
    """A date falls in a year whose working-day calendar is not known (configure overrides)."""

    status = 400
    code = "calendar_year_unknown"
    title = "工作日历未知"


class NotCommitteeOffice(Forbidden):
    """A committee office acting on a committee it is not the office of (issue 12)."""

    code = "not_committee_office"
    title = "不是该评审委员会的办公室"
