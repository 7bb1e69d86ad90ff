"""The controlled clock's shared source on a real NATS (issue 11 §4, docs/clock.md): a move is a
compare-and-set in the bucket, every follower takes it, and the scheduler runs at once instead of
at its next interval."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.clock import ClockMoveRefused, ClockState, ControlledClock, advance_by, set_to
from zhicheng_common.clock_store import ClockFollower, clock_bucket, move_clock, read_clock
from zhicheng_common.db import Database
from zhicheng_common.migrations import upgrade
from zhicheng_common.scheduler import Job, Scheduler
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import wait_until
from zhicheng_review.settings import MIGRATIONS_DIR

from .conftest import done_when_due

pytestmark = pytest.mark.service


async def reset(js: Any, settings: CommonSettings) -> None:
    kv = await js.create_key_value(bucket=clock_bucket(settings), history=20)
    await kv.purge("offset")


async def test_moves_are_shared_and_backwards_is_refused(nats_js: Any, zc_settings: CommonSettings) -> None:
    await reset(nats_js, zc_settings)
    assert (await read_clock(nats_js, zc_settings)).offset_seconds == 0.0
    first = await move_clock(nats_js, zc_settings, lambda s, r: advance_by(s, delta=timedelta(days=8), real=r, by="a"))
    second = await move_clock(nats_js, zc_settings, lambda s, r: advance_by(s, delta=timedelta(days=1), real=r, by="b"))
    stored = await read_clock(nats_js, zc_settings)
    assert stored == second
    assert stored.revision == first.revision + 1 == 2
    assert stored.offset_seconds == pytest.approx(timedelta(days=9).total_seconds(), abs=5)
    with pytest.raises(ClockMoveRefused):
        await move_clock(nats_js, zc_settings, lambda s, r: advance_by(s, delta=timedelta(hours=-1), real=r, by="c"))
    assert await read_clock(nats_js, zc_settings) == second  # a refused move writes nothing
    await reset(nats_js, zc_settings)


expire_due = done_when_due("review.zc_clock_deadlines")


async def test_a_move_wakes_the_scheduler_long_before_its_interval(nats_js: Any, zc_settings: CommonSettings) -> None:
    await reset(nats_js, zc_settings)
    upgrade(MIGRATIONS_DIR, zc_settings.database_url)
    database = Database(zc_settings.database_url, "review")
    due = datetime.now(UTC) + timedelta(days=3)
    async with database.engine.begin() as conn:
        await conn.execute(text("DROP TABLE IF EXISTS review.zc_clock_deadlines"))
        await conn.execute(
            text("CREATE TABLE review.zc_clock_deadlines (id int primary key, due_at timestamptz, done bool)")
        )
        await conn.execute(text("INSERT INTO review.zc_clock_deadlines VALUES (1, :due, false)"), {"due": due})
    clock = ControlledClock()
    rounds: list[datetime] = []

    async def job(session: AsyncSession, now: datetime) -> int:
        rounds.append(now)
        return await expire_due(session, now)

    # An hour between rounds: only a wake can make the job run again within this test.
    scheduler = Scheduler(database, [Job("expire", job, interval_seconds=3600.0)], clock)
    clock.on_move(scheduler.wake)
    follower = ClockFollower(clock, zc_settings, retry_seconds=0.5)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(scheduler.run(stop)), asyncio.create_task(follower.run(nats_js, stop))]

    async def done() -> bool:
        async with database.engine.connect() as conn:
            return bool((await conn.execute(text("SELECT done FROM review.zc_clock_deadlines"))).scalar_one())

    try:
        await wait_until(lambda: clock.ready, timeout=10, what="the follower read the shared time")
        await wait_until(lambda: len(rounds) == 1, timeout=10, what="the first round once the time is known")
        assert not await done()
        await move_clock(nats_js, zc_settings, lambda s, r: set_to(s, target=due + timedelta(hours=1), real=r, by="t"))
        await wait_until(done, timeout=5, what="the deadline acted on after the move")
        assert len(rounds) == 2
        assert rounds[1] >= due
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        async with database.engine.begin() as conn:
            await conn.execute(text("DROP TABLE review.zc_clock_deadlines"))
        await database.dispose()
        await reset(nats_js, zc_settings)


async def test_a_controlled_clock_is_not_ready_before_the_shared_time_is_known() -> None:
    clock = ControlledClock()
    assert clock.ready is False
    assert clock.apply(ClockState()) is False
    assert clock.ready is True
