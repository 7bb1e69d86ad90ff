"""Every list route pages through the one bounded dependency: an offset of 2^63 is a 422, not a 500."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from zhicheng_common.app import create_service_app
from zhicheng_common.paging import MAX_BIGINT, MAX_LIMIT, MAX_OFFSET, MAX_QUEUE_LIMIT, Page, Paging
from zhicheng_common.settings import CommonSettings, ServiceSettings
from zhicheng_common.testing import build_app
from zhicheng_common.topology import ALL_SERVICES

router = APIRouter(prefix="/things")


@router.get("")
async def things(page: Paging) -> dict[str, int]:
    return {"limit": page.limit, "offset": page.offset}


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = create_service_app(
        name="intake", area="things", title="t", common=CommonSettings(), settings=ServiceSettings(), routers=[router]
    )
    return TestClient(app)


def test_defaults_are_the_first_page_of_fifty(client: TestClient) -> None:
    assert client.get("/api/v1/things").json() == {"limit": 50, "offset": 0}
    assert Page(limit=50, offset=0) == Page(50, 0)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"offset={2**63}", "offset"),
        (f"offset={MAX_OFFSET + 1}", "offset"),
        ("offset=-1", "offset"),
        (f"limit={MAX_LIMIT + 1}", "limit"),
        ("limit=0", "limit"),
    ],
)
def test_out_of_range_paging_is_a_422_naming_the_field(client: TestClient, query: str, field: str) -> None:
    response = client.get(f"/api/v1/things?{query}")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_the_bounds_themselves_are_accepted(client: TestClient) -> None:
    response = client.get(f"/api/v1/things?offset={MAX_OFFSET}&limit={MAX_LIMIT}")
    assert response.json() == {"limit": MAX_LIMIT, "offset": MAX_OFFSET}


def _apps(tmp_path: Path) -> dict[str, Any]:
    return {info.name: build_app(info, CommonSettings(keys_dir=tmp_path)) for info in ALL_SERVICES}


def test_every_list_route_with_an_offset_bounds_it(tmp_path: Path) -> None:
    paged: list[str] = []
    for name, app in _apps(tmp_path).items():
        for path, operations in app.openapi()["paths"].items():
            for method, operation in operations.items():
                params = {p["name"]: p for p in operation.get("parameters", []) if p.get("in") == "query"}
                if "offset" not in params:
                    continue
                paged.append(f"{name} {method.upper()} {path}")
                assert params["offset"]["schema"].get("maximum") == MAX_OFFSET, (name, path)
                assert params["limit"]["schema"].get("maximum") in (MAX_LIMIT, MAX_QUEUE_LIMIT), (name, path)
    # The list routes with offsets: committees (2), intake (1), integrity (1), review's queue, gateway
    # users, experts (1).
    assert len(paged) == 7, paged


def test_every_integer_parameter_of_every_route_has_a_bound_postgresql_can_hold(tmp_path: Path) -> None:
    unbounded: list[str] = []
    for name, app in _apps(tmp_path).items():
        for path, operations in app.openapi()["paths"].items():
            for method, operation in operations.items():
                for param in operation.get("parameters", []):
                    schema = param.get("schema", {})
                    for candidate in [schema, *schema.get("anyOf", [])]:
                        if candidate.get("type") == "integer" and candidate.get("maximum", MAX_BIGINT + 1) > MAX_BIGINT:
                            unbounded.append(f"{name} {method.upper()} {path} {param['name']}")
    assert unbounded == []
