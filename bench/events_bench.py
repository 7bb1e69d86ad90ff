"""Events committed → applied, beside raw JetStream publish + consume of the same messages (issue 10 §4).

Run: ``.venv/bin/python bench/events_bench.py`` (embedded PostgreSQL and NATS, the
NATS configuration we ship: ``sync_interval: always``); it rewrites its section of bench/RESULTS.md.

Producers (one transaction per event, like a request), the outbox relay and one durable consumer
with its inbox run in this one process against real PostgreSQL and NATS JetStream, so all of them
share the machine's cores; a deployment runs them in separate processes. Each run measures, on the
same server and one after the other:

* *raw*: the same envelopes (same size, headers, one stream) published with ``publish_async`` and
  gathered acks while one pull consumer fetches batches and acks each message: what JetStream
  alone gives on this machine;
* *backlog*: N events already committed in the outbox, then relay and consumer started, until all
  are applied (the event path's own rate: outbox → relay → JetStream → consumer + inbox);
* *burst*: N events committed by 8 concurrent producers while relay and consumer run, until all
  are applied (end to end, the producers' transactions included);
* *steady*: events committed at a fixed rate; latency from the event's time (set just before its
  commit) to its effect's commit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stack import BenchStack, bench_stack, machine, percentile, write_section
from zhicheng_common.db import Database
from zhicheng_common.events.consumer import EventConsumer, Subscription
from zhicheng_common.events.envelope import CloudEvent, event_type, make_envelope
from zhicheng_common.events.outbox import OutboxRelay, record_event
from zhicheng_common.events.streams import connect, ensure_streams
from zhicheng_common.migrations import upgrade
from zhicheng_common.settings import CommonSettings

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADING = "## Events: committed → applied, beside raw JetStream"
RUNS = 3
BURST = 5000
STEADY_RATE = 500
STEADY_SECONDS = 10
PRODUCERS = 8
# Issue 10 §4, measured 2026-12-01: 140 events/s in a burst, p50 1,039 ms at a steady 200/s.
BEFORE_BURST, BEFORE_STEADY_P50 = 140.0, 1039.0


@event_type("committees.benchmark.ticked")
class Ticked(BaseModel):
    """Benchmark event."""

    number: int


@dataclass
class Run:
    raw_rate: float
    backlog_rate: float
    burst_rate: float
    steady_rate: float  # achieved commit rate
    p50_ms: float
    p99_ms: float
    max_ms: float
    burst_cpu_ms: float  # CPU per event in the burst: this process + PostgreSQL + NATS (user + system)
    burst_cpu_split: tuple[float, float, float] = (0.0, 0.0, 0.0)  # the same: this process / PostgreSQL / NATS
    steady_cpu_ms: float = 0.0  # CPU per event in the steady phase (from its first commit to its last effect)


def _cpu_seconds() -> tuple[float, float, float]:
    """CPU seconds used so far by this process, by PostgreSQL (all its processes) and by NATS."""
    me = psutil.Process()
    python, postgres, nats = sum(me.cpu_times()[:2]), 0.0, 0.0
    for child in me.children(recursive=True):
        try:
            used, name = sum(child.cpu_times()[:2]), child.name()
        except psutil.Error:
            continue
        if "nats" in name:
            nats += used
        else:
            postgres += used
    return python, postgres, nats


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
            delay = began + (number - start) / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        async with producer.unit_of_work() as session:
            await record_event(session, Ticked(number=number), subject=f"tick-{number}")


async def _produce_at(producer: Database, count: int, *, start: int, rate: float, limit: int = 16) -> None:
    """Commit each event at its due time in its own task (up to ``limit`` at once), as requests come."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    slots = asyncio.Semaphore(limit)

    async def one(number: int) -> None:
        try:
            async with producer.unit_of_work() as session:
                await record_event(session, Ticked(number=number), subject=f"tick-{number}")
        finally:
            slots.release()

    tasks = []
    for number in range(start, start + count):
        delay = began + (number - start) / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await slots.acquire()
        tasks.append(asyncio.create_task(one(number)))
    await asyncio.gather(*tasks)


async def _produce_many(producer: Database, count: int, start: int) -> None:
    per = count // PRODUCERS
    await asyncio.gather(*(_produce(producer, per, start=start + i * per) for i in range(PRODUCERS)))


async def _applied(db: Database) -> int:
    async with db.engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM intake.bench_applied"))).scalar_one())


