"""Acceptance (issue 17): every query, statistics, export and feed route walked with users of three
regions (the province, Jinzhong 140700, Yangquan 140300) returns no record of the other city; the
routes an API key with scope ``query`` may call (``/province/agency/...``) are walked with a key of
each of the three regions the same way.

A record is recognised by what only it carries: its declaration, committee and meeting ids, its
certificate number and its region codes. A city user's answers (JSON, or the xlsx files' XML) must
hold none of the other city's; the province user's hold both cities'."""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import Response

from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys, assert_problem, jetstream, run_sql

from .conftest import SHANXI, Gateway
from .feeds_helpers import issue_key, pull_all, subscribe
from .readmodel_helpers import Season, a_season, module_gateway

pytestmark = pytest.mark.service

JINZHONG, YANGQUAN = "140700", "140300"
QUERIES = "/api/v1/province"


@pytest.fixture(scope="module")
async def gateway(readmodel_schema: CommonSettings) -> AsyncIterator[Gateway]:
    async with module_gateway(readmodel_schema) as running:
        yield running


@pytest.fixture(scope="module")
async def season(gateway: Gateway, readmodel_schema: CommonSettings) -> AsyncIterator[dict[str, Any]]:
    """Both cities' committees, declarations, results and certificates."""
    async with jetstream(readmodel_schema) as js:
        yield await a_season(Season(js, readmodel_schema), JINZHONG, YANGQUAN)


def markers(season: dict[str, Any], city: str) -> list[str]:
    """What only ``city``'s records of the season carry."""
    if city == JINZHONG:
        ids = [season["jc"], season["d1"], season["d2"], season["a"]]
    else:
        ids = [season["sz"], season["d3"], season["b"]]
    return [*ids, city, city[:4] + "02"]


ROUTES: list[tuple[str, dict[str, Any]]] = [
    ("certificates", {"limit": 200}),
    ("certificates", {"status": "revoked", "limit": 200}),
    ("declarations", {"limit": 200}),
    ("declarations", {"overdue": "true", "limit": 200}),
    ("declarations", {"stage": "not_passed", "limit": 200}),
    ("committees", {}),
    ("meetings", {}),
    ("integrity-records", {}),
    *(("statistics", {"by": by}) for by in ("province", "city", "committee", "series", "level", "year")),
    ("statistics.xlsx", {}),
    ("exports/da1", {"limit": 1000}),
    ("exports/da1.xlsx", {"year": 2026}),
    ("exports/passed.xlsx", {"year": 2026}),
    ("exports/annual-report", {"year": 2026}),
]
#: The routes an API key with scope ``query`` calls, under ``/province/agency/``.
KEY_ROUTES: list[tuple[str, dict[str, Any]]] = [
    ("certificates", {"limit": 200}),
    ("certificates", {"status": "revoked", "limit": 200}),
    *(("statistics", {"by": by}) for by in ("province", "city", "committee", "series", "level", "year")),
    ("statistics.xlsx", {}),
    ("exports/da1", {"limit": 1000}),
    ("exports/da1.xlsx", {"year": 2026}),
    ("exports/passed.xlsx", {"year": 2026}),
    ("exports/annual-report", {"year": 2026}),
]


def text_of(response: Response) -> str:
    if response.headers["content-type"].startswith("application/vnd.openxmlformats"):
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            return "\n".join(archive.read(name).decode() for name in archive.namelist() if name.endswith(".xml"))
    return response.text


def holds(text: str, marker: str) -> bool:
    return re.search(rf"(?<![0-9A-Za-z-]){re.escape(marker)}(?![0-9A-Za-z-])", text) is not None


