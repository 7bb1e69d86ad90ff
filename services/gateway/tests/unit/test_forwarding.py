"""What a forwarded request and its answer look like, against an in-process echo service."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from zhicheng_common.logging import set_trace_id
from zhicheng_common.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers
from zhicheng_gateway.proxy import UPSTREAM_HEADER, Upstreams
from zhicheng_gateway.settings import GatewaySettings


async def echo(scope: dict[str, object], receive: object, send: object) -> None:
    """An upstream answering with what it received, and a few headers a proxy must handle."""
    assert scope["type"] == "http"
    request = Request(scope, receive)  # type: ignore[arg-type]
    body = await request.body()
    payload = {
        "method": request.method,
        "raw_path": request.scope["raw_path"].decode(),
        "query": request.scope["query_string"].decode(),
        "body": body.decode(),
        "headers": [[k, v] for k, v in request.headers.items()],
    }
    response = Response(json.dumps(payload), media_type="application/json", status_code=201)
    response.headers.append("set-cookie", "a=1")
    response.headers.append("set-cookie", "b=2")
    response.headers["connection"] = "close, x-secret-hop"
    response.headers["x-secret-hop"] = "only for this hop"
    response.headers["x-request-id"] = "upstreams-own-id"
    await response(scope, receive, send)  # type: ignore[arg-type]


@pytest.fixture
async def front() -> AsyncIterator[httpx.AsyncClient]:
    upstreams = Upstreams(GatewaySettings())
    intake = upstreams.by_area["declarations"]
    await intake.client.aclose()
    echoing = dataclasses.replace(intake, client=httpx.AsyncClient(transport=httpx.ASGITransport(app=echo)))
    app = FastAPI()

    @app.api_route("/{rest:path}", methods=["GET", "POST", "DELETE"])
    async def forward(request: Request) -> Response:
        set_trace_id("trace-1234")
        return await upstreams.forward(request, echoing)

    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw.test") as client:
            yield client
    finally:
        await echoing.client.aclose()
        await upstreams.aclose()


def headers_of(answer: httpx.Response) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in answer.json()["headers"]:
        out.setdefault(name, []).append(value)
    return out


async def test_method_raw_path_query_and_body_reach_the_service_unchanged(front: httpx.AsyncClient) -> None:
    answer = await front.post(
        "/api/v1/declarations/a%2Fb/%E7%94%B3%E6%8A%A5",
        params={"q": "太原", "page": "2"},
        content=b'{"x": 1}',
        headers={"content-type": "application/json"},
    )
    echoed = answer.json()
    assert echoed["method"] == "POST"
    assert echoed["raw_path"] == "/api/v1/declarations/a%2Fb/%E7%94%B3%E6%8A%A5"
    assert echoed["query"] == "q=%E5%A4%AA%E5%8E%9F&page=2"
    assert echoed["body"] == '{"x": 1}'
    assert headers_of(answer)["content-type"] == ["application/json"]


async def test_authorization_passes_and_hop_by_hop_headers_are_dropped(front: httpx.AsyncClient) -> None:
    answer = await front.get(
        "/api/v1/declarations",
        headers={
            "Authorization": "Bearer abc",
            "Connection": "keep-alive, x-private-hop",
            "X-Private-Hop": "1",
            "Proxy-Authorization": "Basic xyz",
            "TE": "trailers",
            "X-Custom": "kept",
        },
    )
    sent = headers_of(answer)
    assert sent["authorization"] == ["Bearer abc"]
    assert sent["x-custom"] == ["kept"]
    for name in ("x-private-hop", "proxy-authorization", "te"):
        assert name not in sent
    assert sent.get("connection") == ["keep-alive"]  # the gateway's own pooled connection, not the client's


async def test_the_correlation_id_and_forwarding_headers_are_set_for_the_service(front: httpx.AsyncClient) -> None:
    answer = await front.get(
        "/api/v1/declarations", headers={"X-Request-ID": "client-chosen", "X-Forwarded-For": "203.0.113.7"}
    )
    sent = headers_of(answer)
    assert sent["x-request-id"] == ["trace-1234"]  # the gateway's id for this request, once
    assert "traceparent" not in sent  # "trace-1234" is no W3C trace id
    assert sent["x-forwarded-for"] == ["203.0.113.7, 127.0.0.1"]
    assert sent["x-forwarded-proto"] == ["http"]
    assert sent["x-forwarded-host"] == ["gw.test"]


async def test_the_answer_keeps_status_body_and_repeated_headers_but_not_hop_by_hop_ones(
    front: httpx.AsyncClient,
) -> None:
    answer = await front.delete("/api/v1/declarations/1")
    assert answer.status_code == 201
    assert answer.json()["method"] == "DELETE"
    assert answer.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert "x-secret-hop" not in answer.headers
    assert answer.headers.get("connection") is None
    assert answer.headers[UPSTREAM_HEADER] == "intake"
    assert "x-request-id" not in answer.headers  # the gateway's correlation middleware sets its own
    assert answer.headers["content-length"] == str(len(answer.content))


async def test_a_service_that_accepts_but_never_answers_is_a_504_upstream_timeout_problem() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        await asyncio.sleep(2)  # never answers within the gateway's timeout
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    upstreams = Upstreams(GatewaySettings(intake_url=f"http://127.0.0.1:{port}", upstream_timeout_seconds=0.3))
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/{rest:path}")
    async def forward(request: Request) -> Response:
        return await upstreams.forward(request, upstreams.by_area["declarations"])

    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw.test") as client:
            answer = await client.get("/api/v1/declarations")
    finally:
        await upstreams.aclose()
        server.close()
        await server.wait_closed()
    assert answer.status_code == 504
    assert answer.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    assert answer.json()["code"] == "upstream_timeout"
