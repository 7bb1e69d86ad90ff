"""After a service's 500 the gateway forwards the next request normally (no 503 upstream_unavailable).

The upstream is a real service app (the shared factory) under a real uvicorn on loopback, standing
in as intake with a route that fails; the gateway forwards to it over its pooled keep-alive client.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys, failing_router, stand_in_app, under_uvicorn
from zhicheng_gateway.proxy import UPSTREAM_HEADER
from zhicheng_gateway.settings import GatewaySettings

from .conftest import SHANXI, Gateway, running_gateway

pytestmark = pytest.mark.service

ROUNDS = 30


@pytest.fixture
async def failing_upstream() -> AsyncIterator[str]:
    async with under_uvicorn(stand_in_app("declarations", [failing_router("/declarations")])) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
async def fronted(
    gateway_schema: CommonSettings, gateway_settings: Callable[..., GatewaySettings], failing_upstream: str
) -> AsyncIterator[Gateway]:
    # Few pooled connections: requests reuse the ones 500s came back on.
    settings = gateway_settings(intake_url=failing_upstream, upstream_max_connections=4, upstream_max_keepalive=4)
    async with running_gateway(gateway_schema, settings) as running:
        yield running


async def test_the_request_after_a_500_is_answered_by_the_service_not_503(fronted: Gateway, zc_keys: TestKeys) -> None:
    headers = zc_keys.headers(roles=["auditor"], region=SHANXI)
    statuses: list[int] = []
    for _ in range(ROUNDS):
        failed = await fronted.client.get("/api/v1/declarations/boom", headers=headers)
        assert failed.status_code == 500
        assert failed.json()["code"] == "internal_error"
        assert failed.headers[UPSTREAM_HEADER] == "intake"
        statuses.append((await fronted.client.get("/api/v1/declarations/fine", headers=headers)).status_code)
    assert statuses == [200] * ROUNDS


async def test_under_concurrency_no_request_is_lost_after_500s(fronted: Gateway, zc_keys: TestKeys) -> None:
    headers = zc_keys.headers(roles=["auditor"], region=SHANXI)
    paths = ["/api/v1/declarations/boom", "/api/v1/declarations/fine"] * ROUNDS
    answers = await asyncio.gather(*(fronted.client.get(path, headers=headers) for path in paths))
    statuses = [answer.status_code for answer in answers]
    assert statuses == [500, 200] * ROUNDS, [a.json().get("code") for a in answers if a.status_code == 503]
