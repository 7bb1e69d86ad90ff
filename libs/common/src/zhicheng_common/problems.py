"""RFC 9457 problem details: one error base, one renderer.

Every refusal a client sees is ``application/problem+json`` with a stable ``code``, a Chinese
``title``/``detail`` for display, the policy ``rule`` id when a rule refused it, the per-field
``errors`` and the request's ``trace_id``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from zhicheng_common.calendar import UnknownCalendarYear
from zhicheng_common.logging import current_trace_id

PROBLEM_MEDIA_TYPE = "application/problem+json"
_YEAR_OUT_OF_RANGE = re.compile(r"year -?[0-9]+ is out of range")

PROBLEM_TYPE_BASE = "https://zhicheng.example.cn/problems/"

log = structlog.get_logger()


class FieldError(BaseModel):
    """One failed field or rule inside a problem."""

    field: str | None = None
    code: str
    message: str
    rule: str | None = None
    facts: dict[str, Any] | None = None


class Problem(BaseModel):
    """The body of every error response (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str | None = None
    code: str
    rule: str | None = None
    errors: list[FieldError] = Field(default_factory=list)
    trace_id: str | None = None


def make_problem(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    *,
    rule: str | None = None,
    errors: list[FieldError] | None = None,
) -> Problem:
    """The problem of ``code`` for the current request (its ``type`` from the code, the request's trace id)."""
    return Problem(
        type=PROBLEM_TYPE_BASE + code,
        title=title,
        status=status,
        detail=detail,
        code=code,
        rule=rule,
        errors=errors or [],
        trace_id=current_trace_id(),
    )


def _set_given(target: object, **values: object) -> None:
    """Set each of ``values`` that is given (not ``None``) on ``target``: a class or an instance."""
    for name, value in values.items():
        if value is not None:
            setattr(target, name, value)


class ProblemError(Exception):
    """Base of every expected refusal; carries its HTTP status and stable code."""

    status: int = 400
    code: str = "bad_request"
    title: str = "请求有误"
    #: Response headers the problem carries (``Retry-After`` of a 429); set per instance.
    headers: dict[str, str] | None = None

    def __init_subclass__(
        cls, *, status: int | None = None, code: str | None = None, title: str | None = None, **kwargs: Any
    ) -> None:
        """A problem type is a line of its service's table: ``class WrongState(Conflict, code=..., title=...): ...``."""
        super().__init_subclass__(**kwargs)
        _set_given(cls, status=status, code=code, title=title)

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        title: str | None = None,
        status: int | None = None,
        rule: str | None = None,
        errors: list[FieldError] | None = None,
    ) -> None:
        super().__init__(detail or title or self.title)
        self.detail = detail
        _set_given(self, code=code, title=title, status=status)
        self.rule = rule
        self.errors = errors or []

    def to_problem(self) -> Problem:
        return make_problem(self.status, self.code, self.title, self.detail, rule=self.rule, errors=self.errors)


class NotAuthenticated(ProblemError, status=401, code="not_authenticated", title="未登录或令牌无效"): ...


class Forbidden(ProblemError, status=403, code="forbidden", title="无权访问"): ...


class NotFound(ProblemError, status=404, code="not_found", title="记录不存在"): ...


class Conflict(ProblemError, status=409, code="conflict", title="与当前状态冲突"): ...


class RuleRefused(ProblemError, status=409, code="rule_refused", title="不符合政策规定"):
    """A policy rule refused the request; ``rule`` names it."""


class UpstreamUnavailable(ProblemError, status=503, code="upstream_unavailable", title="服务暂不可用"): ...


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


_STATUS_TITLES = {
    400: ("bad_request", "请求有误"),
    401: ("not_authenticated", "未登录或令牌无效"),
    403: ("forbidden", "无权访问"),
    404: ("not_found", "资源不存在"),
    405: ("method_not_allowed", "不支持的请求方法"),
    409: ("conflict", "与当前状态冲突"),
    413: ("payload_too_large", "请求内容过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    429: ("too_many_requests", "请求过于频繁"),
}


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) if parts else ".".join(str(p) for p in loc)


