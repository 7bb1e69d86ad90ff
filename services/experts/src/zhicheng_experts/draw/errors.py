"""Refusals of the draw, each with its HTTP status and stable ``code`` (RFC 9457)."""

from __future__ import annotations

from typing import Any

from zhicheng_common.problems import Conflict, FieldError, Forbidden, NotFound, ProblemError


class DrawNotFound(NotFound, code="draw_not_found", title="抽取记录不存在"): ...


class MeetingNotOpen(NotFound, code="meeting_not_open", title="评审会议不存在或尚未备案"):
    """The pool knows no meeting of this committee open for a draw (no pre-meeting filing yet)."""


class NotCommitteeOffice(Forbidden, code="not_committee_office", title="不是该评审委员会的办公室"): ...


class PanelNotReadable(Forbidden, code="panel_not_readable", title="无权查看抽取结果"):
    """Only the committee office, HR supervisors and auditors read a panel or its pack (NA-2)."""


class SignatureInvalid(ProblemError, status=400, code="signature_invalid", title="签名无效"): ...


class DrawRefused(Conflict):
    """A rule or the draw's state refused the request (409); journaled in a transaction of its own.

    ``journal`` holds what the refusal's journal entry records (the record, its region, the pack),
    because the request's own transaction is rolled back.
    """

    title = "抽取请求被拒绝"

    def __init__(
        self,
        detail: str,
        *,
        code: str,
        rule: str | None,
        errors: list[FieldError] | None = None,
        journal: dict[str, Any],
    ) -> None:
        super().__init__(detail, code=code, rule=rule, errors=errors)
        self.journal = journal
