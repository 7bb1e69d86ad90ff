"""Refusals about committees and their filings, each with its HTTP status and stable ``code`` (RFC 9457)."""

from __future__ import annotations

from zhicheng_common.problems import Conflict, Forbidden, NotFound


class CommitteeNotFound(NotFound):
    code = "committee_not_found"
    title = "评委会不存在"


class FilingNotFound(NotFound):
    code = "filing_not_found"
    title = "备案申请不存在"


class FilingAlreadyDecided(Conflict):
    code = "filing_already_decided"
    title = "备案申请已处理"


class FilingPending(Conflict):
    code = "filing_pending"
    title = "已有待处理的备案申请"


class NotCommitteeOffice(Forbidden):
    """A committee office acting on a committee it is not the office of (issue 12)."""

    code = "not_committee_office"
    title = "不是该评审委员会的办公室"