def validation_errors(errors: list[Any]) -> list[FieldError]:
    """Turn pydantic's errors into problem ``errors[]`` naming each field.

    A body that is not JSON at all names the body (field ``body``, code ``invalid_json``), not the
    byte offset pydantic puts in its location; the offset stays in the message.
    """
    out: list[FieldError] = []
    for err in errors:
        message = str(err.get("msg", "")).removeprefix("Value error, ")
        if err.get("type") == "json_invalid":
            loc = err.get("loc", ())
            offset = loc[-1] if len(loc) > 1 else None
            at = f"（第 {offset} 个字符处）" if isinstance(offset, int) else ""
            out.append(FieldError(field="body", code="invalid_json", message=f"请求体不是有效的 JSON{at}：{message}"))
            continue
        out.append(FieldError(field=_field_path(err.get("loc", ())), code=str(err.get("type")), message=message))
    return out


def internal_error_response(exc: BaseException) -> JSONResponse:
    """The 500 problem of an unexpected error (logged with its traceback, never shown to the client)."""
    log.exception("http.unexpected_error", error=repr(exc))
    return problem_response(make_problem(500, "internal_error", "系统内部错误"))


def _refused_value(exc: BaseException) -> bool:
    """Whether the database (or asyncpg encoding a parameter) refused a value: SQLSTATE class 22."""
    if isinstance(exc, DataError):
        return True
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        # asyncpg.exceptions.DataError: the server's class 22; asyncpg's own (an int out of its
        # column's range, found while encoding the parameter) is the InterfaceError-based one.
        if isinstance(seen, asyncpg.exceptions.DataError | asyncpg.exceptions._base.DataError):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


# The driver's errors that mean the connection, not the statement, failed: the server went away
# mid-statement, or a pooled connection is left in the middle of an operation a lost server cut
# short ("another operation is in progress"). asyncpg's DataError (a parameter it could not
# encode) is also an InterfaceError, and is found as a refused value before this is asked.
_CONNECTION_LOST = (
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.ConnectionFailureError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.InterfaceError,
    ConnectionError,
)


