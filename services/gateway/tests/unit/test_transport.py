"""The gateway's upstream transport against a real socket server (asyncio, loopback)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from zhicheng_gateway.transport import UpstreamTransport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _request_head(reader: asyncio.StreamReader) -> tuple[bytes, dict[bytes, bytes]]:
    head = await reader.readuntil(b"\r\n\r\n")
    line, *rest = head.split(b"\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(b":") for h in rest if h)}
    return line, headers


async def _request_body(reader: asyncio.StreamReader, headers: dict[bytes, bytes]) -> bytes:
    if b"content-length" in headers:
        return await reader.readexactly(int(headers[b"content-length"]))
    if headers.get(b"transfer-encoding") != b"chunked":
        return b""
    body = b""
    while True:  # chunked
        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return body
        body += chunk[:-2]


class Server:
    """Counts connections; answers each request with its method, target and body."""

    def __init__(self, *, close_after_each: bool = False, chunked: bool = False) -> None:
        self.connections = 0
        self.close_after_each = close_after_each
        self.chunked = chunked
        self.port = 0
        self._server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    line, headers = await _request_head(reader)
                except asyncio.IncompleteReadError:
                    return
                body = await _request_body(reader, headers)
                payload = line.split(b" ")[0] + b" " + line.split(b" ")[1] + b" " + body
                if self.chunked:
                    half = len(payload) // 2
                    writer.write(
                        b"HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\nx-a: 1\r\nx-a: 2\r\n\r\n"
                        + f"{half:x}\r\n".encode()
                        + payload[:half]
                        + f"\r\n{len(payload) - half:x}\r\n".encode()
                        + payload[half:]
                        + b"\r\n0\r\n\r\n"
                    )
                else:
                    close = b"connection: close\r\n" if self.close_after_each else b""
                    writer.write(
                        b"HTTP/1.1 200 OK\r\n" + close + f"content-length: {len(payload)}\r\n\r\n".encode() + payload
                    )
                await writer.drain()
                if self.close_after_each:
                    return
        finally:
            writer.close()

    async def __aenter__(self) -> Server:
        self._server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=UpstreamTransport(max_connections=4, max_keepalive=2), timeout=2.0, trust_env=False
    ) as c:
        yield c


async def test_a_kept_alive_connection_serves_the_next_requests(client: httpx.AsyncClient) -> None:
    async with Server() as server:
        for n in range(3):
            answer = await client.post(f"http://127.0.0.1:{server.port}/a/b?x={n}", content=b"body")
            assert answer.status_code == 200
            assert answer.content == f"POST /a/b?x={n} body".encode()
        assert server.connections == 1  # three requests, one connection


async def test_a_connection_the_service_closes_is_not_reused(client: httpx.AsyncClient) -> None:
    async with Server(close_after_each=True) as server:
        for _ in range(3):
            answer = await client.get(f"http://127.0.0.1:{server.port}/x")
            assert answer.content == b"GET /x "
            await asyncio.sleep(0.01)  # the loop reads the service's end of file
        assert server.connections == 3


async def test_a_streamed_body_goes_chunked_and_a_chunked_answer_is_whole(client: httpx.AsyncClient) -> None:
    async def parts() -> AsyncIterator[bytes]:
        yield b"he"
        yield b"llo"

    async with Server(chunked=True) as server:
        answer = await client.post(f"http://127.0.0.1:{server.port}/s", content=parts())
        assert answer.status_code == 201
        assert answer.content == b"POST /s hello"
        assert answer.headers.get_list("x-a") == ["1", "2"]  # repeated headers kept


async def test_concurrent_requests_open_connections_and_keep_at_most_max_keepalive(
    client: httpx.AsyncClient,
) -> None:
    async with Server() as server:
        answers = await asyncio.gather(*(client.get(f"http://127.0.0.1:{server.port}/{n}") for n in range(4)))
        assert [a.content for a in answers] == [f"GET /{n} ".encode() for n in range(4)]
        opened = server.connections
        assert 1 <= opened <= 4  # at most max_connections at once
        await client.get(f"http://127.0.0.1:{server.port}/again")
        assert server.connections == opened  # an idle connection was kept and reused


async def test_nothing_listening_is_a_connect_error(client: httpx.AsyncClient) -> None:
    async with Server() as server:
        port = server.port
    await asyncio.sleep(0.01)
    with pytest.raises(httpx.ConnectError):
        await client.get(f"http://127.0.0.1:{port}/")
