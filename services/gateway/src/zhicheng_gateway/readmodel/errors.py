"""Refusals of the read model's routes, each with its HTTP status and stable ``code``."""

from __future__ import annotations

from zhicheng_common.problems import ProblemError


class BadQueryCursor(ProblemError):
    """A cursor of another sort or order, or not a cursor at all (400)."""

    code = "bad_query_cursor"
    title = "分页游标无效"


class BadResidentId(ProblemError):
    """A resident ID number whose checksum does not hold (GB 11643): it can match no one (400)."""

    code = "bad_resident_id"
    title = "公民身份号码格式不正确"
