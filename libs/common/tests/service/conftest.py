"""Fixtures of the event tests: a producer service (committees) and a consumer service (intake),
each in its own schema of the session's database, plus the helpers the tests share.

The product schema comes from the services' migrations; the tables only the tests need are
created here with plain DDL:

* ``committees.zc_test_things``: the producer's "domain" row, written with its event.
* ``intake.zc_test_effects``: what a consumer's handler does. It has **no** unique constraint on
  purpose, so an event applied twice shows up as two rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from nats.aio.client import Client as NatsClient
from nats.js.api import ConsumerInfo
from nats.js.client import JetStreamContext
from pydantic import BaseModel, create_model
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from zhicheng_committees.settings import MIGRATIONS_DIR as COMMITTEES_MIGRATIONS
from zhicheng_common.db import Database, async_database_url
from zhicheng_common.events.consumer import EventConsumer, Handler, Subscription
from zhicheng_common.events.envelope import EVENT_TYPES, CloudEvent, event_type
from zhicheng_common.events.outbox import OutboxRelay, record_event
from zhicheng_common.events.streams import connect, ensure_streams
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import in_thread, migrated
from zhicheng_intake.settings import MIGRATIONS_DIR as INTAKE_MIGRATIONS

PRODUCER = "committees"
CONSUMER = "intake"

TEST_TABLES = """
CREATE TABLE IF NOT EXISTS committees.zc_test_things (
    id uuid PRIMARY KEY,
    label text NOT NULL
);
CREATE TABLE IF NOT EXISTS intake.zc_test_effects (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    n integer NOT NULL,
    type text NOT NULL,
    source text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
"""


async def _create_test_tables(url: str) -> None:
    engine = create_async_engine(async_database_url(url))
    try:
        async with engine.begin() as conn:
            for statement in filter(str.strip, TEST_TABLES.split(";")):
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def event_schemas(zc_settings: CommonSettings) -> CommonSettings:
    """The producer's and the consumer's schemas, migrated, with the test tables."""
    url = zc_settings.database_url
    migrated(COMMITTEES_MIGRATIONS, zc_settings)
    migrated(INTAKE_MIGRATIONS, zc_settings)
    in_thread(lambda: asyncio.run(_create_test_tables(url)))
    return zc_settings


@contextlib.asynccontextmanager
async def emptied(settings: CommonSettings, schema: str, tables: str) -> AsyncIterator[Database]:
    """A service's database with ``tables`` truncated first."""
    database = Database(settings.database_url, schema)
    async with database.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables}"))
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def producer_db(event_schemas: CommonSettings) -> AsyncIterator[Database]:
    """The committees service's database, its outbox and test rows emptied."""
    async with emptied(event_schemas, PRODUCER, "committees.outbox, committees.zc_test_things") as database:
        yield database


@pytest.fixture
async def consumer_db(event_schemas: CommonSettings) -> AsyncIterator[Database]:
    """The intake service's database, the test effects emptied."""
    async with emptied(event_schemas, CONSUMER, "intake.zc_test_effects") as database:
        yield database


@pytest.fixture
async def nats_clients(zc_settings: CommonSettings) -> AsyncIterator[Callable[[str], Awaitable[JetStreamContext]]]:
    """Open product-style NATS connections (endless reconnects) to the session's NATS; one per role."""
    clients: list[NatsClient] = []

    async def open_js(name: str) -> JetStreamContext:
        nc = await connect(zc_settings.nats_url, name=name)
        clients.append(nc)
        js = nc.jetstream()
        await ensure_streams(js, zc_settings)
        return js

    yield open_js
    for nc in clients:
        await nc.close()


