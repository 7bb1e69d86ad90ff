"""Every route of every app is authenticated or explicitly public (STYLE.md: authenticated by default).

Walks the routes of each service's and the gateway's own ``create_app()`` (routers included, as
FastAPI resolves them) and fails on a route that neither depends on the verified caller
(``current_principal``, through ``CurrentPrincipal``, ``require_roles`` or a service's role alias)
nor carries the public mark (``dependencies=[PUBLIC_ROUTE]``). FastAPI's own document and docs
pages are the only unmarked routes allowed: they are what an app's ``openapi_url``/``docs_url``
name. No database, no NATS: the apps are built, never started.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient

from zhicheng_common.app import Operation, depends_on, operations
from zhicheng_common.auth import (
    PUBLIC_ROUTE,
    CurrentPrincipal,
    current_key_holder,
    current_principal,
    public_route,
    require_roles,
)
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import build_app
from zhicheng_common.topology import ALL_SERVICES, ServiceInfo


def framework_paths(app: FastAPI) -> set[str]:
    """The pages FastAPI itself adds (plain Starlette routes, no dependencies possible)."""
    paths = {app.openapi_url, app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url}
    return {path for path in paths if path}


def unguarded(app: FastAPI) -> list[str]:
    """``METHOD path`` of every route that is neither authenticated nor marked public."""
    allowed = framework_paths(app)
    out: list[str] = []
    for op in operations(app.routes):
        if op.dependant is None:
            if op.path not in allowed:
                out.append(f"{op.method.upper()} {op.path} (plain route)")
        elif not any(depends_on(op.dependant, mark) for mark in (current_principal, current_key_holder, public_route)):
            out.append(f"{op.method.upper()} {op.path}")
    return out


def public(app: FastAPI) -> set[str]:
    return {
        f"{op.method.upper()} {op.path}"
        for op in operations(app.routes)
        if op.dependant is not None and depends_on(op.dependant, public_route)
    }


def _app(info: ServiceInfo, tmp_path: Path) -> Any:
    common = CommonSettings(environment="test", data_dir=tmp_path, keys_dir=tmp_path / "keys")
    return build_app(info, common, scheduler_enabled=False, consumers_enabled=False, relay_enabled=False)


@pytest.mark.parametrize("info", ALL_SERVICES, ids=[s.name for s in ALL_SERVICES])
def test_every_route_is_authenticated_or_marked_public(info: ServiceInfo, tmp_path: Path) -> None:
    app = _app(info, tmp_path)
    walked = operations(app.routes)
    # A service has its health routes and at least a handful of its own; a walk that finds none
    # would pass vacuously.
    assert len(walked) > 10, [f"{op.method} {op.path}" for op in walked]
    assert unguarded(app) == []


def test_the_public_routes_are_exactly_these(tmp_path: Path) -> None:
    """A route made public by accident shows here: the list is written out, not read from the code."""
    probes = {"GET /healthz", "GET /readyz", "GET /metrics"}
    expected = {
        "intake": probes,
        "review": probes
        | {
            "GET /api/v1/reviews/public/publicities/{token}",
            "POST /api/v1/reviews/public/publicities/{token}/objections",
            "GET /api/v1/reviews/public/keys",
        },
        "experts": probes,
        "committees": probes,
        "integrity": probes,
        "certificates": probes
        | {
            "POST /api/v1/certificates/public/verifications/by-number",
            "POST /api/v1/certificates/public/verifications/by-token",
            "GET /api/v1/certificates/public/status/{purpose}",
            "GET /api/v1/certificates/public/keys",
            "GET /api/v1/certificates/public/keys/jwks.json",
            "GET /api/v1/certificates/public/keys/sm2.json",
            "GET /api/v1/certificates/public/did.json",
        },
        "gateway": probes
        | {
            "POST /api/v1/auth/token",
            "GET /api/v1/auth/jwks",
            "GET /.well-known/openid-configuration",
            "GET /api/v1/healthz",
            "GET /api/v1/openapi.json",
            "GET /api/v1/docs",
            # Feeds: the event catalog and the keys that verify pulled pages (issue 17).
            "GET /api/v1/feeds/catalog",
            "GET /api/v1/feeds/keys",
            # Public verification and its page (issue 17, docs/verify.md).
            "POST /api/v1/verify/by-number",
            "POST /api/v1/verify/by-token",
            "GET /verify",
            "POST /verify",
            "GET /api/v1/reference",
            "GET /api/v1/reference/series",
            "GET /api/v1/reference/series/{code}",
            "GET /api/v1/reference/levels",
            "GET /api/v1/reference/ownership-kinds",
            "GET /api/v1/reference/channels",
            "GET /api/v1/reference/attachment-kinds",
            "GET /api/v1/reference/employment-statuses",
            "GET /api/v1/reference/sanction-kinds",
            "GET /api/v1/reference/skill-levels",
            "GET /api/v1/reference/continuing-education-kinds",
            "GET /api/v1/reference/committee-statuses",
            "GET /api/v1/reference/review-steps",
            "GET /api/v1/reference/review-statuses",
            "GET /api/v1/reference/policy-packs",
            "GET /api/v1/reference/policy-packs/{pack_id}",
            "GET /api/v1/reference/policy-packs/{pack_id}/review-chain",
            # Forwarding: the gateway verifies the token in the handler unless the path is one of
            # the owning service's public prefixes, and the service verifies it again.
            *(
                f"{method} {path}"
                for path in ("/api/v1/{area}", "/api/v1/{area}/{rest}")
                for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
            ),
        },
    }
    found = {info.name: public(_app(info, tmp_path / info.name)) for info in ALL_SERVICES}
    assert found == expected


def _toy_app(*, mark_public: bool) -> FastAPI:
    router = APIRouter()

    @router.get("/open", dependencies=[PUBLIC_ROUTE] if mark_public else [])
    async def open_route() -> dict[str, str]:
        return {"ok": "yes"}

    @router.get("/mine")
    async def mine(principal: CurrentPrincipal) -> dict[str, str]:
        return {"subject": principal.subject}

    @router.get("/admins", dependencies=[require_roles("hr_admin")])
    async def admins() -> dict[str, str]:
        return {"ok": "yes"}

    @router.get("/nested")
    async def nested(value: str = Depends(lambda: "x")) -> dict[str, str]:
        return {"value": value}

    app = FastAPI()
    app.include_router(router, prefix="/api/v1")
    return app


def test_the_walk_names_a_route_that_is_neither_authenticated_nor_public() -> None:
    assert unguarded(_toy_app(mark_public=False)) == ["GET /api/v1/open", "GET /api/v1/nested"]
    assert unguarded(_toy_app(mark_public=True)) == ["GET /api/v1/nested"]


def test_the_public_mark_changes_nothing_at_run_time_and_the_document_says_no_token() -> None:
    app = _toy_app(mark_public=True)
    assert TestClient(app).get("/api/v1/open").json() == {"ok": "yes"}
    ops: list[Operation] = operations(app.routes)
    assert {op.path for op in ops if op.dependant is not None and depends_on(op.dependant, public_route)} == {
        "/api/v1/open"
    }


def test_a_walked_service_document_gives_public_operations_an_empty_security(tmp_path: Path) -> None:
    info = next(s for s in ALL_SERVICES if s.name == "review")
    document = _app(info, tmp_path).openapi()
    assert document["paths"]["/api/v1/reviews/public/keys"]["get"]["security"] == []
    assert document["paths"]["/healthz"]["get"]["security"] == []
