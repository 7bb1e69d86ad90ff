"""Transactional outbox (DESIGN.md §3): a change and its event commit together or not at all, and
several relays on one outbox publish every row exactly once."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from nats.js.client import JetStreamContext
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from zhicheng_common.db import Database
from zhicheng_common.events.outbox import BatchResult, OutboxRelay, record_event, relay_lock_key
from zhicheng_common.events.streams import connect
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import wait_until

from . import conftest as kit

pytestmark = pytest.mark.service

JsFactory = Callable[[str], Awaitable[JetStreamContext]]


AtomicThingHappened = kit.numbered_thing("a thing of the committees service happened.")
AtomicOtherThingHappened = kit.numbered_thing("the same, on its own subject for the second failure mode.")
RelayedThingHappened = kit.numbered_thing("one of many things, for the two-relays test.")

ATOMIC = "committees.evtatomic.happened"
ATOMIC_OTHER = "committees.evtatomic.otherhappened"
RELAYED = "committees.evtrelays.happened"

event_types = kit.registering(
    {ATOMIC: AtomicThingHappened, ATOMIC_OTHER: AtomicOtherThingHappened, RELAYED: RelayedThingHappened}
)


async def _count(database: Database, table: str) -> int:
    async with database.engine.connect() as conn:
        return int(await conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


async def _change_record_then_fail(
    database: Database, model: type[BaseModel], fail: Callable[[object], Awaitable[None]]
) -> None:
    """A unit of work that writes its domain row and its event, then fails before the end."""
    async with database.unit_of_work() as session:
        await session.execute(
            text("INSERT INTO committees.zc_test_things (id, label) VALUES (:id, 'rolled back')"), {"id": uuid.uuid4()}
        )
        await record_event(session, model(n=1), subject="rolled-back")
        assert await session.scalar(text("SELECT count(*) FROM committees.outbox")) == 1
        await fail(session)


async def _fail_with_python_error(session: object) -> None:
    raise RuntimeError("the use case failed after recording its event")


async def _fail_with_database_error(session: object) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession

    assert isinstance(session, AsyncSession)
    # A second row with the same key: the database refuses the transaction after the event was written.
    await session.execute(
        text("INSERT INTO committees.zc_test_things (id, label) VALUES (:id, 'dup'), (:id, 'dup')"),
        {"id": uuid.uuid4()},
    )


@pytest.mark.parametrize(
    ("fail", "error", "model"),
    [
        (_fail_with_python_error, RuntimeError, AtomicThingHappened),
        (_fail_with_database_error, IntegrityError, AtomicOtherThingHappened),
    ],
    ids=["exception", "database-error"],
)
async def test_a_change_and_its_event_commit_together_or_not_at_all(
    fail: Callable[[object], Awaitable[None]],
    error: type[Exception],
    model: type[BaseModel],
    event_schemas: CommonSettings,
    producer_db: Database,
    consumer_db: Database,
    nats_clients: JsFactory,
    request: pytest.FixtureRequest,
) -> None:
    settings = event_schemas
    consumer_name = f"evt-atomic-{request.node.callspec.id}"
    name = ATOMIC if model is AtomicThingHappened else ATOMIC_OTHER
    relay = kit.make_relay(settings, await nats_clients("relay"), producer_db)
    consumer = kit.make_consumer(
        settings, await nats_clients("consumer"), consumer_db, name=consumer_name, subject=name
    )
    before = await kit.subject_messages(await nats_clients("probe"), settings, name)

    async with kit.running(relay, consumer):
        # Rolled back: the domain row and the outbox row were both written, then the unit of work failed.
        with pytest.raises(error):
            await _change_record_then_fail(producer_db, model, fail)
        assert await _count(producer_db, "committees.outbox") == 0
        assert await _count(producer_db, "committees.zc_test_things") == 0

        # Committed: both rows stay, and the event reaches the consumer in the other service's schema.
        async with producer_db.unit_of_work() as session:
            thing_id = uuid.uuid4()
            await session.execute(
                text("INSERT INTO committees.zc_test_things (id, label) VALUES (:id, 'committed')"), {"id": thing_id}
            )
            envelope = await record_event(session, model(n=2), subject=str(thing_id))
        await wait_until(
            lambda: _applied(consumer_db, consumer.durable), timeout=15, what="the committed event applied"
        )

    assert await _count(producer_db, "committees.zc_test_things") == 1
    assert await kit.unpublished(producer_db) == 0
    async with consumer_db.engine.connect() as conn:
        applied = (
            await conn.execute(
                text("SELECT event_id, n, type, source FROM intake.zc_test_effects WHERE consumer = :c"),
                {"c": consumer_name},
            )
        ).all()
    # Only the committed event was ever published and applied.
    assert [(str(r.event_id), r.n) for r in applied] == [(envelope.id, 2)]
    assert applied[0].type == f"cn.zhicheng.{name}.v1"
    assert applied[0].source == "/zhicheng/committees"
    assert await kit.subject_messages(await nats_clients("probe"), settings, name) == before + 1


async def _applied(database: Database, durable: str) -> bool:
    return await kit.inbox_count(database, durable) >= 1


async def test_two_relays_on_one_outbox_publish_each_row_exactly_once_in_outbox_order(
    event_schemas: CommonSettings, producer_db: Database, consumer_db: Database, nats_clients: JsFactory
) -> None:
    settings = event_schemas
    total = 1000
    await kit.commit_events(producer_db, lambda n: RelayedThingHappened(n=n), total)
    assert await kit.unpublished(producer_db) == total

    # Two relays as two processes would have them: separate engines, separate NATS connections.
    second_db = Database(settings.database_url, producer_db.schema)
    try:
        relays = [
            kit.make_relay(settings, await nats_clients("relay-a"), producer_db, batch_size=50),
            kit.make_relay(settings, await nats_clients("relay-b"), second_db, batch_size=50),
        ]
        consumer = kit.make_consumer(
            settings, await nats_clients("consumer"), consumer_db, name="evt-relays", subject=RELAYED
        )
        async with kit.running(*relays, consumer):
            await wait_until(
                lambda: kit.all_applied(consumer_db, "evt-relays", total), timeout=60, what="1000 events applied"
            )
            await wait_until(lambda: kit.none_unpublished(producer_db), timeout=15, what="outbox drained")
    finally:
        await second_db.dispose()

    counts = [relay.published_count for relay in relays]
    assert sum(counts) == total, counts
    # Both were at work, taking turns as the schema's leader (issue 10 §1): never side by side.
    assert all(relay.led_batches + relay.standby_batches for relay in relays), counts
    probe = await nats_clients("probe")
    assert await kit.subject_messages(probe, settings, RELAYED) == total
    # So the stream holds the rows in the outbox's order (which per aggregate is commit order).
    async with producer_db.engine.connect() as conn:
        outbox_order = [
            str(i) for i in (await conn.execute(text("SELECT id FROM committees.outbox ORDER BY seq"))).scalars()
        ]
    subscription = await probe.subscribe(f"{settings.events_prefix}.{RELAYED}", ordered_consumer=True)
    stream_order = [json.loads((await subscription.next_msg(timeout=5)).data)["id"] for _ in range(total)]
    await subscription.unsubscribe()
    assert stream_order == outbox_order
    result = await kit.effects(consumer_db, "evt-relays")
    assert (result.rows, result.distinct_events) == (total, total)


async def _max_attempts(database: Database) -> int:
    async with database.engine.connect() as conn:
        return int(await conn.scalar(text("SELECT coalesce(max(attempts), 0) FROM committees.outbox")) or 0)


async def test_a_relay_without_nats_backs_off_instead_of_spinning(
    event_schemas: CommonSettings, producer_db: Database
) -> None:
    settings = event_schemas
    nc = await connect(settings.nats_url, name="gone")
    await nc.close()  # every publish now fails at once: the worst case for a busy loop
    relay = kit.make_relay(settings, nc.jetstream(), producer_db, poll_seconds=0.5)
    batches = 0
    publish_batch = relay.publish_batch

    async def counted() -> BatchResult:
        nonlocal batches
        batches += 1
        return await publish_batch()

    relay.publish_batch = counted  # type: ignore[method-assign]
    await kit.commit_events(producer_db, lambda n: RelayedThingHappened(n=n), 5, per_unit=1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with kit.running(relay):
        await wait_until(lambda: _attempts_reached(producer_db, 2), timeout=15, what="two failed attempts")
        # New rows (NOTIFY) while NATS is away must not cut the back-off short.
        await kit.commit_events(producer_db, lambda n: RelayedThingHappened(n=n), 5, per_unit=1)
        await wait_until(lambda: _attempts_reached(producer_db, 4), timeout=20, what="a fourth attempt")
    elapsed = loop.time() - started
    # Back-off 0.5 + 1 + 2 s between failed batches, polls between them: a handful of batches, not thousands.
    assert elapsed >= 3.0
    assert batches <= elapsed / 0.5 + 15, (batches, elapsed)
    assert await kit.unpublished(producer_db) == 10


async def _attempts_reached(database: Database, attempts: int) -> bool:
    return await _max_attempts(database) >= attempts


class BulkyThingHappened(BaseModel):
    """Test only: may be larger than NATS accepts."""

    n: int
    blob: str = ""


BULKY = "committees.evtbulky.happened"


async def test_a_row_nats_refuses_waits_its_own_back_off_without_holding_back_the_rest(
    event_schemas: CommonSettings, producer_db: Database, nats_clients: JsFactory
) -> None:
    settings = event_schemas
    js = await nats_clients("relay")
    relay = kit.make_relay(settings, js, producer_db)
    with kit.registered(BULKY, BulkyThingHappened):
        # The first row is over the server's max payload (1 MB by default); the others are fine.
        await kit.commit_events(
            producer_db, lambda n: BulkyThingHappened(n=n, blob="x" * (2 << 20) if n == 0 else ""), 1
        )
        await kit.commit_events(producer_db, lambda n: BulkyThingHappened(n=n + 1), 3, per_unit=1, concurrency=1)
    assert await relay.publish_batch() == (3, 1)
    async with producer_db.engine.connect() as conn:
        bulky = (
            await conn.execute(
                text(
                    "SELECT attempts, last_error, next_attempt_at > now() AS waits FROM committees.outbox"
                    " WHERE published_at IS NULL"
                )
            )
        ).one()
    assert bulky.attempts == 1
    assert "MaxPayload" in bulky.last_error
    assert bulky.waits
    assert await kit.subject_messages(js, settings, BULKY) == 3


WokenThingHappened = kit.numbered_thing("for the wake-up (commit, NOTIFY, standby) and pruning tests.")

WOKEN = "committees.evtwoken.happened"


@asynccontextmanager
async def idle_relay(
    settings: CommonSettings, producer_db: Database, nats_clients: JsFactory, name: str
) -> AsyncIterator[OutboxRelay]:
    """A running relay past its first (empty) round, whose poll (120 s) is far longer than any wait
    in these tests: only a wake-up can explain a quick publish."""
    with kit.registered(WOKEN, WokenThingHappened):
        relay = kit.make_relay(settings, await nats_clients(name), producer_db, poll_seconds=120)
        async with kit.running(relay):
            await asyncio.sleep(0.5)
            yield relay


async def test_a_commit_that_recorded_events_wakes_the_relay_of_its_process_rather_than_its_poll(
    event_schemas: CommonSettings, producer_db: Database, nats_clients: JsFactory
) -> None:
    async with idle_relay(event_schemas, producer_db, nats_clients, "relay-commit-wake") as relay:
        before = relay.published_count
        await kit.commit_events(producer_db, lambda n: WokenThingHappened(n=n), 1)
        await wait_until(lambda: relay.published_count > before, timeout=10, what="published after the commit")


async def test_a_row_committed_elsewhere_waits_for_a_notify_or_the_poll_and_the_notify_wakes_the_relay(
    event_schemas: CommonSettings, producer_db: Database, nats_clients: JsFactory
) -> None:
    async with idle_relay(event_schemas, producer_db, nats_clients, "relay-notify") as relay:
        before = relay.published_count
        # As another process commits it: this process's relays are not told (nor is any NOTIFY
        # sent by the transaction, which would serialise concurrent commits).
        async with producer_db.unit_of_work() as session:
            await record_event(session, WokenThingHappened(n=1), subject="evtwoken-elsewhere")
            session.sync_session.info.pop("zc_outbox_recorded")
        await asyncio.sleep(1.0)
        assert relay.published_count == before
        async with producer_db.engine.begin() as conn:
            await conn.execute(text("SELECT pg_notify('zc_outbox_committees', '')"))
        await wait_until(lambda: relay.published_count > before, timeout=10, what="published after NOTIFY")


async def test_a_relay_woken_while_another_leads_its_schema_looks_again_without_waiting_for_its_poll(
    event_schemas: CommonSettings, producer_db: Database, nats_clients: JsFactory
) -> None:
    async with idle_relay(event_schemas, producer_db, nats_clients, "relay-standby") as relay:
        before = relay.published_count
        # Another replica leads the schema: it holds the relay's advisory lock in a transaction.
        async with producer_db.engine.connect() as leader:
            await leader.execute(text("BEGIN"))
            await leader.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": relay_lock_key("committees")})
            await kit.commit_events(producer_db, lambda n: WokenThingHappened(n=n), 1)
            await wait_until(lambda: relay.standby_batches > 0, timeout=10, what="a standby round")
            assert relay.published_count == before
            # The leader's batch ends; nothing wakes the relay (no NOTIFY, no commit that recorded events).
            await leader.execute(text("COMMIT"))
        await wait_until(lambda: relay.published_count > before, timeout=5, what="published after the lead ended")


async def test_published_rows_older_than_the_retention_are_pruned(
    event_schemas: CommonSettings, producer_db: Database, nats_clients: JsFactory
) -> None:
    with kit.registered(WOKEN, WokenThingHappened):
        await kit.commit_events(producer_db, lambda n: WokenThingHappened(n=n), 3)
        # A day, as for a stream that keeps events a day (CommonSettings.outbox_retention).
        relay = kit.make_relay(
            event_schemas, await nats_clients("relay-prune"), producer_db, retention=timedelta(days=1)
        )
        while (await relay.publish_batch()).published:
            pass
        async with producer_db.engine.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE committees.outbox SET published_at = now() - interval '2 days'"
                    " WHERE published_at IS NOT NULL"
                )
            )
        await kit.commit_events(producer_db, lambda n: WokenThingHappened(n=n), 1)  # still unpublished: kept
        pruned = await relay.prune()
        assert pruned >= 3
        assert await _count(producer_db, "committees.outbox WHERE published_at IS NOT NULL") == 0
        assert await kit.unpublished(producer_db) >= 1


async def test_published_rows_are_kept_while_the_stream_keeps_events_for_ever(
    event_schemas: CommonSettings, producer_db: Database, nats_clients: JsFactory
) -> None:
    # The default stream keeps every event (events_max_age_days=0): so does the outbox, for reconcile.
    assert event_schemas.outbox_retention is None
    with kit.registered(WOKEN, WokenThingHappened):
        await kit.commit_events(producer_db, lambda n: WokenThingHappened(n=n), 3)
        relay = kit.make_relay(
            event_schemas, await nats_clients("relay-keep"), producer_db, retention=event_schemas.outbox_retention
        )
        while (await relay.publish_batch()).published:
            pass
        async with producer_db.engine.begin() as conn:
            await conn.execute(text("UPDATE committees.outbox SET published_at = now() - interval '400 days'"))
        assert await relay.prune() == 0
        assert await _count(producer_db, "committees.outbox WHERE published_at IS NOT NULL") == 3
