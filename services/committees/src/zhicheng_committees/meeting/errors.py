"""Refusals about evaluation meetings (RFC 9457)."""

from __future__ import annotations

from zhicheng_common.problems import NotFound


class MeetingNotFound(NotFound):
    code = "meeting_not_found"
    title = "评审会议不存在"
