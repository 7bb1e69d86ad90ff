"""The consumer's batch claim, side by side: one statement per batch against one per event (issue 10 §4).

`.venv/bin/python bench/events_claim_ab.py [N]` commits N events, relays them,
then drains the stream with two durables in turn (per-event claims, batch claim, batch, per-event),
each applying every event with its inbox row, version check and the bench's effect; it prints
events/s of each drain. Same server, same stream, same handler: only the claim differs.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from nats.aio.msg import Msg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.events_bench import _apply, _produce_many, _truncate, _wait_applied
from bench.stack import bench_stack
from zhicheng_common.db import Database
from zhicheng_common.events.consumer import EventConsumer, Subscription
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_common.events.outbox import OutboxRelay
from zhicheng_common.events.streams import connect, ensure_streams
from zhicheng_common.logging import configure_logging
from zhicheng_common.migrations import upgrade
from zhicheng_common.settings import CommonSettings


class PerEventClaims(EventConsumer):
    """The consumer as it was: the batch in one transaction, but one claim statement per event."""

    async def handle_batch(self, messages: Sequence[Msg]) -> None:
        ready: list[tuple[Msg, CloudEvent]] = []
        for message in messages:
            event = await self._admit(message)
            if event is not None:
                ready.append((message, event))
        async with self.database.unit_of_work() as session:
            outcomes = [await self._apply(session, event, message.subject) for message, event in ready]
        for (message, event), outcome in zip(ready, outcomes, strict=True):
            await self._done(message, event, outcome)


async def main(count: int) -> None:
    with bench_stack() as stack:
        settings = CommonSettings(database_url=stack.database_url, nats_url=stack.nats_url, events_prefix=stack.prefix)
        from zhicheng_committees.settings import MIGRATIONS_DIR as COMMITTEES
        from zhicheng_intake.settings import MIGRATIONS_DIR as INTAKE

        upgrade(COMMITTEES, stack.database_url)
        upgrade(INTAKE, stack.database_url)
        producer, consumer_db = Database(stack.database_url, "committees"), Database(stack.database_url, "intake")
        async with consumer_db.engine.begin() as conn:
            from sqlalchemy import text

            await conn.execute(text("CREATE TABLE intake.bench_applied (event_id uuid, latency double precision)"))
        nc = await connect(stack.nats_url, name="bench")
        js = nc.jetstream()
        await ensure_streams(js, settings)
        await _produce_many(producer, count, 0)
        relay = OutboxRelay(producer.engine, js, schema="committees", prefix=stack.prefix)
        while (await relay.publish_batch()).published:
            pass
        for label, kind in (("per-event", PerEventClaims), ("batch", EventConsumer)) * 1 + (
            ("batch", EventConsumer),
            ("per-event", PerEventClaims),
        ):
            await _truncate(consumer_db)
            consumer = kind(
                service="intake",
                producer="committees",
                subscriptions=[Subscription("bench", ("committees.benchmark.ticked",), _apply)],
                js=js,
                database=consumer_db,
                stream=settings.stream_name,
                prefix=stack.prefix,
                durable=f"ab-{label}-{time.monotonic_ns()}",
                batch_size=settings.events_fetch_batch,
            )
            stop = asyncio.Event()
            began = time.perf_counter()
            task = asyncio.create_task(consumer.run(stop))
            await _wait_applied(consumer_db, count)
            rate = count / (time.perf_counter() - began)
            stop.set()
            await task
            print(f"{label:>9}: {rate:,.0f} events/s ({consumer.stats.applied} applied)")
        await nc.close()
        await producer.dispose()
        await consumer_db.dispose()


if __name__ == "__main__":
    configure_logging("bench", level="WARNING")
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000))
