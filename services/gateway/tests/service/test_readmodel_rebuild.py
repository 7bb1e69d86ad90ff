"""Acceptance (issue 17): rebuilding the read model from the streams gives the same answers as the
live one, query by query; the rebuilt tables are swapped in while the gateway runs, and the live
durables go on into them without applying anything twice."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import nats
import pytest
from asyncpg.exceptions import StringDataRightTruncationError
from sqlalchemy import text

from zhicheng_common.db import Database
from zhicheng_common.events.streams import ensure_streams
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys, run_sql, wait_until
from zhicheng_gateway.readmodel import rebuild as rebuild_module
from zhicheng_gateway.readmodel.models import RmDeclaration
from zhicheng_gateway.readmodel.rebuild import (
    RebuildSummary,
    ReplayIncomplete,
    _create_tables,
    _drain,
    _Replay,
    context_from,
    rebuild,
)
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


@pytest.fixture
async def own_stream(js: Any, readmodel_schema: CommonSettings) -> AsyncIterator[CommonSettings]:
    """A stream of the test's own (its events only, so their counts are known), with a short
    fetch, a patience of two empty fetches and no second try (a test that wants one says so)."""
    settings = readmodel_schema.model_copy(
        update={
            "events_prefix": f"{readmodel_schema.events_prefix}d{secrets.token_hex(3)}",
            "readmodel_rebuild_fetch_seconds": 0.5,
            "readmodel_rebuild_patience": 2,
            "readmodel_rebuild_resumes": 0,
        }
    )
    await ensure_streams(js, settings)
    try:
        yield settings
    finally:
        await js.delete_stream(settings.stream_name)
        await js.delete_stream(settings.dead_letter_stream_name)


def replay_of(js: Any, settings: CommonSettings, token: str) -> _Replay:
    return _Replay(
        js,
        stream=settings.stream_name,
        prefix=settings.events_prefix,
        token=token,
        batch=10,
        fetch_seconds=settings.readmodel_rebuild_fetch_seconds,
        patience=settings.readmodel_rebuild_patience,
        resumes=settings.readmodel_rebuild_resumes,
    )


async def committees(js: Any, settings: CommonSettings, count: int) -> list[str]:
    season = Season(js, settings)
    return [await season.committee(XINZHOU, f"第{n}评委会", on=date(2026, 3, 2)) for n in range(count)]


async def test_messages_delivered_but_not_yet_returned_by_a_fetch_are_still_replayed(
    js: Any, own_stream: CommonSettings
) -> None:
    """A fetch that timed out after part of its batch leaves the rest arriving in the subscription's
    queue while the consumer has nothing pending any more (1,000,000-event replays ended 82-211
    events short). Made to happen for certain: one pull of the whole backlog into the replay's
    subscription that no fetch returns; the drain must still replay every event."""
    await committees(js, own_stream, 7)
    replay = replay_of(js, own_stream, secrets.token_hex(4))
    schema = f"gateway_rm_drain_{secrets.token_hex(3)}"
    live = Database(own_stream.database_url, "gateway")
    target = Database(own_stream.database_url, schema)
    try:
        async with live.engine.begin() as connection:
            await _create_tables(connection, schema)
        await replay.open()
        name, subscription = replay.names["committees"], replay.subscriptions["committees"]
        # The pull request a fetch makes, to the subscription's own inbox: the server sends all 7.
        await js._nc.publish(
            f"$JS.API.CONSUMER.MSG.NEXT.{own_stream.stream_name}.{name}",
            json.dumps({"batch": 7}).encode(),
            reply=subscription._deliver,
        )

        async def delivered_all() -> bool:
            info = await js.consumer_info(own_stream.stream_name, name)
            return info.num_pending == 0 and info.delivered.consumer_seq == 7

        await wait_until(delivered_all, what="the consumer delivered the 7 committees")
        summary = RebuildSummary(schema=schema)
        replayed = await _drain(
            replay,
            target,
            context=context_from(own_stream),
            prefix=own_stream.events_prefix,
            summary=summary,
            visit_cache={},
        )
        # 7 committee approvals published, 7 delivered before the drain began: all 7 replayed.
        assert (replayed, summary.events, summary.applied, summary.skipped) == (7, 7, 7, [])
        rows = await run_sql(own_stream, schema, f"SELECT count(*) FROM {schema}.rm_committees")
        assert rows == [(7,)]
    finally:
        await replay.close()
        async with live.engine.begin() as connection:
            await connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        await live.dispose()
        await target.dispose()


async def pulled_elsewhere(settings: CommonSettings, consumer: str, count: int) -> None:
    """``count`` messages of ``consumer`` delivered to an inbox of another connection (as to a
    connection the server dropped): the consumer counts them delivered, its owner never gets them."""
    other = await nats.connect(settings.nats_url)
    try:
        inbox = other.new_inbox()
        elsewhere = await other.subscribe(inbox)
        await other.publish(
            f"$JS.API.CONSUMER.MSG.NEXT.{settings.stream_name}.{consumer}",
            json.dumps({"batch": count}).encode(),
            reply=inbox,
        )
        for _ in range(count):
            await elsewhere.next_msg(timeout=30.0)
    finally:
        await other.close()


async def test_delivered_messages_that_never_arrive_stop_the_rebuild_after_the_patience_and_swap_nothing_in(
    js: Any, own_stream: CommonSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rebuild's consumer delivered every message, elsewhere: after the patience's empty fetches
    the rebuild stops with an error naming the producer and the counts, instead of waiting for
    ever or swapping in a model without them."""
    published = await committees(js, own_stream, 3)
    token = secrets.token_hex(4)
    monkeypatch.setattr(rebuild_module, "secrets", SimpleNamespace(token_hex=lambda _n: token))
    before = await run_sql(own_stream, "gateway", "SELECT 'gateway.rm_committees'::regclass::oid")
    early = replay_of(js, own_stream, token)  # the very consumers the rebuild will open (same config)
    try:
        await early.open()
        await pulled_elsewhere(own_stream, early.names["committees"], 3)
        with pytest.raises(ReplayIncomplete) as stopped:
            await rebuild(
                own_stream.database_url,
                js,
                stream=own_stream.stream_name,
                prefix=own_stream.events_prefix,
                context=context_from(own_stream),
                batch=10,
                settings=own_stream,
            )
    finally:
        await early.close()
    # 3 published, all 3 delivered elsewhere: the rebuild got none, none is left on the server; it
    # gave up after 2 empty fetches (the patience).
    error = stopped.value
    assert (error.producer, error.delivered, error.received, error.pending, error.fetches) == ("committees", 3, 0, 0, 2)
    assert "committees" in str(error)
    # Nothing swapped: the live table is the same one, without the rebuild's committees (no live
    # durable reads this stream), and the fresh schema is gone.
    assert await run_sql(own_stream, "gateway", "SELECT 'gateway.rm_committees'::regclass::oid") == before
    rows = await run_sql(
        own_stream,
        "gateway",
        "SELECT count(*) FROM gateway.rm_committees WHERE committee_id = ANY(CAST(:ids AS uuid[]))",
        ids=published,
    )
    assert rows == [(0,)]
    schemas = await run_sql(
        own_stream,
        "gateway",
        "SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE :s",
        s=f"gateway_rm_{token}%",
    )
    assert schemas == [(0,)]


