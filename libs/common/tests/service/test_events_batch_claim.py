"""A fetched batch is claimed in one statement (issue 10 §4) with exactly the claims the events
would get one by one: redeliveries not claimed, older versions stale, ``previous_version`` as a
handler would see it, the stored version the highest one applied (issue 10 §1 kept)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from zhicheng_common.db import Database
from zhicheng_common.events.consumer import Claim, claim_event, claim_events
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_common.migrations import upgrade
from zhicheng_common.testing import TestStack, create_database
from zhicheng_intake.settings import MIGRATIONS_DIR as INTAKE_MIGRATIONS

pytestmark = pytest.mark.service


def _event(aggregate: str, version: int | None, event_id: str | None = None) -> CloudEvent:
    return CloudEvent(
        id=event_id or str(uuid.uuid4()),
        source="/zhicheng/committees",
        type="cn.zhicheng.committees.committee.approved.v1",
        subject=aggregate,
        time=datetime.now(UTC),
        aggregateversion=version,
    )


@pytest.fixture(scope="module")
def database(zc_stack: TestStack) -> Database:
    url = create_database(zc_stack, "batchclaim")
    upgrade(INTAKE_MIGRATIONS, url)
    return Database(url, "intake")


async def test_a_batch_gets_the_claims_of_its_events_one_by_one(database: Database) -> None:
    a, b, c = (f"agg-{uuid.uuid4().hex[:8]}" for _ in range(3))
    earlier = _event(a, 1)  # applied before the batch
    a3, a2, b1 = _event(a, 3), _event(a, 2), _event(b, 1)
    batch = [
        _event(a, 1, earlier.id),  # a redelivery of what the inbox has
        a3,  # newer than 1
        a2,  # older than 3, which came before it in the batch: stale
        _event(a, 3, a3.id),  # the same event twice in one batch (a reconcile's re-publication)
        b1,  # an aggregate not seen before
        _event(c, None),  # an envelope 1.0 without a version: always applied
        _event(b, 1),  # another event with b's version 1: not newer
        _event(a, 4, str(uuid.UUID(_event(a, 4).id)).upper()),  # an id spelt in capitals
    ]
    expected = [
        Claim(claimed=False, newer=False, previous_version=1),
        Claim(claimed=True, newer=True, previous_version=1),
        Claim(claimed=True, newer=False, previous_version=3),
        Claim(claimed=False, newer=False, previous_version=3),
        Claim(claimed=True, newer=True, previous_version=None),
        Claim(claimed=True, newer=True, previous_version=None),
        Claim(claimed=True, newer=False, previous_version=1),
        Claim(claimed=True, newer=True, previous_version=3),
    ]
    for consumer in ("batched", "one-by-one"):
        async with database.unit_of_work() as session:
            assert (await claim_event(session, consumer=consumer, event=earlier)).claimed
    async with database.unit_of_work() as session:
        assert await claim_events(session, consumer="batched", events=batch) == expected
    one_by_one = []
    for event in batch:
        async with database.unit_of_work() as session:
            one_by_one.append(await claim_event(session, consumer="one-by-one", event=event))
    assert one_by_one == expected
    async with database.engine.connect() as conn:
        stored = (
            await conn.execute(
                text(
                    "SELECT consumer, aggregate, version FROM intake.inbox_versions "
                    "WHERE aggregate IN (:a, :b, :c) ORDER BY consumer, aggregate"
                ),
                {"a": a, "b": b, "c": c},
            )
        ).all()
        inbox = (
            await conn.execute(
                text(
                    "SELECT consumer, count(*) FROM intake.inbox "
                    "WHERE consumer IN ('batched', 'one-by-one') GROUP BY consumer"
                )
            )
        ).all()
    assert {tuple(row) for row in stored} == {
        ("batched", a, 4),
        ("batched", b, 1),
        ("one-by-one", a, 4),
        ("one-by-one", b, 1),
    }
    # earlier, a3, a2, b1, c's, b's second, a4: 7 event ids each, every one recorded once.
    assert sorted(map(tuple, inbox)) == [("batched", 7), ("one-by-one", 7)]


async def test_a_batch_that_another_replica_overtook_applies_none_of_its_older_events(database: Database) -> None:
    """The stored version moved past the batch's between the snapshot and the row lock: no event is newer."""
    a = f"agg-{uuid.uuid4().hex[:8]}"
    async with database.unit_of_work() as session:
        await claim_event(session, consumer="overtaken", event=_event(a, 5))
    async with database.unit_of_work() as session:
        claims = await claim_events(session, consumer="overtaken", events=[_event(a, 3), _event(a, 4)])
    assert claims == [
        Claim(claimed=True, newer=False, previous_version=5),
        Claim(claimed=True, newer=False, previous_version=5),
    ]