async def test_no_route_gives_a_city_user_a_record_of_the_other_city(
    gateway: Gateway, zc_keys: TestKeys, season: dict[str, Any]
) -> None:
    users = {
        region: zc_keys.headers(
            roles=["province_admin" if region == SHANXI else "hr_admin"], region=region, subject=f"walker-{region}"
        )
        for region in (SHANXI, JINZHONG, YANGQUAN)
    }
    # Each region's agency key (scope ``query``), issued by that region's administrator.
    keys = {region: await issue_key(gateway, users[region], region=region, scopes=["query"]) for region in users}
    # A key reaches no declaration list: d2 and d3 (no certificate) show nowhere on its routes.
    listed_only = {season["d2"], season["d3"]}
    walks = [
        *((region, headers, QUERIES, ROUTES, set()) for region, headers in users.items()),
        *((region, key, f"{QUERIES}/agency", KEY_ROUTES, listed_only) for region, key in keys.items()),
    ]
    for region, headers, base, routes, unseen in walks:
        seen: set[str] = set()
        for path, params in routes:
            response = await gateway.client.get(f"{base}/{path}", params=params, headers=headers)
            assert response.status_code == 200, (region, base, path, response.text)
            text = text_of(response)
            for city in (JINZHONG, YANGQUAN):
                found = [m for m in markers(season, city) if holds(text, m)]
                seen.update(found)
                if region not in (city, SHANXI):
                    assert found == [], (region, base, path, params, found)
        # Not an empty walk: each caller saw every record of its own jurisdiction somewhere.
        own = [*markers(season, JINZHONG), *markers(season, YANGQUAN)] if region == SHANXI else markers(season, region)
        assert seen >= set(own) - unseen, (region, base, set(own) - unseen - seen)

    # The feed routes: each city's subscription to declarations, pulled with its own key.
    names = {region: f"rm-walk-{region}" for region in users}
    pulled: dict[str, str] = {}
    for region, headers in users.items():
        created = await subscribe(
            gateway,
            headers,
            name=names[region],
            agency=f"机构 {region}",
            region=region,
            fields={"intake.declaration.submitted": ["declaration_id", "region", "committee_id"]},
        )
        key = await issue_key(gateway, headers, region=region, scopes=[f"feed:{names[region]}"])
        events, _ = await pull_all(gateway, created["subscription"]["id"], key)
        pulled[region] = "\n".join(str(e) for e in events)
    assert holds(pulled[JINZHONG], season["d1"])
    assert not holds(pulled[JINZHONG], season["d3"])
    assert holds(pulled[YANGQUAN], season["d3"])
    assert not holds(pulled[YANGQUAN], season["d1"])
    assert holds(pulled[SHANXI], season["d1"])
    assert holds(pulled[SHANXI], season["d3"])


async def test_MT_5_a_query_key_sees_its_own_citys_figures_counted_and_journaled(
    gateway: Gateway, zc_keys: TestKeys, season: dict[str, Any], readmodel_schema: CommonSettings
) -> None:
    admin = zc_keys.headers(roles=["hr_admin"], region=JINZHONG, subject="key-admin-140700")
    key = await issue_key(gateway, admin, region=JINZHONG, scopes=["query"])
    key_id = uuid.UUID(key["X-API-Key"].split("_")[1])
    statistics = await gateway.client.get(f"{QUERIES}/agency/statistics", params={"by": "city"}, headers=key)
    assert statistics.status_code == 200, statistics.text
    # Jinzhong by hand: d1 and d2 declared, d1 qualified, evaluated and passed, d2 overdue (returned,
    # due 2026-03-10); nothing of Yangquan's d3.
    figures = [
        {name: row[name] for name in ("key", "declared", "qualified", "evaluated", "passed", "pass_rate", "overdue")}
        for row in statistics.json()["rows"]
    ]
    assert figures == [
        {
            "key": JINZHONG,
            "declared": 2,
            "qualified": 1,
            "evaluated": 1,
            "passed": 1,
            "pass_rate": 1.0,
            "overdue": 1,
        }
    ]
    da1 = await gateway.client.get(f"{QUERIES}/agency/exports/da1", params={"year": 2026}, headers=key)
    assert [row["certificate_number"] for row in da1.json()["items"]] == [season["a"]]
    report = await gateway.client.get(f"{QUERIES}/agency/exports/annual-report", params={"year": 2026}, headers=key)
    assert report.json()["totals"] == {"declared": 2, "qualified": 1, "evaluated": 1, "passed": 1, "pass_rate": 1.0}
    # Asking for the other city inside a key of this one narrows to nothing, never widens.
    other = await gateway.client.get(
        f"{QUERIES}/agency/statistics", params={"by": "city", "region": YANGQUAN}, headers=key
    )
    assert other.json()["rows"] == []

    # Every call counted against the key (four calls so far), and the DA-1 read journaled with the
    # key as the reader, in the record's region.
    usage = await gateway.client.get(f"/api/v1/api-keys/{key_id}/usage", headers=admin)
    assert (usage.json()["calls"], usage.json()["refused"]) == (4, 0)
    journaled = await run_sql(
        readmodel_schema,
        "gateway",
        "SELECT record_id, record_region FROM gateway.journal"
        " WHERE action = 'readmodel.da1.exported' AND actor = :actor",
        actor=f"apikey:{key_id}",
    )
    assert journaled == [(season["a"], JINZHONG[:4] + "02")]


async def test_a_verify_only_key_is_refused_every_statistics_and_export_route(
    gateway: Gateway, zc_keys: TestKeys, season: dict[str, Any]
) -> None:
    admin = zc_keys.headers(roles=["hr_admin"], region=JINZHONG, subject="key-admin-140700")
    verify_only = await issue_key(gateway, admin, region=JINZHONG, scopes=["verify"])
    for path, params in KEY_ROUTES:
        response = await gateway.client.get(f"{QUERIES}/agency/{path}", params=params, headers=verify_only)
        assert_problem(response, 403, "scope_required")
    # A person's token is not a key, and a key is not a person's token.
    assert (await gateway.client.get(f"{QUERIES}/agency/statistics", headers=admin)).status_code == 401
    key = await issue_key(gateway, admin, region=JINZHONG, scopes=["query"])
    assert (await gateway.client.get(f"{QUERIES}/statistics", headers=key)).status_code == 401
