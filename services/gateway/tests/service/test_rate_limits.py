"""Rate limits on the gateway's public routes: the login and the other routes that need no token.

The gateway runs with a login burst of 3 (and 1 a minute) and a public burst of 5; requests come
from one client address (the test client's).
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable

import pytest

from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys, assert_problem
from zhicheng_gateway.settings import GatewaySettings

from .conftest import ADMIN_PASSWORD, ADMIN_USERNAME, SHANXI, Gateway, running_gateway

pytestmark = pytest.mark.service

TOKEN = "/api/v1/auth/token"


@pytest.fixture
async def limited(
    gateway_schema: CommonSettings, gateway_settings: Callable[..., GatewaySettings]
) -> AsyncIterator[Gateway]:
    settings = gateway_settings(
        login_rate_per_minute=1.0, login_rate_burst=3, public_rate_per_minute=1.0, public_rate_burst=5
    )
    async with running_gateway(gateway_schema, settings) as running:
        yield running


async def test_guessing_passwords_is_refused_after_the_burst_even_with_the_right_one(limited: Gateway) -> None:
    wrong = {"username": ADMIN_USERNAME, "password": "guess"}
    began = time.monotonic()
    statuses = [(await limited.client.post(TOKEN, data=wrong)).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    refused = await limited.client.post(TOKEN, data={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD})
    assert_problem(refused, 429, "rate_limited")
    # 1 a minute, the bucket empty: a minute after the first guess, so 60 s less the seconds the four
    # requests took (a busy machine takes more than one).
    spent = math.ceil(time.monotonic() - began)
    assert 60 - spent <= int(refused.headers["retry-after"]) <= 60


async def test_public_reads_have_their_own_bucket_and_signed_in_routes_none(
    limited: Gateway, zc_keys: TestKeys
) -> None:
    statuses = [(await limited.client.get("/api/v1/reference/levels")).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    # The login's bucket is untouched by the public reads.
    login = await limited.client.post(TOKEN, data={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD})
    assert login.status_code == 200, login.text
    headers = zc_keys.headers(roles=["province_admin"], region=SHANXI)
    signed_in = [(await limited.client.get("/api/v1/users/me", headers=headers)).status_code for _ in range(8)]
    assert 429 not in signed_in