@contextlib.contextmanager
def registered(name: str, model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    """Register a test-only event type for the duration of a module, then forget it.

    The registry is global and is the event catalog's source: test types must not outlive the test.
    """
    event_type(name)(model)
    try:
        yield model
    finally:
        EVENT_TYPES.pop(model, None)


def numbered_thing(doc: str) -> type[BaseModel]:
    """A test-only event model ``{n: int}`` with its own class (the registry is keyed by model)."""
    model: type[BaseModel] = create_model("NumberedThingHappened", __doc__=f"Test only: {doc}", n=(int, ...))
    return model


def registering(types: dict[str, type[BaseModel]]) -> Any:
    """A module-scoped autouse fixture registering ``name -> model`` for the module's tests."""

    @pytest.fixture(scope="module", autouse=True)
    def event_types() -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            for name, model in types.items():
                stack.enter_context(registered(name, model))
            yield

    return event_types


@contextlib.asynccontextmanager
async def running(*workers: OutboxRelay | EventConsumer) -> AsyncIterator[asyncio.Event]:
    """Run relays and consumers as tasks (``run(stop)``) for the block; stop them cleanly after."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(worker.run(stop)) for worker in workers]
    try:
        yield stop
    finally:
        stop.set()
        done, pending = await asyncio.wait(tasks, timeout=10)
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                raise AssertionError(f"a worker died: {task.exception()!r}")


def effect_handler(label: str, *, before: Callable[[CloudEvent], Awaitable[None]] | None = None) -> Handler:
    """A handler that records the event in ``intake.zc_test_effects`` inside the consumer's transaction."""

    async def handle(session: AsyncSession, event: CloudEvent) -> None:
        if before is not None:
            await before(event)
        await session.execute(
            text(
                "INSERT INTO intake.zc_test_effects (consumer, event_id, n, type, source)"
                " VALUES (:consumer, :event_id, :n, :type, :source)"
            ),
            {
                "consumer": label,
                "event_id": uuid.UUID(event.id),
                "n": int(event.data.get("n", 0)),
                "type": event.type,
                "source": event.source,
            },
        )

    return handle


def make_consumer(
    settings: CommonSettings,
    js: JetStreamContext,
    database: Database,
    *,
    name: str,
    subject: str,
    handler: Handler | None = None,
    **options: Any,
) -> EventConsumer:
    """An intake consumer of committees' events with one handler, by default recording effects.

    Its durable is ``intake-<name>``, not the product's ``intake-committees``, and its filter is
    ``subject`` alone unless ``filter_subject`` says otherwise: the session's tests share one
    subject space, and each test reads only its own events (the product's durable reads the
    producer's whole space, ``<prefix>.committees.>``).
    """
    options.setdefault("retry_delay_seconds", 0.2)
    options.setdefault("ack_wait_seconds", 5.0)
    options.setdefault("fetch_timeout_seconds", 0.5)  # how long stopping may take
    options.setdefault("filter_subject", f"{settings.events_prefix}.{subject}")
    return EventConsumer(
        service=CONSUMER,
        producer=PRODUCER,
        subscriptions=[Subscription(name=name, subjects=(subject,), handler=handler or effect_handler(name))],
        durable=f"{CONSUMER}-{name}",
        js=js,
        database=database,
        stream=settings.stream_name,
        prefix=settings.events_prefix,
        **options,
    )


def make_relay(settings: CommonSettings, js: JetStreamContext, database: Database, **options: Any) -> OutboxRelay:
    options.setdefault("poll_seconds", 0.5)
    return OutboxRelay(database.engine, js, schema=database.schema, prefix=settings.events_prefix, **options)


async def commit_events(
    database: Database, make: Callable[[int], BaseModel], count: int, *, per_unit: int = 10, concurrency: int = 4
) -> list[str]:
    """Commit ``count`` events in units of work of ``per_unit`` changes, each a domain row plus its
    event; returns the event ids in order."""
    gate = asyncio.Semaphore(concurrency)

    async def unit(first: int) -> list[str]:
        ids: list[str] = []
        async with gate, database.unit_of_work() as session:
            for n in range(first, min(first + per_unit, count)):
                thing_id = uuid.uuid4()
                await session.execute(
                    text("INSERT INTO committees.zc_test_things (id, label) VALUES (:id, :label)"),
                    {"id": thing_id, "label": f"thing {n}"},
                )
                envelope = await record_event(session, make(n), subject=str(thing_id), region="140100")
                ids.append(envelope.id)
        return ids

    units = await asyncio.gather(*(unit(first) for first in range(0, count, per_unit)))
    return [event_id for ids in units for event_id in ids]


@dataclass(frozen=True)
class Effects:
    rows: int
    distinct_events: int


async def effects(database: Database, consumer: str) -> Effects:
    async with database.engine.connect() as conn:
        query = "SELECT count(*), count(DISTINCT event_id) FROM intake.zc_test_effects WHERE consumer = :c"
        row = (await conn.execute(text(query), {"c": consumer})).one()
    return Effects(rows=int(row[0]), distinct_events=int(row[1]))


async def inbox_count(database: Database, durable: str) -> int:
    async with database.engine.connect() as conn:
        value = await conn.scalar(text("SELECT count(*) FROM intake.inbox WHERE consumer = :c"), {"c": durable})
    return int(value or 0)


async def unpublished(database: Database) -> int:
    async with database.engine.connect() as conn:
        value = await conn.scalar(text("SELECT count(*) FROM committees.outbox WHERE published_at IS NULL"))
    return int(value or 0)


async def subject_messages(js: JetStreamContext, settings: CommonSettings, subject: str) -> int:
    """How many messages the event stream holds on ``subject`` (without the prefix)."""
    full = f"{settings.events_prefix}.{subject}"
    info = await js.stream_info(settings.stream_name, subjects_filter=full)
    return int((info.state.subjects or {}).get(full, 0))


async def drained(js: JetStreamContext, settings: CommonSettings, durable: str) -> ConsumerInfo | None:
    """The consumer's info once every message was delivered and acked, else None (for ``wait_until``)."""
    info = await js.consumer_info(settings.stream_name, durable)
    return info if info.num_pending == 0 and info.num_ack_pending == 0 else None


def done_when_due(table: str) -> Callable[[AsyncSession, datetime], Awaitable[int]]:
    """A scheduler job over a test table of deadlines (``id``, ``due_at``, ``done``): marks the due
    ones done, each once even with several schedulers (``SKIP LOCKED``); returns how many."""

    async def job(session: AsyncSession, now: datetime) -> int:
        result = await session.execute(
            text(
                f"UPDATE {table} SET done = true WHERE id IN ("
                f" SELECT id FROM {table} WHERE NOT done AND due_at <= :now FOR UPDATE SKIP LOCKED)"
            ),
            {"now": now},
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    return job


async def all_applied(database: Database, consumer: str, total: int) -> bool:
    """Whether ``consumer`` has applied ``total`` distinct events (a predicate for ``wait_until``)."""
    return (await effects(database, consumer)).distinct_events >= total


async def none_unpublished(database: Database) -> bool:
    return await unpublished(database) == 0
