"""Acceptance (issue 17): every query, statistics, export and feed route walked with users of three
regions (the province, Jinzhong 140700, Yangquan 140300) returns no record of the other city.

A record is recognised by what only it carries: its declaration, committee and meeting ids, its
certificate number and its region codes. A city user's answers (JSON, or the xlsx files' XML) must
hold none of the other city's; the province user's hold both cities'."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import nats
import pytest
from httpx import Response

from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys

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
    connection = await nats.connect(readmodel_schema.nats_url)
    try:
        yield await a_season(Season(connection.jetstream(), readmodel_schema), JINZHONG, YANGQUAN)
    finally:
        await connection.close()


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
    for region, headers in users.items():
        seen: set[str] = set()
        for path, params in ROUTES:
            response = await gateway.client.get(f"{QUERIES}/{path}", params=params, headers=headers)
            assert response.status_code == 200, (region, path, response.text)
            text = text_of(response)
            for city in (JINZHONG, YANGQUAN):
                found = [m for m in markers(season, city) if holds(text, m)]
                seen.update(found)
                if region not in (city, SHANXI):
                    assert found == [], (region, path, params, found)
        # Not an empty walk: each user saw every record of its own jurisdiction somewhere.
        own = [*markers(season, JINZHONG), *markers(season, YANGQUAN)] if region == SHANXI else markers(season, region)
        assert seen >= set(own), (region, set(own) - seen)

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
