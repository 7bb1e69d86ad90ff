"""Request-size limit: an ASGI middleware that counts a body's bytes as they arrive.

A request whose ``Content-Length`` is over its limit is refused before a byte of the body is read;
one without (chunked) is cut off as soon as the bytes received pass the limit, so no service, and
not the gateway, ever holds more than the limit of one request in memory. The refusal is a 413
problem (code ``payload_too_large``). A route that takes files (an attachment upload) has a larger
allowance, matched on method and path before routing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhicheng_common.logging import current_trace_id
from zhicheng_common.problems import PROBLEM_TYPE_BASE, Problem, problem_response

PAYLOAD_TOO_LARGE = "payload_too_large"

#: Routes that take an uploaded file as the body: they get ``ZC_MAX_UPLOAD_BYTES``, in the owning
#: service and in the gateway that forwards to it (method, full-match path pattern).
UPLOAD_ROUTES: tuple[tuple[str, str], ...] = (("POST", r"/api/v1/declarations/[^/]+/attachments"),)


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
    return Problem(
        type=PROBLEM_TYPE_BASE + PAYLOAD_TOO_LARGE,
        title="请求内容过大",
        status=413,
        detail=f"请求内容超过上限 {limit} 字节",
        code=PAYLOAD_TOO_LARGE,
        trace_id=current_trace_id(),
    )


class RequestSizeLimit:
    """Refuse bodies over ``max_bytes`` (or the matching allowance) with a 413 problem.

    When the limit is passed mid-body, ``receive`` raises :class:`BodyTooLarge` to whatever is
    reading (FastAPI's body parser, the gateway's forwarding); whatever that code then answers
    is replaced by the 413, unless it had already started a response.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, allowances: Sequence[BodyAllowance] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.allowances = tuple(allowances)

    def limit_for(self, method: str, path: str) -> int:
        for allowance in self.allowances:
            if allowance.method == method and allowance.path.fullmatch(path):
                return allowance.max_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("method", ""), scope.get("path", ""))
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await problem_response(_too_large(limit), {"Connection": "close"})(scope, receive, send)
            return
        received = 0
        exceeded = False
        started = False

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

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the 413 below answers instead
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded or started:
                raise
        if exceeded and not started:
            await problem_response(_too_large(limit), {"Connection": "close"})(scope, receive, send)
