"""Jurisdiction of the feed and key routes, walked with three regions: the province, a city
(Linfen 141000) and another city (Datong 140200). No route gives a city another city's record."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys, assert_problem

from .conftest import SHANXI, Gateway
from .feeds_helpers import issue_key, logged, publish, pull_all, subscribe

pytestmark = pytest.mark.service

LINFEN, LINFEN_COUNTY = "141000", "141002"
DATONG, DATONG_COUNTY = "140200", "140212"
WITHDRAWN = "intake.declaration.withdrawn"


def admin(zc_keys: TestKeys, region: str) -> dict[str, str]:
    role = "province_admin" if region == SHANXI else "hr_admin"
    return zc_keys.headers(roles=[role], region=region, subject=f"admin-{region}")


def within(city: str, region: str) -> bool:
    return region.startswith(city[:4])


async def test_feed_and_key_routes_never_return_another_citys_records(
    gateway: Gateway, zc_keys: TestKeys, nats_js: Any, gateway_schema: CommonSettings
) -> None:
    admins = {region: admin(zc_keys, region) for region in (SHANXI, LINFEN, DATONG)}
    names = {region: f"walk-{region}-{uuid.uuid4().hex[:6]}" for region in (SHANXI, LINFEN, DATONG)}
    subscriptions = {
        region: (
            await subscribe(
                gateway,
                admins[region],
                name=names[region],
                agency=f"机构 {region}",
                region=region,
                fields={WITHDRAWN: ["declaration_id"]},
            )
        )["subscription"]
        for region in (SHANXI, LINFEN, DATONG)
    }
    keys = {
        region: await issue_key(gateway, admins[region], region=region, scopes=[f"feed:{names[region]}"])
        for region in (SHANXI, LINFEN, DATONG)
    }
    # A Linfen key allowed to read the province's subscription still sees only Linfen.
    linfen_on_province = await issue_key(gateway, admins[SHANXI], region=LINFEN, scopes=[f"feed:{names[SHANXI]}"])
    events = {}
    for county in (LINFEN_COUNTY, DATONG_COUNTY):
        declaration = str(uuid.uuid4())
        events[county] = await publish(
            nats_js, gateway_schema, WITHDRAWN, {"declaration_id": declaration}, subject=declaration, region=county
        )
    await logged(gateway_schema, list(events.values()))

    province, _ = await pull_all(gateway, subscriptions[SHANXI]["id"], keys[SHANXI])
    assert {events[LINFEN_COUNTY], events[DATONG_COUNTY]} <= {e["id"] for e in province}
    for city, other in ((LINFEN, DATONG_COUNTY), (DATONG, LINFEN_COUNTY)):
        seen, _ = await pull_all(gateway, subscriptions[city]["id"], keys[city])
        own = LINFEN_COUNTY if city == LINFEN else DATONG_COUNTY
        assert events[own] in {e["id"] for e in seen}
        assert events[other] not in {e["id"] for e in seen}
        assert all(within(city, e["region"]) for e in seen)
    narrowed, _ = await pull_all(gateway, subscriptions[SHANXI]["id"], linfen_on_province)
    assert events[LINFEN_COUNTY] in {e["id"] for e in narrowed}
    assert all(within(LINFEN, e["region"]) for e in narrowed)
    # A city's key cannot read the other city's subscription (its scope names only its own).
    assert_problem(
        await gateway.client.get(f"/api/v1/feeds/{subscriptions[DATONG]['id']}/events", headers=keys[LINFEN]),
        403,
        "scope_required",
    )

    # The administrators' routes: lists within the region, another city's rows are not found.
    for city, other in ((LINFEN, DATONG), (DATONG, LINFEN)):
        listed = (await gateway.client.get("/api/v1/feeds/subscriptions", headers=admins[city])).json()["items"]
        assert subscriptions[city]["id"] in {s["id"] for s in listed}
        assert all(within(city, s["region"]) for s in listed)
        for path in ("", "/attempts"):
            assert_problem(
                await gateway.client.get(
                    f"/api/v1/feeds/subscriptions/{subscriptions[other]['id']}{path}", headers=admins[city]
                ),
                404,
                "subscription_not_found",
            )
        replay = await gateway.client.post(
            f"/api/v1/feeds/subscriptions/{subscriptions[other]['id']}/replay",
            json={"after": "0"},
            headers=admins[city],
        )
        assert_problem(replay, 404, "subscription_not_found")
        keys_listed = (await gateway.client.get("/api/v1/api-keys", headers=admins[city])).json()["items"]
        assert keys_listed
        assert all(within(city, k["region"]) for k in keys_listed)
    province_listed = (await gateway.client.get("/api/v1/feeds/subscriptions", headers=admins[SHANXI])).json()["items"]
    assert {subscriptions[r]["id"] for r in (SHANXI, LINFEN, DATONG)} <= {s["id"] for s in province_listed}
