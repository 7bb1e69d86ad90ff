"""The request-size limit (zhicheng_common.limits): refused on Content-Length before any byte is
read, cut off mid-stream without one, a larger allowance for upload routes; 413 problem+json."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI, Request
from pydantic import BaseModel

from zhicheng_common.limits import RequestSizeLimit, upload_allowances
from zhicheng_common.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers
from zhicheng_common.testing import asgi_call

LIMIT = 1000
UPLOAD_LIMIT = 5000


class Note(BaseModel):
    text: str


def small_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(RequestSizeLimit, max_bytes=LIMIT, allowances=upload_allowances(UPLOAD_LIMIT))

    @app.post("/notes")
    async def add(note: Note) -> dict[str, int]:
        return {"length": len(note.text)}

    @app.post("/api/v1/declarations/{declaration_id}/attachments")
    async def upload(declaration_id: str, request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    return app


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=small_app()), base_url="http://t.test")


async def chunks(total: int, size: int = 100) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        part = min(size, total - sent)
        sent += part
        yield b"x" * part


def assert_too_large(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    body = response.json()
    assert body["code"] == "payload_too_large"
    assert body["title"] == "请求内容过大"
    assert body["detail"] == f"请求内容超过上限 {limit} 字节"


async def test_a_body_over_the_limit_with_a_content_length_is_refused_with_413() -> None:
    async with client() as c:
        response = await c.post("/notes", json={"text": "a" * LIMIT})
    assert_too_large(response, LIMIT)


async def test_a_chunked_body_over_the_limit_is_refused_with_413() -> None:
    async with client() as c:
        response = await c.post("/notes", content=chunks(LIMIT + 1), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert_too_large(response, LIMIT)


async def test_a_body_at_the_limit_passes() -> None:
    text = "a" * (LIMIT - len('{"text":""}'))
    async with client() as c:
        response = await c.post("/notes", content=f'{{"text":"{text}"}}', headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json() == {"length": LIMIT - 11}


async def test_an_upload_route_has_its_own_allowance() -> None:
    url = "/api/v1/declarations/d-1/attachments"
    async with client() as c:
        passes = await c.post(url, content=chunks(UPLOAD_LIMIT))
        refused = await c.post(url, content=chunks(UPLOAD_LIMIT + 1))
        declared = await c.post(url, content=b"x" * (UPLOAD_LIMIT + 1))
    assert passes.status_code == 200, passes.text
    assert passes.json() == {"size": UPLOAD_LIMIT}
    assert_too_large(refused, UPLOAD_LIMIT)
    assert_too_large(declared, UPLOAD_LIMIT)


async def test_a_declared_length_over_the_limit_is_refused_before_any_byte_is_read() -> None:
    headers = [(b"content-length", b"1000000000"), (b"content-type", b"application/json")]
    call = await asgi_call(small_app(), "POST", "/notes", headers, chunk=b"x" * 100)
    assert call.pulled == 0
    assert call.status == 413
