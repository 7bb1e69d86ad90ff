"""Request-size limit: an ASGI middleware that counts a body's bytes as they arrive; rate limits.

A request whose ``Content-Length`` is over its limit is refused before a byte of the body is read;
one without (chunked) is cut off as soon as the bytes received pass the limit, so no service, and
not the gateway, ever holds more than the limit of one request in memory. The refusal is a 413
problem (code ``payload_too_large``). A route that takes files (an attachment upload) has a larger
allowance, matched on method and path before routing.
"""

from __future__ import annotations

import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhicheng_common.logging import current_trace_id
from zhicheng_common.middleware import HttpMiddleware, answer_instead
from zhicheng_common.problems import PROBLEM_TYPE_BASE, Problem, make_problem, problem_response

PAYLOAD_TOO_LARGE = "payload_too_large"

#: Routes that take an uploaded file as the body: they get ``ZC_MAX_UPLOAD_BYTES``, in the owning
#: service and in the gateway that forwards to it (method, full-match path pattern).
UPLOAD_ROUTES: tuple[tuple[str, str], ...] = (
    ("POST", r"/api/v1/declarations/[^/]+/attachments"),
    # An expert-pool import (CSV or xlsx): a province's pool of thousands of rows passes 1 MiB.
    ("POST", r"/api/v1/experts/experts/imports"),
)


@dataclass(frozen=True)
class BodyAllowance:
    """A larger (or smaller) body limit for the requests of one method whose path matches."""

    method: str
    path: re.Pattern[str]
    max_bytes: int


def upload_allowances(max_bytes: int) -> tuple[BodyAllowance, ...]:
    """The allowance of every upload route, ``max_bytes`` each."""
    return tuple(BodyAllowance(method, re.compile(path), max_bytes) for method, path in UPLOAD_ROUTES)


class BodyTooLarge(Exception):
    """Raised from ``receive`` when the bytes received pass the request's limit."""


def _too_large(limit: int) -> Problem:
    return make_problem(413, PAYLOAD_TOO_LARGE, "请求内容过大", f"请求内容超过上限 {limit} 字节")


class RequestSizeLimit(HttpMiddleware):
    """Refuse bodies over ``max_bytes`` (or the matching allowance) with a 413 problem.

    When the limit is passed mid-body, ``receive`` raises :class:`BodyTooLarge` to whatever is
    reading (FastAPI's body parser, the gateway's forwarding); whatever that code then answers
    is replaced by the 413, unless it had already started a response.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, allowances: Sequence[BodyAllowance] = ()) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes
        self.allowances = tuple(allowances)

    def limit_for(self, method: str, path: str) -> int:
        for allowance in self.allowances:
            if allowance.method == method and allowance.path.fullmatch(path):
                return allowance.max_bytes
        return self.max_bytes

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limit_for(scope.get("method", ""), scope.get("path", ""))
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await problem_response(_too_large(limit), {"Connection": "close"})(scope, receive, send)
            return
        received = 0
        exceeded = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        def too_large() -> ASGIApp:
            return problem_response(_too_large(limit), {"Connection": "close"})

        await answer_instead(self.app, scope, receive, send, counting_receive, lambda: exceeded, too_large)


NUL_CHARACTER = "nul_character"
# A JSON ``\u0000`` escape whose backslash is not itself escaped (an even run of backslashes before it).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_CARRY = 64


def _nul_problem() -> Problem:
    return Problem(
        type=PROBLEM_TYPE_BASE + NUL_CHARACTER,
        title="请求含有空字符",
        status=422,
        detail="文本中不得含有空字符（U+0000）",
        code=NUL_CHARACTER,
        trace_id=current_trace_id(),
    )


def _nul_answer() -> ASGIApp:
    return problem_response(_nul_problem())


class NulCharacterGuard(HttpMiddleware):
    """Refuse a request carrying U+0000 in its path, query or JSON/form body: 422 ``nul_character``.

    PostgreSQL cannot store NUL in text (nor ``\\u0000`` in jsonb), so such a value would otherwise
    fail deep inside a transaction. The body is scanned as it streams past (a few bytes carried
    over between chunks), never buffered; a multipart or raw upload body is left alone.
    """

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_path: bytes = scope.get("raw_path") or b""
        if b"%00" in scope.get("query_string", b"") or b"%00" in raw_path or "\x00" in scope.get("path", ""):
            await problem_response(_nul_problem())(scope, receive, send)
            return
        content_type = Headers(scope=scope).get("content-type", "").lower()
        if "json" in content_type:
            pattern = _JSON_NUL
        elif "application/x-www-form-urlencoded" in content_type:
            pattern = re.compile(rb"%00")
        else:
            await self.app(scope, receive, send)
            return
        carry = b""
        found = False

        async def scanning_receive() -> Message:
            nonlocal carry, found
            if found:
                raise ValueError("NUL character in the request body")  # the 422 below answers
            message = await receive()
            if message["type"] == "http.request":
                window = carry + message.get("body", b"")
                # A match wholly inside the carried bytes was judged with its full context before.
                if any(match.end() > len(carry) for match in pattern.finditer(window)):
                    found = True
                    raise ValueError("NUL character in the request body")
                carry = window[-_CARRY:]
            return message

        await answer_instead(self.app, scope, receive, send, scanning_receive, lambda: found, _nul_answer)


RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class RateRule:
    """Requests that ``matches`` (method, path) share, per client address, a bucket of ``burst``
    requests refilled at ``per_minute``; ``name`` keeps the buckets of different rules apart."""

    name: str
    matches: Callable[[str, str], bool]
    per_minute: float
    burst: int


def _rate_limited(rule: RateRule, retry_after: int) -> Problem:
    return make_problem(429, RATE_LIMITED, "请求过于频繁", f"请求过于频繁，请在 {retry_after} 秒后重试")


class RateLimit(HttpMiddleware):
    """Token buckets per client address for the routes its rules match; over the rate: 429 problem.

    For the routes anyone may call without a token (the gateway's login, public publicity pages
    and objections, reference data), where nothing else limits a client. The first rule that
    matches a request applies; a request no rule matches passes untouched. The client is the
    ASGI ``client`` address: behind a proxy, let uvicorn set it from ``X-Forwarded-For``
    (``FORWARDED_ALLOW_IPS``, deploy/README.md), or every client shares the proxy's bucket.
    Buckets live in this process (each replica counts its own) and at most ``max_clients`` are
    kept, the least recently seen dropped first, so a flood of addresses cannot exhaust memory.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        rules: Sequence[RateRule],
        max_clients: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(app)
        self.rules = tuple(rules)
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()

    def _take(self, rule: RateRule, client: str) -> int:
        """Take one token; 0 when there was one, else the seconds until there will be."""
        key = (rule.name, client)
        now = self.clock()
        tokens, seen = self._buckets.pop(key, (float(rule.burst), now))
        tokens = min(float(rule.burst), tokens + (now - seen) * rule.per_minute / 60.0)
        if tokens >= 1.0:
            tokens -= 1.0
            wait = 0
        else:
            wait = max(1, math.ceil((1.0 - tokens) * 60.0 / rule.per_minute))
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return wait

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope.get("method", ""), scope.get("path", "")
        rule = next((r for r in self.rules if r.matches(method, path)), None)
        if rule is None:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self._take(rule, client)
        if wait:
            headers = {"Retry-After": str(wait)}
            await problem_response(_rate_limited(rule, wait), headers)(scope, receive, send)
            return
        await self.app(scope, receive, send)
