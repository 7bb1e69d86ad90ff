"""A consumer of the intake service as its own process, for the kill-it-mid-batch test.

Run as ``.venv/bin/python consumer_process.py`` with the test stack's ``ZC_*`` environment and:

* ``ZC_TEST_SUBJECT``: the subject (without the prefix) to consume;
* ``ZC_TEST_CONSUMER``: the handler name (the durable is ``intake-<name>``);
* ``ZC_TEST_ACK_WAIT``: the consumer's ack wait, short so that a killed batch comes back fast;
* ``ZC_TEST_HANG_AFTER`` and ``ZC_TEST_MARKER``: after committing the effect of that many events,
  write the marker file and hang *before acking*, so that a SIGKILL lands exactly in the window
  that matters: the effect is committed, the ack is never sent, the rest of the batch is in flight;
* ``ZC_TEST_SLEEP``: seconds the handler sleeps per message (inside its transaction).

The handler records each event in ``intake.zc_test_effects`` (no unique constraint) inside the
consumer's transaction; SIGTERM stops it cleanly, SIGKILL is what the test is about.
"""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import Sequence
from pathlib import Path

from nats.aio.msg import Msg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.db import Database
from zhicheng_common.events.consumer import EventConsumer, Subscription
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_common.events.streams import connect, ensure_streams
from zhicheng_common.logging import configure_logging
from zhicheng_common.settings import CommonSettings


async def main() -> None:
    settings = CommonSettings()
    subject = os.environ["ZC_TEST_SUBJECT"]
    name = os.environ["ZC_TEST_CONSUMER"]
    pause = float(os.environ.get("ZC_TEST_SLEEP", "0"))
    ack_wait = float(os.environ.get("ZC_TEST_ACK_WAIT", "2"))
    hang_after = int(os.environ.get("ZC_TEST_HANG_AFTER", "0"))
    marker = Path(os.environ.get("ZC_TEST_MARKER", "consumer-hangs"))
    configure_logging("intake-test-consumer", level=settings.log_level)

    async def handle(session: AsyncSession, event: CloudEvent) -> None:
        await session.execute(
            text(
                "INSERT INTO intake.zc_test_effects (consumer, event_id, n, type, source)"
                " VALUES (:consumer, :event_id, :n, :type, :source)"
            ),
            {
                "consumer": name,
                "event_id": uuid.UUID(event.id),
                "n": int(event.data.get("n", 0)),
                "type": event.type,
                "source": event.source,
            },
        )
        if pause:
            await asyncio.sleep(pause)  # still inside the transaction: a kill now rolls the effect back

    database = Database(settings.database_url, "intake")
    nc = await connect(settings.nats_url, name=f"intake-{name}")
    js = nc.jetstream()
    await ensure_streams(js, settings)

    class HangingConsumer(EventConsumer):
        async def handle_batch(self, messages: Sequence[Msg]) -> None:
            for message in messages:  # one by one: the test counts and kills per message
                await self.handle(message)

        async def handle(self, message: Msg) -> None:
            if hang_after and self.stats.applied + 1 == hang_after:

                async def hang_instead_of_ack() -> None:
                    await asyncio.to_thread(marker.write_text, str(os.getpid()))
                    await asyncio.Event().wait()  # the test kills us here

                message.ack = hang_instead_of_ack  # type: ignore[method-assign]
            await super().handle(message)

    consumer = HangingConsumer(
        service="intake",
        producer="committees",
        subscriptions=[Subscription(name=name, subjects=(subject,), handler=handle)],
        durable=f"intake-{name}",
        filter_subject=f"{settings.events_prefix}.{subject}",
        js=js,
        database=database,
        stream=settings.stream_name,
        prefix=settings.events_prefix,
        ack_wait_seconds=ack_wait,
        retry_delay_seconds=settings.events_retry_delay_seconds,
        batch_size=50,
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await consumer.run(stop)
    finally:
        await nc.close()
        await database.dispose()


if __name__ == "__main__":
    asyncio.run(main())
