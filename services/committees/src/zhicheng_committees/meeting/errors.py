"""Refusals about evaluation meetings (RFC 9457)."""

from __future__ import annotations

from zhicheng_common.problems import Conflict, NotFound


class MeetingNotFound(NotFound):
    code = "meeting_not_found"
    title = "评审会议不存在"


class SittingNotArranged(Conflict):
    code = "meeting_not_arranged"
    title = "评审会议尚未安排"
