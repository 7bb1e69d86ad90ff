"""The gateway's HTTP/1.1 transport to the domain services: kept-alive asyncio connections, h11.

httpx's default transport (httpcore over anyio) walked its whole pool twice per request, asking
every idle connection whether its socket had become readable (a ``poll`` and a dictionary of
socket attributes each time) and counting the idle connections once per connection: with the 16
connections that 16 clients keep open, that was about an eighth of the gateway's CPU under load
(bench/RESULTS.md, write path). Here an idle connection waits in a last-in-first-out stack per
origin: the most recently used one is taken, and one the service closed is known without a
system call (the event loop has already read its end of file). A connection idle longer than
``keepalive_expiry`` (below uvicorn's 5 s keep-alive) is closed instead of reused, so a request
is not sent on a connection the service is about to close.

Only ``http://`` is handled here; anything else goes to httpx's own transport. Errors are
httpx's (``ConnectError``, ``ConnectTimeout``, ``ReadTimeout``, ``WriteTimeout``, ``PoolTimeout``,
``RemoteProtocolError``...), so callers see what they saw with the default transport.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import h11
import httpx

_READ_SIZE = 65536


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    protocol: h11.Connection = field(default_factory=lambda: h11.Connection(our_role=h11.CLIENT))
    idle_since: float = 0.0

    def reusable(self, now: float, expiry: float) -> bool:
        return now - self.idle_since < expiry and not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


async def _within(awaitable: Any, seconds: float | None, error: type[httpx.TimeoutException], what: str) -> Any:
    try:
        async with asyncio.timeout(seconds):  # no task per call, unlike wait_for
            return await awaitable
    except TimeoutError:
        raise error(f"{what} timed out") from None


class UpstreamTransport(httpx.AsyncBaseTransport):
    """Pooled HTTP/1.1 connections to the services (``http://``), for an :class:`httpx.AsyncClient`."""

    def __init__(self, *, max_connections: int, max_keepalive: int, keepalive_expiry: float = 4.0) -> None:
        self._slots = asyncio.Semaphore(max_connections)
        self._max_keepalive = max_keepalive
        self._expiry = keepalive_expiry
        self._idle: dict[tuple[str, int], deque[_Connection]] = {}
        self._other: httpx.AsyncHTTPTransport | None = None
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "http":
            if self._other is None:
                self._other = httpx.AsyncHTTPTransport(trust_env=False)
            return await self._other.handle_async_request(request)
        timeouts: dict[str, float | None] = request.extensions.get("timeout") or {}
        await _within(self._slots.acquire(), timeouts.get("pool"), httpx.PoolTimeout, "waiting for a connection")
        try:
            origin = (request.url.host, request.url.port or 80)
            connection = self._idle_connection(origin) or await self._connect(origin, timeouts.get("connect"))
            try:
                response = await self._exchange(connection, request, timeouts)
            except BaseException:
                connection.close()
                raise
            self._release(origin, connection)
            return response
        finally:
            self._slots.release()

    def _idle_connection(self, origin: tuple[str, int]) -> _Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            if connection.reusable(now, self._expiry):
                return connection
            connection.close()
        return None

    async def _connect(self, origin: tuple[str, int], seconds: float | None) -> _Connection:
        try:
            reader, writer = await _within(
                asyncio.open_connection(*origin, limit=_READ_SIZE), seconds, httpx.ConnectTimeout, "connecting"
            )
        except OSError as exc:
            raise httpx.ConnectError(str(exc)) from exc
        return _Connection(reader, writer)

    async def _exchange(
        self, connection: _Connection, request: httpx.Request, timeouts: dict[str, float | None]
    ) -> httpx.Response:
        protocol, writer = connection.protocol, connection.writer
        target = request.url.raw_path
        try:
            writer.write(
                protocol.send(h11.Request(method=request.method, target=target, headers=list(request.headers.raw)))
                or b""
            )
            if isinstance(request.stream, httpx.AsyncByteStream):
                async for chunk in request.stream:
                    if chunk:
                        writer.write(protocol.send(h11.Data(data=chunk)) or b"")
                        await _within(writer.drain(), timeouts.get("write"), httpx.WriteTimeout, "sending")
            else:
                for chunk in request.stream:
                    if chunk:
                        writer.write(protocol.send(h11.Data(data=chunk)) or b"")
            writer.write(protocol.send(h11.EndOfMessage()) or b"")
            await _within(writer.drain(), timeouts.get("write"), httpx.WriteTimeout, "sending")
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc)) from exc
        except OSError as exc:
            raise httpx.WriteError(str(exc)) from exc
        answer: h11.Response | None = None
        body: list[bytes] = []
        while True:
            event = await self._next_event(connection, timeouts.get("read"))
            if isinstance(event, h11.Response):
                answer = event
            elif isinstance(event, h11.Data):
                body.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
            # h11.InformationalResponse (1xx): wait for the final answer.
        assert answer is not None
        return httpx.Response(
            answer.status_code,
            headers=list(answer.headers.raw_items()),
            stream=httpx.ByteStream(b"".join(body)),
            extensions={"http_version": b"HTTP/" + answer.http_version, "reason_phrase": answer.reason},
            request=request,
        )

    async def _next_event(self, connection: _Connection, seconds: float | None) -> Any:
        protocol = connection.protocol
        while True:
            try:
                event = protocol.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc)) from exc
            if event is not h11.NEED_DATA:
                return event
            try:
                data = await _within(connection.reader.read(_READ_SIZE), seconds, httpx.ReadTimeout, "reading")
            except OSError as exc:
                raise httpx.ReadError(str(exc)) from exc
            try:
                protocol.receive_data(data)
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc)) from exc

    def _release(self, origin: tuple[str, int], connection: _Connection) -> None:
        protocol = connection.protocol
        idle = self._idle.setdefault(origin, deque())
        if (
            self._closed
            or protocol.our_state is not h11.DONE
            or protocol.their_state is not h11.DONE
            or len(idle) >= self._max_keepalive
        ):
            connection.close()
            return
        protocol.start_next_cycle()
        connection.idle_since = time.monotonic()
        idle.append(connection)

    async def aclose(self) -> None:
        self._closed = True
        for idle in self._idle.values():
            while idle:
                idle.pop().close()
        if self._other is not None:
            await self._other.aclose()
