"""Authenticity (issue 10 §2): a consumer applies an event only when its envelope comes from the
service that owns the subject; anything else is dead-lettered with the reason, never applied."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime

import pytest
from nats.js.client import JetStreamContext

from zhicheng_common.db import Database
from zhicheng_common.events.deadletters import list_dead_letters
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import wait_until

from .conftest import effects, make_consumer, numbered_thing, registered, running

pytestmark = pytest.mark.service

JsFactory = Callable[[str], Awaitable[JetStreamContext]]

ORIGIN = "committees.evtorigin.happened"


OriginThingHappened = numbered_thing("an event of committees' subject space.")


@pytest.fixture(scope="module", autouse=True)
def event_types() -> Iterator[None]:
    with registered(ORIGIN, OriginThingHappened):
        yield


def envelope(n: int, *, source: str, type_: str) -> CloudEvent:
    return CloudEvent(
        id=str(uuid.uuid4()),
        source=source,
        type=type_,
        subject=str(uuid.uuid4()),
        time=datetime.now(UTC),
        data={"n": n},
        region="140100",
    )


async def test_an_event_whose_source_is_not_the_subjects_producer_is_dead_lettered(
    event_schemas: CommonSettings, consumer_db: Database, nats_clients: JsFactory
) -> None:
    settings = event_schemas
    js = await nats_clients("forger")
    durable_label = "evt-origin"
    consumer = make_consumer(settings, await nats_clients("consumer"), consumer_db, name=durable_label, subject=ORIGIN)
    genuine_type = "cn.zhicheng.committees.evtorigin.happened.v1"
    sent = {
        # n=1: what committees really publishes.
        1: envelope(1, source="/zhicheng/committees", type_=genuine_type),
        # n=2: intake's envelope put on committees' subject (a client with publish rights there).
        2: envelope(2, source="/zhicheng/intake", type_=genuine_type),
        # n=3: committees' source, but another producer's event type, which dispatch by type would route.
        3: envelope(3, source="/zhicheng/committees", type_="cn.zhicheng.integrity.record.decided.v1"),
    }
    subject = f"{settings.events_prefix}.{ORIGIN}"
    for event in sent.values():
        await js.publish(subject, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id})

    async with running(consumer):

        async def parked() -> dict[int, str] | None:
            letters = [
                letter for letter in await list_dead_letters(js, settings) if letter.consumer == consumer.durable
            ]
            found = {json.loads(letter.data)["data"]["n"]: letter.error for letter in letters}
            return found if len(found) == 2 else None

        letters = await wait_until(parked, timeout=15, what="two forged events dead-lettered")
        await wait_until(lambda: consumer.stats.applied == 1, timeout=15, what="the genuine event applied")

    assert set(letters) == {2, 3}
    assert "forged event refused" in letters[2]
    assert f"source /zhicheng/intake on {subject}: only /zhicheng/committees publishes there" in letters[2]
    assert f"type cn.zhicheng.integrity.record.decided.v1 on {subject}: only types of committees" in letters[3]
    # Only the genuine event reached the handler; a forged one was not retried either.
    result = await effects(consumer_db, durable_label)
    assert (result.rows, result.distinct_events) == (1, 1)
    assert (consumer.stats.dead_lettered, consumer.stats.retried) == (2, 0)
