"""The shared app factory's answers a client relies on: a 500 that leaves the connection usable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from zhicheng_common.problems import PROBLEM_MEDIA_TYPE
from zhicheng_common.testing import failing_router, stand_in_app, under_uvicorn


@pytest.fixture
async def server() -> AsyncIterator[str]:
    """A service app under a real uvicorn (lifespan off: no database or broker is needed)."""
    async with under_uvicorn(stand_in_app("things", [failing_router("/things")])) as port:
        yield f"127.0.0.1:{port}"


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    lines = head.decode().split("\r\n")
    length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
    return int(lines[0].split()[1]), await asyncio.wait_for(reader.readexactly(length), 5)


async def test_after_a_500_the_same_connection_answers_the_next_request(server: str) -> None:
    host, port = server.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(f"GET /api/v1/things/boom HTTP/1.1\r\nHost: {server}\r\n\r\n".encode())
        status, body = await _read_response(reader)
        assert status == 500
        assert b'"code":"internal_error"' in body
        # Before the fix uvicorn closed the connection here, after the 500 had gone out as keep-alive.
        writer.write(f"GET /api/v1/things/fine HTTP/1.1\r\nHost: {server}\r\n\r\n".encode())
        status, body = await _read_response(reader)
        assert status == 200
        assert body == b'{"status":"fine"}'
    finally:
        writer.close()


async def test_a_pooled_client_never_fails_the_request_after_a_500(server: str) -> None:
    # As the gateway's forwarding client: one keep-alive connection reused for every request.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=f"http://{server}", limits=limits, trust_env=False) as client:
        for _ in range(20):
            failed = await client.get("/api/v1/things/boom")
            assert failed.status_code == 500
            assert failed.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
            assert failed.headers["x-request-id"] == failed.json()["trace_id"]
            assert (await client.get("/api/v1/things/fine")).status_code == 200