async def _wait_applied(db: Database, expected: int, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while await _applied(db) < expected:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {await _applied(db)} of {expected} applied")
        await asyncio.sleep(0.02)


async def _truncate(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text("TRUNCATE intake.bench_applied"))


async def raw_jetstream(js: JetStreamContext, stream: str, prefix: str, count: int, run: int, batch: int) -> float:
    """The same envelopes through JetStream alone: publish_async + gathered acks, one pull consumer."""
    subject = f"{prefix}.rawbench.benchmark.ticked"
    durable = f"rawbench-{run}"
    await js.add_consumer(
        stream,
        ConsumerConfig(
            durable_name=durable,
            name=durable,
            deliver_policy=DeliverPolicy.NEW,
            ack_policy=AckPolicy.EXPLICIT,
            filter_subject=subject,
            max_ack_pending=1000,
        ),
    )
    bodies = []
    for number in range(count):
        envelope = make_envelope(Ticked(number=number), subject=f"tick-{number}")
        envelope.aggregateversion = 1
        bodies.append((envelope.id, json.dumps(envelope.model_dump(mode="json"), ensure_ascii=False).encode()))
    subscription = await js.pull_subscribe_bind(durable, stream=stream)
    consumed = 0

    async def consume() -> None:
        nonlocal consumed
        while consumed < count:
            try:
                messages = await subscription.fetch(batch, 1.0)  # as many per fetch as the events consumer
            except TimeoutError:
                continue
            for message in messages:
                await message.ack()
            consumed += len(messages)

    began = time.perf_counter()
    consumer = asyncio.create_task(consume())
    for event_id, body in bodies:
        await js.publish_async(
            subject, body, headers={"Nats-Msg-Id": event_id, "Content-Type": "application/cloudevents+json"}
        )
    await js.publish_async_completed()
    await consumer
    seconds = time.perf_counter() - began
    await subscription.unsubscribe()
    await js.delete_consumer(stream, durable)
    return count / seconds


async def run_events_bench(
    stack: BenchStack, *, runs: int = RUNS, burst: int = BURST, rate: int = STEADY_RATE, seconds: int = STEADY_SECONDS
) -> list[Run]:
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
        batch_size=settings.events_fetch_batch,
    )
    tasks: list[asyncio.Task[None]] = []

    def start() -> None:
        stop.clear()
        tasks[:] = [asyncio.create_task(relay.run(stop)), asyncio.create_task(consumer.run(stop))]

    async def halt() -> None:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)

    results = []
    number = 0
    try:
        start()  # warm-up: pools, prepared statements, the durable
        await _produce_many(producer, 400, number)
        number += 400
        await _wait_applied(consumer_db, 400)
        await halt()
        for run in range(1, runs + 1):
            raw = await raw_jetstream(js, settings.stream_name, stack.prefix, burst, run, consumer.batch_size)
            # Backlog: committed while relay and consumer are stopped, then drained.
            await _truncate(consumer_db)
            await _produce_many(producer, burst, number)
            number += burst
            began = time.perf_counter()
            start()
            await _wait_applied(consumer_db, burst)
            backlog = burst / (time.perf_counter() - began)
            # Burst: 8 producers commit while relay and consumer run.
            await _truncate(consumer_db)
            cpu_before = _cpu_seconds()
            began = time.perf_counter()
            await _produce_many(producer, burst, number)
            number += burst
            await _wait_applied(consumer_db, burst)
            burst_rate = burst / (time.perf_counter() - began)
            cpu_split = tuple(1000 * (a - b) / burst for a, b in zip(_cpu_seconds(), cpu_before, strict=True))
            burst_cpu_ms = sum(cpu_split)
            # Steady: a fixed rate, each event in its own transaction at its due time.
            await _truncate(consumer_db)
            steady = rate * seconds
            cpu_before = _cpu_seconds()
            began = time.perf_counter()
            await _produce_at(producer, steady, start=number, rate=rate)
            achieved = steady / (time.perf_counter() - began)
            number += steady
            await _wait_applied(consumer_db, steady)
            steady_cpu_ms = sum(1000 * (a - b) / steady for a, b in zip(_cpu_seconds(), cpu_before, strict=True))
            await halt()
            async with consumer_db.engine.connect() as conn:
                latencies = [
                    float(v) * 1000
                    for v in (await conn.execute(text("SELECT latency FROM intake.bench_applied"))).scalars()
                ]
            result = Run(
                raw_rate=raw,
                backlog_rate=backlog,
                burst_rate=burst_rate,
                steady_rate=achieved,
                p50_ms=percentile(latencies, 0.50),
                p99_ms=percentile(latencies, 0.99),
                max_ms=max(latencies),
                burst_cpu_ms=burst_cpu_ms,
                burst_cpu_split=(cpu_split[0], cpu_split[1], cpu_split[2]),
                steady_cpu_ms=steady_cpu_ms,
            )
            print(result, f"load {os.getloadavg()}", file=sys.stderr)
            results.append(result)
    finally:
        await halt()
        await nc.close()
        await producer.dispose()
        await consumer_db.dispose()
    return results


