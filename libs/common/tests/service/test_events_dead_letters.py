"""Poison messages (DESIGN.md §3): bounded redelivery, a dead-letter stream an operator can list,
and a replay from the command line once the handler is fixed."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from subprocess import PIPE

import pytest
from nats.js.client import JetStreamContext
from pydantic import BaseModel
from sqlalchemy import text

from zhicheng_common.db import Database
from zhicheng_common.embedded import free_port
from zhicheng_common.events.consumer import PermanentEventError
from zhicheng_common.events.deadletters import DeadLetter, list_dead_letters
from zhicheng_common.events.envelope import CloudEvent, make_envelope
from zhicheng_common.problems import Conflict
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import wait_until

from . import conftest as kit

pytestmark = pytest.mark.service

JsFactory = Callable[[str], Awaitable[JetStreamContext]]

ZHICHENG = Path(sys.executable).with_name("zhicheng")


class PoisonableThingHappened(BaseModel):
    """Test only: ``kind`` tells the handler how to fail while it is broken."""

    n: int
    kind: str = "ok"  # ok | transient | permanent | problem


POISON = "committees.evtpoison.happened"

# The handler's bug, fixed by flipping this before the replay.
HANDLER = {"broken": True}


@pytest.fixture(scope="module", autouse=True)
def event_types() -> Iterator[None]:
    with kit.registered(POISON, PoisonableThingHappened):
        yield


async def fail_while_broken(event: CloudEvent) -> None:
    if not HANDLER["broken"]:
        return
    kind = event.data.get("kind")
    if kind == "transient":
        raise RuntimeError("the handler trips over this message every time")
    if kind == "permanent":
        raise PermanentEventError("this message can never be applied as it is")
    if kind == "problem":
        raise Conflict("申报状态不允许此操作", rule="NA-1")


async def _cli(env: dict[str, str], *args: str) -> str:
    """Run ``zhicheng deadletters ...`` as the operator would (the consumers keep running meanwhile)."""
    process = await asyncio.create_subprocess_exec(
        str(ZHICHENG), "deadletters", *args, env=env, stdout=PIPE, stderr=PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def _letters(js: JetStreamContext, settings: CommonSettings, durable: str) -> dict[int, DeadLetter]:
    """The consumer's parked messages by ``n`` of the event."""
    parked = await list_dead_letters(js, settings)
    return {json.loads(letter.data)["data"]["n"]: letter for letter in parked if letter.consumer == durable}


