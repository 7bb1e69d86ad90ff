"""Bad input answered as a 422 problem with a stable code, never a 500 (issue 11 §3):
U+0000 anywhere in the path, query or JSON/form body (nul_character), a date pushed past the year
9999 (date_out_of_range)."""

from __future__ import annotations

from datetime import date, timedelta

import asyncpg
import httpx
from fastapi import FastAPI, Form
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError

from zhicheng_common.limits import NulCharacterGuard
from zhicheng_common.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers


class Note(BaseModel):
    text: str
    issued: date | None = None


def app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(NulCharacterGuard)

    @app.post("/notes")
    async def add(note: Note) -> dict[str, str]:
        if note.issued is not None:
            due = note.issued + timedelta(days=30)  # OverflowError past 9999-12-31
            return {"text": note.text, "due": due.isoformat()}
        return {"text": note.text}

    @app.get("/notes/{name}")
    async def read(name: str, q: str = "") -> dict[str, str]:
        return {"name": name, "q": q}

    @app.post("/form")
    async def form(username: str = Form()) -> dict[str, str]:
        return {"username": username}

    @app.get("/anniversary")
    async def anniversary(year: int) -> dict[str, str]:
        return {"date": date(2024, 5, 1).replace(year=year + 3).isoformat()}  # ValueError past 9999

    return app


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://t.test")


def assert_problem(response: httpx.Response, code: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    assert response.json()["code"] == code


async def test_a_nul_in_a_json_string_is_refused_with_nul_character() -> None:
    async with client() as c:
        response = await c.post("/notes", json={"text": "a\u0000b"})
    assert_problem(response, "nul_character")
    assert response.json()["title"] == "请求含有空字符"


async def test_an_escaped_backslash_before_u0000_is_text_not_a_nul() -> None:
    async with client() as c:
        response = await c.post("/notes", json={"text": "C:\\u0000"})  # backslash, then "u0000"
    assert response.status_code == 200, response.text
    assert response.json() == {"text": "C:\\u0000"}


async def test_a_nul_split_across_chunks_is_found() -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        yield b'{"text":"ab\\u0'
        yield b'000"}'

    async with client() as c:
        response = await c.post("/notes", content=chunks(), headers={"content-type": "application/json"})
    assert_problem(response, "nul_character")


async def test_a_nul_in_the_path_query_or_a_form_is_refused() -> None:
    async with client() as c:
        in_path = await c.get("/notes/a%00b")
        in_query = await c.get("/notes/a", params={"q": "x\u0000"})
        in_form = await c.post("/form", data={"username": "ad\u0000min"})
        clean = await c.get("/notes/a", params={"q": "x"})
    for response in (in_path, in_query, in_form):
        assert_problem(response, "nul_character")
    assert clean.json() == {"name": "a", "q": "x"}


async def test_a_date_in_9999_that_overflows_a_deadline_is_a_422_not_a_500() -> None:
    async with client() as c:
        overflow = await c.post("/notes", json={"text": "t", "issued": "9999-12-31"})
        replaced = await c.get("/anniversary", params={"year": 9999})
        fine = await c.post("/notes", json={"text": "t", "issued": "2026-12-28"})
    assert_problem(overflow, "date_out_of_range")
    assert overflow.json()["title"] == "日期超出可计算的范围"
    assert_problem(replaced, "date_out_of_range")
    assert fine.json()["due"] == "2027-01-27"  # 28 Dec + 30 days: 3 in December, 27 in January


async def test_an_escaped_backslash_cut_off_by_the_chunk_carry_is_not_a_nul() -> None:
    # The 64 bytes carried into the next chunk start right after the first of the two backslashes.
    tail = b"\\u0000" + b"b" * 58

    async def chunks():  # type: ignore[no-untyped-def]
        yield b'{"text":"' + b"a" * 100 + b"\\" + tail
        yield b'"}'

    async with client() as c:
        response = await c.post("/notes", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json()["text"] == "a" * 100 + "\\u0000" + "b" * 58


def test_a_connection_lost_under_a_statement_is_a_503_not_a_500() -> None:
    # Seen in a season under faults after PostgreSQL was killed: the statement in flight failed with
    # "connection was closed in the middle of operation", and the next request on a pooled
    # connection with "another operation is in progress"; both answered 500.
    app = FastAPI()
    install_problem_handlers(app)
    lost = {
        "closed": asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        "busy": asyncpg.exceptions.InterfaceError("cannot perform operation: another operation is in progress"),
    }

    @app.get("/lost/{kind}")
    async def raise_lost(kind: str) -> None:
        raise DBAPIError("SELECT 1", {}, lost[kind])

    @app.get("/violated")
    async def violated() -> None:
        raise DBAPIError("INSERT", {}, asyncpg.exceptions.UniqueViolationError("duplicate key"))

    client = TestClient(app, raise_server_exceptions=False)
    for kind in lost:
        response = client.get(f"/lost/{kind}")
        assert response.status_code == 503, (kind, response.text)
        assert response.json()["code"] == "database_unavailable"
        assert response.headers["Retry-After"] == "5"
    # A statement the database refused is not an outage: it stays the 500 it was.
    assert client.get("/violated").status_code == 500
