"""The two journal shapes every service uses: a change with its event, and a read (record's region)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from zhicheng_common.auth import Principal
from zhicheng_common.clock import ManualClock
from zhicheng_common.db import Database
from zhicheng_common.journaling import journal_change, journal_read
from zhicheng_common.migrations import upgrade
from zhicheng_common.settings import CommonSettings
from zhicheng_integrity.events import RecordWithdrawn
from zhicheng_integrity.settings import MIGRATIONS_DIR

pytestmark = pytest.mark.service

# A provincial auditor reads records of two cities: each city's auditors must see the read.
AUDITOR = Principal(subject="u-auditor", roles=frozenset({"auditor"}), region="140000", name="省审计")
TAIYUAN_A = uuid.UUID("0190d5a0-0000-7000-8000-00000000000a")
TAIYUAN_B = uuid.UUID("0190d5a0-0000-7000-8000-00000000000b")
DATONG = uuid.UUID("0190d5a0-0000-7000-8000-00000000000c")


@dataclass
class Stored:
    id: uuid.UUID
    region: str


@pytest.fixture(scope="module")
def migrated(zc_settings: CommonSettings) -> CommonSettings:
    upgrade(MIGRATIONS_DIR, zc_settings.database_url)
    return zc_settings


@pytest.fixture
async def database(migrated: CommonSettings) -> AsyncIterator[Database]:
    database = Database(migrated.database_url, "integrity", clock=ManualClock(datetime(2026, 12, 2, 9, 0, tzinfo=UTC)))
    async with database.engine.begin() as conn:
        await conn.execute(text("TRUNCATE integrity.journal, integrity.outbox RESTART IDENTITY CASCADE"))
    yield database
    await database.dispose()


async def test_a_read_is_journaled_once_per_region_of_the_records_read(database: Database) -> None:
    records = [Stored(TAIYUAN_A, "140100"), Stored(DATONG, "140200"), Stored(TAIYUAN_B, "140100")]
    async with database.unit_of_work() as session:
        await journal_read(session, actor=AUDITOR, action="filing.read", record_type="filing", records=records)
        await journal_read(
            session, actor=AUDITOR, action="filing.read", record_type="filing", records=[records[1]], reason="查看"
        )
    async with database.engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT record_id, record_region, region, reason, data FROM integrity.journal ORDER BY id")
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        ("*", "140100", "140000", None, {"ids": [str(TAIYUAN_A), str(TAIYUAN_B)]}),
        (str(DATONG), "140200", "140000", None, {}),
        (str(DATONG), "140200", "140000", "查看", {}),
    ]


async def test_a_change_is_journaled_in_the_records_region_with_its_event_in_the_outbox(database: Database) -> None:
    record = Stored(TAIYUAN_A, "140100")
    event = RecordWithdrawn(record_id=TAIYUAN_A, subject_kind="person", subject_key="k", outcome="withdrawn")
    async with database.unit_of_work() as session:
        await journal_change(
            session,
            event,
            actor=AUDITOR,
            action="integrity.record.withdrawn",
            record_type="integrity_record",
            record=record,
            rule_ids=["IN-3"],
        )
    async with database.engine.connect() as conn:
        entry = (
            await conn.execute(text("SELECT action, record_id, record_region, rule_ids FROM integrity.journal"))
        ).one()
        outbox = (
            await conn.execute(
                text("SELECT envelope->>'subject', envelope->>'region', envelope->>'type' FROM integrity.outbox")
            )
        ).one()
    assert tuple(entry) == ("integrity.record.withdrawn", str(TAIYUAN_A), "140100", ["IN-3"])
    assert tuple(outbox) == (str(TAIYUAN_A), "140100", "cn.zhicheng.integrity.record.withdrawn.v2")