def section(runs: list[Run], *, burst: int = BURST, rate: int = STEADY_RATE, seconds: int = STEADY_SECONDS) -> str:
    rows = [
        f"| {n} | {r.raw_rate:,.0f} | **{r.backlog_rate:,.0f}** ({r.backlog_rate / r.raw_rate:.2f} ×) "
        f"| **{r.burst_rate:,.0f}** ({r.burst_rate / r.raw_rate:.2f} ×) | {r.burst_cpu_ms:.2f} "
        f"({' / '.join(f'{part:.2f}' for part in r.burst_cpu_split)}) "
        f"| {r.steady_rate:.0f}/s: "
        f"{r.p50_ms:.1f} / **{r.p99_ms:.1f}** / {r.max_ms:.1f} ms | {r.steady_cpu_ms:.2f} |"
        for n, r in enumerate(runs, 1)
    ]
    load = os.getloadavg()
    return "\n".join(
        [
            HEADING,
            "",
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; load average at the end "
            f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}.",
            "`.venv/bin/python bench/events_bench.py` (embedded PostgreSQL and NATS,",
            "`sync_interval: always` as shipped). The machine is shared with other developers' tests: read the",
            "ratios within a run (measured side by side on the same server) more than the absolute figures.",
            "",
            "Producers, relay and consumer share one process. *raw*: the same envelopes (same size and",
            "headers, same stream) with `publish_async` and gathered acks, one pull consumer acking each.",
            f"*backlog*: {burst:,} events already in the outbox, relay and consumer started, until all are applied",
            "(outbox → relay → JetStream → consumer with inbox and version check, effect committed).",
            f"*burst*: {burst:,} events committed by {PRODUCERS} concurrent producers (one transaction each) while",
            "relay and consumer run, until all are applied. *steady*: each event committed at its due time in",
            "a task of its own (at most 16 at once, like requests), at the rate shown (the rate achieved),",
            f"{rate * seconds:,} events; latency from the event's time (set before its commit) to",
            "its effect's commit.",
            f"Goals (issue 10 §4): ≥ 0.5 × raw in a burst; p99 ≤ 50 ms at a steady {rate}/s. Before",
            f"(2026-12-01): {BEFORE_BURST:.0f} events/s in a burst, p50 {BEFORE_STEADY_P50:,.0f} ms at 200/s.",
            "",
            "| run | raw JetStream, msg/s | backlog, events/s (× raw) | burst, events/s (× raw) "
            "| burst CPU ms/event (this process / PostgreSQL / NATS) | steady: p50 / p99 / max "
            "| steady CPU ms/event |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            "What changed (issue 10 §4), before this session: the consumer claims a fetched batch's inbox rows",
            "and aggregate versions in one statement (`claim_events`, `bench/events_claim_ab.py`); the relay",
            "publishes the envelope as PostgreSQL's text; `record_event` sends no NOTIFY (PostgreSQL serialises",
            "the commits of notifying transactions); the commit wakes the relays of its own process. In this",
            "session: `record_event`, the relay's batch and the consumer's batch claim run their statements on",
            "the asyncpg connection of the transaction (`zhicheng_common.db.driver_statements`, which raises",
            "the driver's errors as SQLAlchemy's), and the relay takes the schema's lead and its due rows in",
            "one round trip (was two). *CPU ms/event*: user + system time of this process, PostgreSQL and",
            "NATS over the phase, divided by its events (what contention changes least).",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--burst", type=int, default=BURST)
    parser.add_argument("--rate", type=int, default=STEADY_RATE)
    parser.add_argument("--seconds", type=int, default=STEADY_SECONDS)
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md alone")
    args = parser.parse_args()
    from zhicheng_common.logging import configure_logging

    configure_logging("bench", level="WARNING")
    with bench_stack() as stack:
        runs = asyncio.run(
            run_events_bench(stack, runs=args.runs, burst=args.burst, rate=args.rate, seconds=args.seconds)
        )
    text_ = section(runs, burst=args.burst, rate=args.rate, seconds=args.seconds)
    if not args.no_write:
        write_section(RESULTS, HEADING, text_)
    print(text_)


if __name__ == "__main__":
    main()
