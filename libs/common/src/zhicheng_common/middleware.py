"""The two pieces every plain ASGI middleware of the services is built from.

Plain ASGI, not ``BaseHTTPMiddleware``: that runs the app in an extra task per request, which costs
a noticeable share of a small endpoint's time.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HttpMiddleware(ABC):
    """A middleware of HTTP requests: other scopes (lifespan, websocket) pass through untouched.

    A subclass writes :meth:`http`; one with settings of its own calls ``super().__init__(app)``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    @abstractmethod
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None: ...


async def answer_instead(
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    watched_receive: Receive,
    refused: Callable[[], bool],
    answer: Callable[[], ASGIApp],
) -> None:
    """Run ``app`` reading the body through ``watched_receive``; once ``refused()`` holds (the body
    broke a rule as it streamed past, and ``watched_receive`` raised to whatever was reading),
    whatever ``app`` then answers is dropped and ``answer()`` is sent instead, unless a response had
    already started.
    """
    started = False

    async def guarded_send(message: Message) -> None:
        nonlocal started
        if refused() and not started:
            return  # the answer below replaces it
        if message["type"] == "http.response.start":
            started = True
        await send(message)

    try:
        await app(scope, watched_receive, guarded_send)
    except Exception:
        if not refused() or started:
            raise
    if refused() and not started:
        await answer()(scope, receive, send)
