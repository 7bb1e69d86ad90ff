"""At-least-once delivery, effects applied once (DESIGN.md §3): through a NATS restart, a killed
consumer process and duplicate messages, every event is applied exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from nats.aio.client import Client as NatsClient
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import text

from zhicheng_common.db import Database
from zhicheng_common.embedded import EmbeddedNats, free_port
from zhicheng_common.events.envelope import make_envelope
from zhicheng_common.events.streams import connect, ensure_streams
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import wait_until

from . import conftest as kit

pytestmark = pytest.mark.service

JsFactory = Callable[[str], Awaitable[JetStreamContext]]

CONSUMER_SCRIPT = Path(__file__).with_name("consumer_process.py")
TOTAL = 1000


RestartThingHappened = kit.numbered_thing("committed while NATS is down.")
KilledThingHappened = kit.numbered_thing("consumed by a process that gets killed.")
DuplicateThingHappened = kit.numbered_thing("published twice.")
ResentThingHappened = kit.numbered_thing("sent twice by the relay.")

RESTART = "committees.evtrestart.happened"
RESENT = "committees.evtresent.happened"
KILLED = "committees.evtkilled.happened"
DUPLICATE = "committees.evtduplicate.happened"

event_types = kit.registering(
    {
        RESTART: RestartThingHappened,
        KILLED: KilledThingHappened,
        DUPLICATE: DuplicateThingHappened,
        RESENT: ResentThingHappened,
    }
)


async def _relay_tried_and_failed(database: Database) -> bool:
    async with database.engine.connect() as conn:
        value = await conn.scalar(text("SELECT count(*) FROM committees.outbox WHERE attempts > 0"))
    return bool(value)


async def test_events_committed_while_nats_is_down_all_arrive_once_after_it_restarts(
    event_schemas: CommonSettings, producer_db: Database, consumer_db: Database, tmp_path: Path
) -> None:
    # A NATS of our own, to stop and start again on the same data folder and port.
    server = EmbeddedNats(tmp_path / "nats", free_port())
    url = server.start()
    settings = event_schemas.model_copy(update={"nats_url": url})
    clients: list[NatsClient] = []
    try:
        for name in ("relay", "consumer"):
            clients.append(await connect(url, name=name))
        relay_nc, consumer_nc = clients
        await ensure_streams(relay_nc.jetstream(), settings)
        relay = kit.make_relay(settings, relay_nc.jetstream(), producer_db, publish_timeout=1.0)
        consumer = kit.make_consumer(
            settings, consumer_nc.jetstream(), consumer_db, name="evt-restart", subject=RESTART, ack_wait_seconds=3
        )
        js = consumer_nc.jetstream()

        async with kit.running(relay, consumer):
            # Both at work (the consumer has made its durable) before NATS goes away.
            await wait_until(lambda: _consumer_exists(js, settings, consumer.durable), timeout=10, what="consumer")
            server.stop()
            await wait_until(lambda: not relay_nc.is_connected, timeout=10, what="the relay's client to notice")
            await kit.commit_events(producer_db, lambda n: RestartThingHappened(n=n), TOTAL)
            await wait_until(
                lambda: _relay_tried_and_failed(producer_db), timeout=20, what="a failed publish while NATS is down"
            )
            assert await kit.unpublished(producer_db) == TOTAL

            server.start()
            await wait_until(
                lambda: kit.all_applied(consumer_db, "evt-restart", TOTAL), timeout=60, what="all events applied"
            )
            await wait_until(lambda: kit.none_unpublished(producer_db), timeout=30, what="the outbox drained")
            await wait_until(
                lambda: kit.drained(js, settings, consumer.durable), timeout=30, what="every message acked"
            )

        result = await kit.effects(consumer_db, "evt-restart")
        assert (result.rows, result.distinct_events) == (TOTAL, TOTAL)
        assert await kit.inbox_count(consumer_db, consumer.durable) == TOTAL
        assert await kit.subject_messages(js, settings, RESTART) == TOTAL
    finally:
        for nc in clients:
            await nc.close()
        server.stop()


async def _consumer_exists(js: JetStreamContext, settings: CommonSettings, durable: str) -> bool:
    try:
        await js.consumer_info(settings.stream_name, durable)
    except NotFoundError:
        return False
    return True


def _start_consumer(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, str(CONSUMER_SCRIPT)], env=env, stdout=out, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


async def test_a_consumer_process_killed_mid_batch_applies_each_event_once(
    event_schemas: CommonSettings,
    producer_db: Database,
    consumer_db: Database,
    nats_clients: JsFactory,
    zc_env: dict[str, str],
    tmp_path: Path,
) -> None:
    settings = event_schemas
    js = await nats_clients("probe")
    async with kit.running(kit.make_relay(settings, await nats_clients("relay"), producer_db)):
        await kit.commit_events(producer_db, lambda n: KilledThingHappened(n=n), TOTAL)
        await wait_until(lambda: kit.none_unpublished(producer_db), timeout=30, what="the outbox drained")
    assert await kit.subject_messages(js, settings, KILLED) == TOTAL

    name = "evt-killed"
    durable = f"intake-{name}"
    env = {**zc_env, "ZC_TEST_SUBJECT": KILLED, "ZC_TEST_CONSUMER": name, "ZC_TEST_ACK_WAIT": "2"}
    log = tmp_path / "consumer.log"
    marker = tmp_path / "hanging"
    # The first process commits the effect of its 120th event and hangs before acking it: the kill
    # lands after a commit without its ack, with the rest of that batch delivered and unacked.
    first = _start_consumer({**env, "ZC_TEST_HANG_AFTER": "120", "ZC_TEST_MARKER": str(marker)}, log)
    try:
        await wait_until(marker.exists, timeout=60, what=f"the 120th event applied; {log}")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        _stop(first, signal.SIGKILL)
    at_kill = await kit.effects(consumer_db, name)
    assert (at_kill.rows, at_kill.distinct_events) == (120, 120)
    info = await js.consumer_info(settings.stream_name, durable)
    assert info.num_ack_pending, "the kill should leave delivered, unacknowledged messages behind"

    second = _start_consumer(env, log)
    try:
        await wait_until(lambda: kit.all_applied(consumer_db, name, TOTAL), timeout=60, what=f"the rest applied; {log}")
        await wait_until(lambda: kit.drained(js, settings, durable), timeout=30, what="every message acked")
    finally:
        _stop(second)

    result = await kit.effects(consumer_db, name)
    assert (result.rows, result.distinct_events) == (TOTAL, TOTAL)
    assert await kit.inbox_count(consumer_db, durable) == TOTAL


async def test_the_same_event_delivered_twice_is_applied_once(
    event_schemas: CommonSettings, consumer_db: Database, nats_clients: JsFactory
) -> None:
    settings = event_schemas
    js = await nats_clients("publisher")
    consumer = kit.make_consumer(
        settings, await nats_clients("consumer"), consumer_db, name="evt-dup", subject=DUPLICATE
    )
    await consumer.ensure()
    envelope = make_envelope(DuplicateThingHappened(n=7), subject="dup")
    payload = envelope.model_dump_json().encode()
    subject = f"{settings.events_prefix}.{DUPLICATE}"
    # Two message ids, so the stream's de-duplication lets both in: only the inbox stands between them.
    await js.publish(subject, payload, headers={"Nats-Msg-Id": envelope.id})
    again = await js.publish(subject, payload, headers={"Nats-Msg-Id": f"{envelope.id}-again"})
    assert not again.duplicate
    assert await kit.subject_messages(js, settings, DUPLICATE) == 2

    async with kit.running(consumer):
        await wait_until(lambda: kit.drained(js, settings, consumer.durable), timeout=15, what="both deliveries acked")

    result = await kit.effects(consumer_db, "evt-dup")
    assert (result.rows, result.distinct_events) == (1, 1)
    assert await kit.inbox_count(consumer_db, consumer.durable) == 1
    assert (consumer.stats.applied, consumer.stats.skipped) == (1, 1)


async def test_a_row_the_relay_sends_twice_is_stored_once(
    event_schemas: CommonSettings, producer_db: Database, nats_clients: JsFactory
) -> None:
    """A relay that dies between publishing and marking the row sends it again: Nats-Msg-Id drops it."""
    settings = event_schemas
    js = await nats_clients("relay")
    relay = kit.make_relay(settings, js, producer_db)
    await kit.commit_events(producer_db, lambda n: ResentThingHappened(n=n), 1)
    before = await kit.subject_messages(js, settings, RESENT)
    assert (await relay.publish_batch()).published == 1
    async with producer_db.engine.begin() as conn:
        await conn.execute(text("UPDATE committees.outbox SET published_at = NULL"))
    assert (await relay.publish_batch()).published == 1
    assert await kit.subject_messages(js, settings, RESENT) == before + 1
