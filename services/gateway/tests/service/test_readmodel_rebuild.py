"""Acceptance (issue 17): rebuilding the read model from the streams gives the same answers as the
live one, query by query; the rebuilt tables are swapped in while the gateway runs, and the live
durables go on into them without applying anything twice."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import nats
import pytest
from asyncpg.exceptions import StringDataRightTruncationError
from sqlalchemy import text

from zhicheng_common.db import Database
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys, run_sql
from zhicheng_gateway.readmodel.models import RmDeclaration
from zhicheng_gateway.readmodel.rebuild import _create_tables, context_from, rebuild
from zhicheng_gateway.readmodel.repository import ProjectionRepository

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


async def test_a_rebuilds_staged_writes_do_what_a_statement_per_row_did(readmodel_schema: CommonSettings) -> None:
    """A rebuild writes a batch through staging tables (COPY, then one statement per table): two
    events about one row merge as their statements would have, a known key gets only what the
    later event knows, a key updated twice keeps its last row, and a value too long for its column
    fails the batch (which the rebuild then applies event by event) instead of being cut."""
    schema = "gateway_rm_staging_test"
    live = Database(readmodel_schema.database_url, "gateway")
    target = Database(readmodel_schema.database_url, schema)
    declaration = uuid.uuid4()
    first = {
        "declaration_id": declaration,
        "region": "140105",
        "stage": "submitted",
        "stage_since": datetime(2026, 3, 2, 4, tzinfo=UTC),
        "returned_count": 0,
        "qualified": False,
        "review_rule_ids": [],
        "series": "engineering",
    }
    try:
        async with live.engine.begin() as connection:
            await _create_tables(connection, schema)
        async with target.unit_of_work() as session:
            repo = ProjectionRepository(session, buffered=True)
            await repo.upsert(RmDeclaration, "declaration_id", first, update_keys=["series"])
            # A review event later in the batch: only what it knows replaces the row's values.
            later = {**first, "region": "140106", "stage": "rejected", "review_rule_ids": ["EL-6"], "series": None}
            await repo.upsert(RmDeclaration, "declaration_id", later, update_keys=["review_rule_ids"])
            await repo.flush_writes()
        async with target.unit_of_work() as session:
            repo = ProjectionRepository(session, buffered=True)
            # The next batch: the key is known, so only ``stage`` changes (ON CONFLICT … DO UPDATE).
            await repo.upsert(
                RmDeclaration,
                "declaration_id",
                {**first, "region": "141100", "stage": "qualified"},
                update_keys=["stage"],
            )
            await repo.update_many(
                RmDeclaration,
                [
                    {"declaration_id": declaration, "returned_count": 1},
                    {"declaration_id": declaration, "returned_count": 2},
                ],
            )
        rows = await run_sql(
            readmodel_schema,
            schema,
            f"SELECT region, stage, series, review_rule_ids::text, returned_count FROM {schema}.rm_declarations",
        )
        assert rows == [("140105", "qualified", "engineering", '["EL-6"]', 2)]

        async def too_long() -> None:
            async with target.unit_of_work() as session:
                repo = ProjectionRepository(session, buffered=True)
                row = {**first, "declaration_id": uuid.uuid4(), "region": "1401050"}
                await repo.upsert(RmDeclaration, "declaration_id", row, update_keys=[])
                await repo.flush_writes()

        with pytest.raises(StringDataRightTruncationError):
            await too_long()
    finally:
        async with live.engine.begin() as connection:
            await connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        await live.dispose()
        await target.dispose()
