"""API keys: the secret shown once and stored hashed, quota with 429 and Retry-After, revocation,
rotation with overlap, every call counted per key; on a clock the test moves (ManualClock)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from zhicheng_common.clock import ManualClock
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys, assert_problem, run_sql
from zhicheng_gateway.settings import GatewaySettings

from .conftest import SHANXI, TAIYUAN, YUNCHENG, Gateway, running_gateway

pytestmark = pytest.mark.service

# 01:00:10 UTC: ten seconds into a 60-second window (windows start on whole minutes of the epoch).
START = datetime(2026, 12, 3, 1, 0, 10, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def gateway(
    gateway_schema: CommonSettings, gateway_settings: Callable[..., GatewaySettings], clock: ManualClock
) -> AsyncIterator[Gateway]:
    async with running_gateway(gateway_schema, gateway_settings(), clock=clock) as running:
        yield running


@pytest.fixture
def province_admin(zc_keys: TestKeys) -> dict[str, str]:
    return zc_keys.headers(roles=["province_admin"], region=SHANXI, subject="province-admin")


async def issue(gateway: Gateway, admin: dict[str, str], **body: Any) -> dict[str, Any]:
    payload = {"name": "数据共享", "holder": "太原市人社局", "region": TAIYUAN, "scopes": ["query"], **body}
    response = await gateway.client.post("/api/v1/api-keys", json=payload, headers=admin)
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


async def call(gateway: Gateway, secret: str) -> Any:
    return await gateway.client.get("/api/v1/api-keys/me", headers={"X-API-Key": secret})


async def test_the_secret_is_shown_once_and_stored_only_as_its_hash(
    gateway: Gateway, province_admin: dict[str, str], gateway_schema: CommonSettings
) -> None:
    issued = await issue(gateway, province_admin)
    secret = issued["secret"]
    assert secret.startswith("zck_")
    rows = await run_sql(
        gateway_schema,
        "gateway",
        "SELECT secret_hash, row_to_json(k)::text FROM gateway.api_keys k WHERE id = :id",
        id=issued["key"]["id"],
    )
    stored_hash, whole_row = rows[0]
    assert stored_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in whole_row
    # Never again: neither the key's page nor the list carries it.
    read = await gateway.client.get(f"/api/v1/api-keys/{issued['key']['id']}", headers=province_admin)
    listed = await gateway.client.get("/api/v1/api-keys", headers=province_admin)
    assert secret not in read.text
    assert secret not in listed.text
    me = await call(gateway, secret)
    assert me.status_code == 200, me.text
    assert (me.json()["region"], me.json()["scopes"]) == (TAIYUAN, ["query"])


async def test_over_its_quota_a_key_gets_429_with_retry_after_and_every_call_is_counted(
    gateway: Gateway, province_admin: dict[str, str], clock: ManualClock
) -> None:
    issued = await issue(gateway, province_admin, quota=3, window_seconds=60)
    secret = issued["secret"]
    for _ in range(3):
        assert (await call(gateway, secret)).status_code == 200
    over = await call(gateway, secret)
    assert_problem(over, 429, "quota_exceeded")
    # 01:00:10 in the window 01:00:00-01:01:00: 50 seconds to the next one.
    assert over.headers["Retry-After"] == "50"
    clock.advance(timedelta(seconds=49))
    assert (await call(gateway, secret)).headers["Retry-After"] == "1"
    clock.advance(timedelta(seconds=1))  # 01:01:00, a new window
    assert (await call(gateway, secret)).status_code == 200

    usage = await gateway.client.get(f"/api/v1/api-keys/{issued['key']['id']}/usage", headers=province_admin)
    assert usage.status_code == 200, usage.text
    body = usage.json()
    # 3 admitted + 2 refused in the first window, 1 admitted in the second.
    assert (body["calls"], body["refused"]) == (6, 2)
    assert [(w["calls"], w["refused"]) for w in body["windows"]] == [(1, 0), (5, 2)]


async def test_a_revoked_key_gets_401(gateway: Gateway, province_admin: dict[str, str]) -> None:
    issued = await issue(gateway, province_admin)
    assert (await call(gateway, issued["secret"])).status_code == 200
    revoked = await gateway.client.post(f"/api/v1/api-keys/{issued['key']['id']}/revoke", headers=province_admin)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] == START.isoformat().replace("+00:00", "Z")
    assert_problem(await call(gateway, issued["secret"]), 401, "api_key_revoked")
    rotate = await gateway.client.post(
        f"/api/v1/api-keys/{issued['key']['id']}/rotate", json={}, headers=province_admin
    )
    assert_problem(rotate, 400, "api_key_revoked")


async def test_a_rotated_keys_old_secret_works_until_the_overlap_ends(
    gateway: Gateway, province_admin: dict[str, str], clock: ManualClock
) -> None:
    issued = await issue(gateway, province_admin, quota=100)
    old = issued["secret"]
    rotated = await gateway.client.post(
        f"/api/v1/api-keys/{issued['key']['id']}/rotate", json={"overlap_seconds": 3600}, headers=province_admin
    )
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new != old
    # 01:00:10 + 3600 s = 02:00:10.
    assert rotated.json()["key"]["previous_valid_until"] == "2026-12-03T02:00:10Z"
    assert (await call(gateway, old)).status_code == 200
    assert (await call(gateway, new)).status_code == 200
    clock.advance(timedelta(seconds=3599))
    assert (await call(gateway, old)).status_code == 200
    clock.advance(timedelta(seconds=1))
    assert_problem(await call(gateway, old), 401, "api_key_rotated")
    assert (await call(gateway, new)).status_code == 200


async def test_unknown_malformed_or_missing_secrets_get_401(gateway: Gateway, province_admin: dict[str, str]) -> None:
    issued = await issue(gateway, province_admin)
    forged = issued["secret"][:-4] + "AAAA"
    assert_problem(await call(gateway, forged), 401, "api_key_invalid")
    assert_problem(await call(gateway, "not-a-key"), 401, "api_key_invalid")
    assert_problem(await gateway.client.get("/api/v1/api-keys/me"), 401, "api_key_missing")
    # The same secret in the Authorization header works too.
    scheme = await gateway.client.get("/api/v1/api-keys/me", headers={"Authorization": f"ApiKey {issued['secret']}"})
    assert scheme.status_code == 200, scheme.text


async def test_keys_are_issued_and_read_within_the_jurisdiction(
    gateway: Gateway, zc_keys: TestKeys, province_admin: dict[str, str]
) -> None:
    taiyuan_admin = zc_keys.headers(roles=["hr_admin"], region=TAIYUAN, subject="taiyuan-admin")
    elsewhere = await gateway.client.post(
        "/api/v1/api-keys",
        json={"name": "x", "holder": "运城", "region": YUNCHENG, "scopes": ["query"]},
        headers=taiyuan_admin,
    )
    assert_problem(elsewhere, 403, "outside_jurisdiction")
    yuncheng_key = await issue(gateway, province_admin, region=YUNCHENG)
    taiyuan_key = await issue(gateway, taiyuan_admin)
    assert_problem(
        await gateway.client.get(f"/api/v1/api-keys/{yuncheng_key['key']['id']}", headers=taiyuan_admin),
        404,
        "api_key_not_found",
    )
    listed = (await gateway.client.get("/api/v1/api-keys", headers=taiyuan_admin)).json()["items"]
    assert taiyuan_key["key"]["id"] in {k["id"] for k in listed}
    # Taiyuan and its counties only (other tests issue keys in Taiyuan's counties too).
    assert all(k["region"].startswith("1401") for k in listed)
    assert yuncheng_key["key"]["id"] not in {k["id"] for k in listed}
    bad_scope = await gateway.client.post(
        "/api/v1/api-keys",
        json={"name": "x", "holder": "x", "region": TAIYUAN, "scopes": ["admin"]},
        headers=taiyuan_admin,
    )
    assert_problem(bad_scope, 400, "unknown_scope")
