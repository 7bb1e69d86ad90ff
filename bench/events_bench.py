"""Events committed → consumed: end-to-end throughput and latency at a steady rate.

Producer (one transaction per event, like a request), the outbox relay and one durable consumer
with its inbox run in this one process against real PostgreSQL and NATS JetStream, so all three
share the machine's cores; a deployment runs them in separate processes.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bench.stack import BenchStack, percentile
from zhicheng_common.db import Database
from zhicheng_common.events.consumer import EventConsumer, Subscription
from zhicheng_common.events.envelope import CloudEvent, event_type
from zhicheng_common.events.outbox import OutboxRelay, record_event
from zhicheng_common.events.streams import connect, ensure_streams
from zhicheng_common.migrations import upgrade
from zhicheng_common.settings import CommonSettings


@event_type("committees.benchmark.ticked")
class Ticked(BaseModel):
    """Benchmark event."""

    number: int


@dataclass
class EventsResult:
    burst_events: int
    burst_seconds: float
    steady_rate: int
    steady_events: int
    p50_ms: float
    p99_ms: float
    max_ms: float


async def _apply(session: AsyncSession, event: CloudEvent) -> None:
    latency = time.time() - event.time.timestamp()
    await session.execute(
        text("INSERT INTO intake.bench_applied (event_id, latency) VALUES (:id, :latency)"),
        {"id": event.id, "latency": latency},
    )


async def _produce(producer: Database, count: int, *, start: int = 0, rate: float | None = None) -> None:
    loop = asyncio.get_running_loop()
    began = loop.time()
    for number in range(start, start + count):
        if rate:
            due = began + (number - start) / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        async with producer.unit_of_work() as session:
            await record_event(session, Ticked(number=number), subject=f"tick-{number}")


async def _applied(consumer_db: Database) -> int:
    async with consumer_db.engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM intake.bench_applied"))).scalar_one())


async def _wait_applied(consumer_db: Database, expected: int, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while await _applied(consumer_db) < expected:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {await _applied(consumer_db)} of {expected} applied")
        await asyncio.sleep(0.02)


async def run_events_bench(stack: BenchStack, *, burst: int = 5000, rate: int = 200, seconds: int = 10) -> EventsResult:
    settings = CommonSettings(database_url=stack.database_url, nats_url=stack.nats_url, events_prefix=stack.prefix)
    from zhicheng_committees.settings import MIGRATIONS_DIR as COMMITTEES
    from zhicheng_intake.settings import MIGRATIONS_DIR as INTAKE

    upgrade(COMMITTEES, stack.database_url)
    upgrade(INTAKE, stack.database_url)
    producer = Database(stack.database_url, "committees")
    consumer_db = Database(stack.database_url, "intake")
    async with consumer_db.engine.begin() as conn:
        await conn.execute(
            text("CREATE TABLE IF NOT EXISTS intake.bench_applied (event_id uuid, latency double precision)")
        )
        await conn.execute(text("TRUNCATE intake.bench_applied"))
    nc = await connect(stack.nats_url, name="bench")
    js = nc.jetstream()
    await ensure_streams(js, settings)
    stop = asyncio.Event()
    relay = OutboxRelay(producer.engine, js, schema="committees", prefix=stack.prefix)
    consumer = EventConsumer(
        service="intake",
        producer="committees",
        subscriptions=[Subscription("bench", ("committees.benchmark.ticked",), _apply)],
        js=js,
        database=consumer_db,
        stream=settings.stream_name,
        prefix=stack.prefix,
        batch_size=200,
    )
    tasks = [asyncio.create_task(relay.run(stop)), asyncio.create_task(consumer.run(stop))]
    try:
        # Burst: commit as fast as 8 concurrent producers can, until every event is applied.
        began = time.perf_counter()
        per_producer = burst // 8
        await asyncio.gather(*(_produce(producer, per_producer, start=i * per_producer) for i in range(8)))
        await _wait_applied(consumer_db, per_producer * 8)
        burst_seconds = time.perf_counter() - began
        async with consumer_db.engine.begin() as conn:
            await conn.execute(text("TRUNCATE intake.bench_applied"))
        # Steady: a fixed rate; latency from the event's commit-time stamp to its effect.
        steady = rate * seconds
        await _produce(producer, steady, start=1_000_000, rate=rate)
        await _wait_applied(consumer_db, steady)
        async with consumer_db.engine.connect() as conn:
            latencies = [
                float(v) * 1000
                for v in (await conn.execute(text("SELECT latency FROM intake.bench_applied"))).scalars()
            ]
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await nc.close()
        await producer.dispose()
        await consumer_db.dispose()
    return EventsResult(
        burst_events=per_producer * 8,
        burst_seconds=burst_seconds,
        steady_rate=rate,
        steady_events=steady,
        p50_ms=percentile(latencies, 0.50),
        p99_ms=percentile(latencies, 0.99),
        max_ms=max(latencies),
    )
