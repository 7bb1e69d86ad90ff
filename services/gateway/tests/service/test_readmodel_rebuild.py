"""Acceptance (issue 17): rebuilding the read model from the streams gives the same answers as the
live one, query by query; the rebuilt tables are swapped in while the gateway runs, and the live
durables go on into them without applying anything twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import nats
import pytest

from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys, run_sql
from zhicheng_gateway.readmodel.rebuild import context_from, rebuild

from .conftest import SHANXI, Gateway
from .readmodel_helpers import Season, a_season, module_gateway

pytestmark = pytest.mark.service

XINZHOU, LVLIANG = "140900", "141100"
QUERIES = "/api/v1/province"


@pytest.fixture(scope="module")
async def gateway(readmodel_schema: CommonSettings) -> AsyncIterator[Gateway]:
    async with module_gateway(readmodel_schema) as running:
        yield running


@pytest.fixture(scope="module")
async def js(readmodel_schema: CommonSettings) -> AsyncIterator[Any]:
    connection = await nats.connect(readmodel_schema.nats_url)
    try:
        yield connection.jetstream()
    finally:
        await connection.close()


def walk(season: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every query of the read model, with the filters the season makes meaningful."""
    return [
        ("certificates", {"sort": "certificate_number", "order": "asc", "limit": 200}),
        ("certificates", {"resident_id": season["zhao"]}),
        ("certificates", {"name": "王晋", "year": 2026}),
        ("certificates", {"status": "revoked", "limit": 200}),
        ("declarations", {"sort": "declaration_id", "order": "asc", "limit": 200}),
        ("declarations", {"overdue": "true", "limit": 200, "sort": "declaration_id"}),
        ("declarations", {"committee_id": season["jc"]}),
        ("declarations", {"stage": "not_passed", "limit": 200, "sort": "declaration_id"}),
        ("committees", {}),
        ("meetings", {}),
        ("integrity-records", {}),
        *(
            ("statistics", {"by": by, "year": 2026})
            for by in ("province", "city", "committee", "series", "level", "year")
        ),
        ("exports/da1", {"limit": 1000}),
        ("exports/annual-report", {"year": 2026}),
    ]


async def answers(gateway: Gateway, headers: dict[str, str], season: dict[str, Any]) -> list[Any]:
    out = []
    for path, params in walk(season):
        response = await gateway.client.get(f"{QUERIES}/{path}", params=params, headers=headers)
        assert response.status_code == 200, (path, response.text)
        out.append((path, params, response.json()))
    return out


def _difference(before: Any, after: Any) -> list[Any]:
    if isinstance(before, dict) and "items" in before:
        pairs = zip(before["items"], after.get("items", []), strict=False)
        return [(b, a) for b, a in pairs if a != b][:2]
    return []


async def test_a_rebuild_from_the_streams_answers_every_query_as_the_live_model_did(
    gateway: Gateway, js: Any, readmodel_schema: CommonSettings, zc_keys: TestKeys
) -> None:
    season = Season(js, readmodel_schema)
    facts = await a_season(season, XINZHOU, LVLIANG)
    users = {
        region: zc_keys.headers(roles=["province_admin" if region == SHANXI else "hr_admin"], region=region)
        for region in (SHANXI, XINZHOU, LVLIANG)
    }
    live = {region: await answers(gateway, headers, facts) for region, headers in users.items()}
    # Damage the live tables, as a projection bug would: the rebuild must bring the rows back.
    await run_sql(
        readmodel_schema, "gateway", "DELETE FROM gateway.rm_certificates WHERE certificate_number = :n", n=facts["a"]
    )
    await run_sql(
        readmodel_schema, "gateway", "DELETE FROM gateway.rm_stage_visits WHERE declaration_id = :d", d=facts["d1"]
    )

    summary = await rebuild(
        readmodel_schema.database_url,
        js,
        stream=readmodel_schema.stream_name,
        prefix=readmodel_schema.events_prefix,
        context=context_from(readmodel_schema),
        batch=50,
        settings=readmodel_schema,
    )
    assert summary.swapped
    assert summary.applied >= len(season.published)
    for region, headers in users.items():
        rebuilt = await answers(gateway, headers, facts)
        for (path, params, before), (_, _, after) in zip(live[region], rebuilt, strict=True):
            assert after == before, (region, path, params, _difference(before, after))

    # The live durables go on into the swapped-in tables: a new event lands there, once.
    later = await season.certificate(
        f"ZC-{XINZHOU[:4]}-2026-0002", XINZHOU[:4] + "02", person=facts["wang"], name="王晋", on=date(2026, 6, 1)
    )
    await season.applied()
    rows = await run_sql(
        readmodel_schema,
        "gateway",
        "SELECT count(*) FROM gateway.rm_applied_events WHERE event_id = CAST(:e AS uuid)",
        e=later,
    )
    assert rows == [(1,)]
    schemas = await run_sql(
        readmodel_schema,
        "gateway",
        "SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'gateway_rm_%'",
    )
    assert schemas == [(0,)]
