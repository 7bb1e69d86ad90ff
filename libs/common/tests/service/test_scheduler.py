"""The scheduler acts on due deadline rows once, at the injected clock's time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from zhicheng_common.clock import ManualClock
from zhicheng_common.db import Database
from zhicheng_common.migrations import upgrade
from zhicheng_common.scheduler import Job, Scheduler
from zhicheng_common.settings import CommonSettings
from zhicheng_review.settings import MIGRATIONS_DIR

from .conftest import done_when_due

pytestmark = pytest.mark.service

START = datetime(2024, 9, 27, 9, 0, tzinfo=UTC)


expire_due = done_when_due("review.zc_test_deadlines")


async def test_moving_the_clock_past_a_deadline_acts_on_it_once(zc_settings: CommonSettings) -> None:
    upgrade(MIGRATIONS_DIR, zc_settings.database_url)
    database = Database(zc_settings.database_url, "review")
    async with database.engine.begin() as conn:
        await conn.execute(
            text("CREATE TABLE review.zc_test_deadlines (id int primary key, due_at timestamptz, done bool)")
        )
        await conn.execute(
            text("INSERT INTO review.zc_test_deadlines VALUES (1, :due, false)"), {"due": START + timedelta(days=3)}
        )
    clock = ManualClock(START)
    scheduler = Scheduler(database, [Job("expire", expire_due)], clock)
    try:
        assert await scheduler.run_once() == {"expire": 0}
        clock.advance(timedelta(days=3))
        assert await scheduler.run_once() == {"expire": 1}
        assert await scheduler.run_once() == {"expire": 0}
    finally:
        async with database.engine.begin() as conn:
            await conn.execute(text("DROP TABLE review.zc_test_deadlines"))
        await database.dispose()