async def test_poison_messages_are_parked_listed_and_replayed_once_fixed(
    event_schemas: CommonSettings,
    producer_db: Database,
    consumer_db: Database,
    nats_clients: JsFactory,
    zc_env: dict[str, str],
) -> None:
    settings = event_schemas
    HANDLER["broken"] = True
    js = await nats_clients("operator")
    # Three attempts, half a second apart and then a second: the poison message keeps failing for
    # about 1.5 s, long enough to see the messages behind it go by meanwhile.
    main = kit.make_consumer(
        settings,
        await nats_clients("main"),
        consumer_db,
        name="evt-poison-main",
        subject=POISON,
        handler=kit.effect_handler("evt-poison-main", before=fail_while_broken),
        max_deliver=3,
        retry_delay_seconds=0.5,
    )
    # Another consumer of the same subject, whose handler has no such bug.
    other = kit.make_consumer(
        settings, await nats_clients("other"), consumer_db, name="evt-poison-other", subject=POISON
    )
    kinds = {1: "transient", 5: "permanent", 6: "problem"}
    events = await kit.commit_events(
        producer_db, lambda n: PoisonableThingHappened(n=n, kind=kinds.get(n, "ok")), 10, per_unit=1, concurrency=1
    )
    healthy = [n for n in range(10) if n not in kinds]

    async with kit.running(kit.make_relay(settings, await nats_clients("relay"), producer_db), main, other):
        # The messages behind the poison one are applied while it is still being retried.
        await wait_until(lambda: _applied_n(consumer_db, "evt-poison-main", healthy), timeout=15, what="healthy ones")
        assert 1 not in await _letters(js, settings, main.durable)
        # Permanent errors are parked at the first attempt, the transient one after max_deliver attempts.
        letters = await wait_until(
            lambda: _parked(js, settings, main.durable, set(kinds)), timeout=15, what="three dead letters"
        )
        subject = f"{settings.events_prefix}.{POISON}"
        assert {n: (letter.attempts, letter.original_subject) for n, letter in letters.items()} == {
            1: (3, subject),
            5: (1, subject),
            6: (1, subject),
        }
        assert "RuntimeError" in letters[1].error
        assert "PermanentEventError" in letters[5].error
        assert "Conflict" in letters[6].error
        assert all(letters[n].event_id == events[n] for n in kinds)
        await wait_until(lambda: _applied_n(consumer_db, "evt-poison-other", list(range(10))), timeout=15, what="other")

        # Fixed: replay the transient one by sequence number, then the rest by consumer.
        HANDLER["broken"] = False
        await _cli(zc_env, "replay", str(letters[1].sequence))
        await wait_until(lambda: _applied_n(consumer_db, "evt-poison-main", [*healthy, 1]), timeout=15, what="replay")
        remaining = await _letters(js, settings, main.durable)
        assert set(remaining) == {5, 6}
        await _cli(zc_env, "replay", "--all", "--consumer", main.durable)
        await wait_until(lambda: _applied_n(consumer_db, "evt-poison-main", list(range(10))), timeout=15, what="all")
        assert await _letters(js, settings, main.durable) == {}
        # The other consumer acks the replays without applying them again.
        await wait_until(lambda: other.stats.replays_ignored == 3, timeout=15, what="replays ignored by the other")

    for consumer in ("evt-poison-main", "evt-poison-other"):
        result = await kit.effects(consumer_db, consumer)
        assert (result.rows, result.distinct_events) == (10, 10), consumer
    assert other.stats.skipped == 0
    assert (main.stats.dead_lettered, main.stats.retried) == (3, 2)


async def _applied_n(database: Database, consumer: str, expected: list[int]) -> bool:
    async with database.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT n FROM intake.zc_test_effects WHERE consumer = :c ORDER BY n"), {"c": consumer}
        )
        return [r.n for r in rows] == sorted(expected)


async def _parked(
    js: JetStreamContext, settings: CommonSettings, durable: str, expected: set[int]
) -> dict[int, DeadLetter] | None:
    letters = await _letters(js, settings, durable)
    return letters if set(letters) == expected else None


OutageThingHappened = kit.numbered_thing("arrives while the consumer's database is unreachable.")

OUTAGE = "committees.evtoutage.happened"


async def test_a_database_outage_is_retried_not_dead_lettered(
    event_schemas: CommonSettings, consumer_db: Database, nats_clients: JsFactory
) -> None:
    settings = event_schemas
    js = await nats_clients("operator")
    # The consumer's database is away (nothing listens on that port) for longer than max_deliver attempts.
    unreachable = Database(f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere", "intake")
    consumer = kit.make_consumer(
        settings,
        await nats_clients("consumer"),
        unreachable,
        name="evt-outage",
        subject=OUTAGE,
        max_deliver=2,
        retry_delay_seconds=0.1,
    )
    with kit.registered(OUTAGE, OutageThingHappened):
        envelope = make_envelope(OutageThingHappened(n=1), subject="outage")
    await js.publish(
        f"{settings.events_prefix}.{OUTAGE}", envelope.model_dump_json().encode(), headers={"Nats-Msg-Id": envelope.id}
    )
    try:
        async with kit.running(consumer):
            await wait_until(lambda: consumer.stats.retried >= 4, timeout=15, what="several failed attempts")
            assert consumer.stats.dead_lettered == 0
            assert await _letters(js, settings, consumer.durable) == {}
            # The database is back.
            consumer.database = consumer_db
            await wait_until(lambda: consumer.stats.applied == 1, timeout=15, what="applied after the outage")
    finally:
        await unreachable.dispose()
    result = await kit.effects(consumer_db, "evt-outage")
    assert (result.rows, result.distinct_events) == (1, 1)