async def test_a_message_lost_before_others_arrive_stops_the_replay_at_once(
    js: Any, own_stream: CommonSettings
) -> None:
    """Messages 1 and 2 of 5 delivered elsewhere, then a fetch brings 3 to 5: applying them would
    put later events before earlier ones, so the replay stops there, without waiting."""
    await committees(js, own_stream, 5)
    replay = replay_of(js, own_stream, secrets.token_hex(4))
    try:
        await replay.open()
        await pulled_elsewhere(own_stream, replay.names["committees"], 2)
        with pytest.raises(ReplayIncomplete) as stopped:
            await replay.next_batch("committees")
    finally:
        await replay.close()
    # 5 delivered (2 elsewhere, 3 to the fetch), 0 received in order, no empty fetch before.
    error = stopped.value
    assert (error.received, error.fetches) == (0, 0)
    assert "messages 3 to 5" in str(error)


async def test_a_replay_that_lost_messages_reads_on_from_the_last_one_received(
    js: Any, own_stream: CommonSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With one second try: the consumer that delivered all of a producer's messages elsewhere is
    made again from the stream's message after the last one received, and the replay gets them all."""
    await committees(js, own_stream, 3)
    settings = own_stream.model_copy(update={"readmodel_rebuild_resumes": 1})
    token = secrets.token_hex(4)
    monkeypatch.setattr(rebuild_module, "secrets", SimpleNamespace(token_hex=lambda _n: token))
    early = replay_of(js, settings, token)
    try:
        await early.open()
        await pulled_elsewhere(settings, early.names["committees"], 3)
        summary = await rebuild(
            settings.database_url,
            js,
            stream=settings.stream_name,
            prefix=settings.events_prefix,
            context=context_from(settings),
            batch=10,
            swap=False,  # the module's live model stays as the first test left it
            settings=settings,
        )
    finally:
        await early.close()
    # 3 published, none received from the first consumer, all 3 from the second.
    assert (summary.events, summary.applied, summary.skipped) == (3, 3, [])


async def test_after_a_gap_the_replay_reads_on_from_the_last_message_received(
    js: Any, own_stream: CommonSettings
) -> None:
    """Messages 1 and 2 of 5 delivered elsewhere, then 3 to 5 fetched: with one second try the
    replay drops 3 to 5 and gets 1 to 5 again, in order."""
    published = await committees(js, own_stream, 5)
    replay = replay_of(js, own_stream.model_copy(update={"readmodel_rebuild_resumes": 1}), secrets.token_hex(4))
    try:
        await replay.open()
        await pulled_elsewhere(own_stream, replay.names["committees"], 2)
        messages = await replay.next_batch("committees")
        replayed = [json.loads(message.data)["data"]["committee_id"] for message in messages]
        assert await replay.next_batch("committees") == []
    finally:
        await replay.close()
    assert replayed == published  # the 5 committees in the order published