def _database_lost(exc: BaseException) -> bool:
    """Whether a database error is the connection's (an outage: 503), anywhere in the chain."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, _CONNECTION_LOST):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


def _null_into_required(exc: BaseException) -> bool:
    """Whether the database refused a null for a NOT NULL column (SQLSTATE 23502), anywhere in the chain.

    Such a null comes from the request: a PATCH that sets a required field to ``null`` where the
    model let it through. A unique or foreign-key violation (other 23xxx) is not this: the service
    decides those (a 409 of its own), and an unexpected one stays a 500.
    """
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, asyncpg.exceptions.NotNullViolationError) or getattr(seen, "sqlstate", None) == "23502":
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


Handler = Callable[[Request, Exception], Awaitable[JSONResponse]]


def _fixed_problem_handler(
    status: int, code: str, title: str, detail: str | Callable[[Exception], str], headers: dict[str, str] | None = None
) -> Handler:
    """A handler answering one kind of error with one problem, logged as ``http.<code>``: an outage
    (5xx, logged as an error) or bad input no model caught (4xx, a warning, the error cut to 500 characters)."""

    async def handler(_: Request, exc: Exception) -> JSONResponse:
        if status >= 500:
            log.error("http." + code, error=repr(exc))
        else:
            log.warning("http." + code, error=repr(exc)[:500])
        text = detail if isinstance(detail, str) else detail(exc)
        return problem_response(make_problem(status, code, title, text), headers)

    return handler


def install_problem_handlers(app: FastAPI) -> None:
    """Render every error of ``app`` as problem+json."""

    async def on_problem(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if exc.headers:
            headers = {**(headers or {}), **exc.headers}
        return problem_response(exc.to_problem(), headers)

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = validation_errors(list(exc.errors()))
        fields = "、".join(e.field for e in errors if e.field)
        return problem_response(
            make_problem(
                422,
                "validation_failed",
                "请求数据格式有误",
                f"以下字段有误：{fields}" if fields else None,
                errors=errors,
            )
        )

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code, title = _STATUS_TITLES.get(exc.status_code, ("http_error", "请求失败"))
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(
            make_problem(exc.status_code, code, title, detail), dict(exc.headers) if exc.headers else None
        )

    on_database_unavailable = _fixed_problem_handler(
        503, "database_unavailable", "数据库暂不可用", "请稍后重试；已保存的数据不受影响", {"Retry-After": "5"}
    )
    on_calendar_year_unknown = _fixed_problem_handler(
        503,
        "calendar_year_unknown",
        "工作日历缺少该年度数据",
        lambda exc: f"{exc}；请管理员配置 ZC_CALENDAR_OVERRIDES 后重试",
    )
    # The database refused a value the request carried (too long for its column, out of its
    # type's range, a character PostgreSQL cannot store): bad input that no model caught.
    on_unstorable = _fixed_problem_handler(
        422, "value_not_storable", "数据超出允许的范围", "请求中的某个值过长、超出范围或含有不允许的字符"
    )
    # A required field set to null that no model refused: the database's NOT NULL did.
    on_null_required = _fixed_problem_handler(
        422, "value_required", "必填项不能为空", "请求把必填的字段设为空值（null）；不修改的字段请省略"
    )
    # A date far in the future (the year 9999) pushed a deadline or period past what dates
    # can hold: the input is out of range, not the service broken.
    on_out_of_range = _fixed_problem_handler(
        422, "date_out_of_range", "日期超出可计算的范围", "请求中的日期或年份过远，无法据此计算期限"
    )

    async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
        return internal_error_response(exc)

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    # A lost database connection is an outage, not a bug: 503 with Retry-After.
    app.add_exception_handler(OperationalError, on_database_unavailable)
    app.add_exception_handler(InterfaceError, on_database_unavailable)
    app.add_exception_handler(ConnectionError, on_database_unavailable)
    # A deadline in a year the holiday calendar does not know yet is a configuration gap, not a bug.
    app.add_exception_handler(UnknownCalendarYear, on_calendar_year_unknown)

    async def on_dbapi_error(request: Request, exc: Exception) -> JSONResponse:
        if _refused_value(exc):
            return await on_unstorable(request, exc)
        if _null_into_required(exc):
            return await on_null_required(request, exc)
        if _database_lost(exc):
            return await on_database_unavailable(request, exc)
        return await on_unexpected(request, exc)

    app.add_exception_handler(DBAPIError, on_dbapi_error)
    app.add_exception_handler(OverflowError, on_out_of_range)

    async def on_value_error(request: Request, exc: Exception) -> JSONResponse:
        # ``date(...)``/``replace(year=...)`` past 9999 raise ValueError("year 10002 is out of range").
        if _YEAR_OUT_OF_RANGE.fullmatch(str(exc)):
            return await on_out_of_range(request, exc)
        return await on_unexpected(request, exc)

    app.add_exception_handler(ValueError, on_value_error)
    app.add_exception_handler(Exception, on_unexpected)


PROBLEM_CONTENT: dict[str, Any] = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def problem_doc(description: str) -> dict[str, Any]:
    """One problem response of a route for OpenAPI: ``responses={404: problem_doc("… (code)")}``.

    The description names the stable codes the route answers with; the body is the ``Problem``.
    """
    return {"description": description, "content": PROBLEM_CONTENT}


def problem_docs(described: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """The problem responses of a route, by status: ``responses=problem_docs({403: "…", 404: "…"})``."""
    return {status: problem_doc(description) for status, description in described.items()}


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": title, "content": PROBLEM_CONTENT}
    for status, (_, title) in _STATUS_TITLES.items()
    if status in (400, 401, 403, 404, 409)
}

VALIDATION_FAILED_RESPONSE: dict[str, Any] = {
    "description": "请求数据格式有误 (validation_failed: errors[] names each field)",
    "content": PROBLEM_CONTENT,
}

# FastAPI's own 422 body (``detail[]``); the server never sends it, so the document must not name it.
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")


def document_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Make an OpenAPI document say what the server sends for its errors.

    Every operation's 422 becomes the ``Problem`` under ``application/problem+json`` (FastAPI
    documents ``application/json`` with ``detail[]``); every other 4xx/5xx that a route documented
    with a description only gets the same content; the ``Problem`` schema is added and FastAPI's
    ``HTTPValidationError``/``ValidationError`` go.
    """
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = dict(VALIDATION_FAILED_RESPONSE)
            for status, response in responses.items():
                if status[:1] in ("4", "5") and not response.get("content"):
                    response["content"] = PROBLEM_CONTENT
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    # The same models in every service's document (a route that returns FieldError would otherwise
    # give it FastAPI's output form, and the gateway's merge would see two FieldErrors).
    for key, value in problem_schema.pop("$defs", {}).items():
        schemas[key] = value
    schemas["Problem"] = problem_schema
    return document
