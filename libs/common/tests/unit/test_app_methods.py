"""The shared app factory: a declared path with another method is 405, even behind a catch-all."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.testclient import TestClient

from zhicheng_common.app import declared_methods, route_table
from zhicheng_common.testing import stand_in_app

things = APIRouter(prefix="/things")


@things.get("/{thing_id}")
async def read(thing_id: str) -> dict[str, str]:
    return {"id": thing_id}


@things.post("")
async def create() -> dict[str, str]:
    return {"id": "new"}


catch_all = APIRouter()


@catch_all.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
async def fallback(rest: str) -> dict[str, str]:
    return {"forwarded": rest}


def client() -> TestClient:
    return TestClient(stand_in_app("things", [things], [catch_all]))


def test_a_declared_path_with_another_method_is_405_with_allow_not_the_catch_all() -> None:
    response = client().delete("/api/v1/things/7")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.json()["code"] == "method_not_allowed"
    assert client().put("/api/v1/things").headers["allow"] == "POST"
    assert client().delete("/healthz").status_code == 405


def test_declared_methods_still_answer_and_other_paths_reach_the_catch_all() -> None:
    assert client().get("/api/v1/things/7").json() == {"id": "7"}
    assert client().post("/api/v1/things").json() == {"id": "new"}
    assert client().delete("/api/v1/elsewhere/7").json() == {"forwarded": "elsewhere/7"}


def test_the_route_table_flattens_included_routers_with_their_full_paths() -> None:
    app = client().app
    table = route_table(list(app.routes))  # type: ignore[attr-defined]
    assert declared_methods(table, "/api/v1/things/7") >= {"GET"}
    assert "POST" in declared_methods(table, "/api/v1/things")
    assert declared_methods(table, "/nowhere") == set()
