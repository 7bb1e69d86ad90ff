"""The audit journal: entries appended without a lock, linked by one sequencer, checked offline (DESIGN.md §9)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.audit import (
    GENESIS_HASH,
    JournalSequencer,
    SealKey,
    append_entry,
    entry_hash,
    export_entries,
    link_pending,
    seal_head,
    verify_chain,
)
from zhicheng_common.auth import Principal, key_id
from zhicheng_common.clock import ManualClock
from zhicheng_common.db import Database
from zhicheng_common.migrations import upgrade
from zhicheng_common.settings import CommonSettings
from zhicheng_integrity.settings import MIGRATIONS_DIR

pytestmark = pytest.mark.service

CLERK = Principal(subject="u-clerk", roles=frozenset({"hr_reviewer"}), region="140100", name="太原市职称科")
START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def migrated(zc_settings: CommonSettings) -> CommonSettings:
    upgrade(MIGRATIONS_DIR, zc_settings.database_url)
    return zc_settings


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def database(migrated: CommonSettings, clock: ManualClock) -> AsyncIterator[Database]:
    database = Database(migrated.database_url, "integrity", clock=clock)
    async with database.engine.begin() as conn:
        await conn.execute(text("TRUNCATE integrity.journal RESTART IDENTITY"))
    yield database
    await database.dispose()


def _seal_key() -> SealKey:
    key = Ed25519PrivateKey.generate()
    return SealKey(key_id(key), key)


async def _append_record_entry(session: AsyncSession, action: str, record_id: str, **more: Any) -> None:
    """The clerk's entry on an integrity record of Taiyuan (140100)."""
    await append_entry(
        session,
        actor=CLERK,
        action=action,
        record_type="integrity_record",
        record_id=record_id,
        record_region="140100",
        **more,
    )


async def _append_three(database: Database) -> None:
    for number in range(1, 4):
        async with database.unit_of_work() as session:
            await _append_record_entry(
                session,
                "record.decided",
                f"rec-{number}",
                reason="提供虚假材料",
                rule_ids=["IN-1", "IN-2"],
                policy_pack="shanxi-2024",
                data={"number": number, "说明": "示例"},
            )


async def _link(database: Database) -> int:
    async with database.unit_of_work() as session:
        return await link_pending(session)


async def _export(database: Database) -> list[dict[str, Any]]:
    async with database.engine.connect() as conn:
        return await export_entries(conn)


async def test_entries_wait_unlinked_until_the_sequencer_links_them_in_one_chain(
    database: Database, clock: ManualClock
) -> None:
    await _append_three(database)
    assert await _export(database) == []  # appended, not yet in the chain
    assert await _link(database) == 3
    entries = await _export(database)
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert entries[0]["prev_hash"] == GENESIS_HASH
    assert entries[1]["prev_hash"] == entries[0]["hash"]
    # Time from the injectable clock; the record's region and the actor's.
    assert entries[0]["at"] == "2026-12-02T09:00:00.000000+00:00"
    assert (entries[0]["region"], entries[0]["record_region"]) == ("140100", "140100")
    assert verify_chain(entries).ok
    assert verify_chain(entries).checked == 3
    assert await _link(database) == 0


async def test_journal_entry_rolled_back_with_its_transaction(database: Database) -> None:
    async def append_then_fail() -> None:
        async with database.unit_of_work() as session:
            await append_entry(session, actor=CLERK, action="x", record_type="t", record_id="r", record_region="140100")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        await append_then_fail()
    await _link(database)
    assert await _export(database) == []


async def test_only_the_holder_of_the_sequencer_lock_links(database: Database) -> None:
    await _append_three(database)
    async with database.unit_of_work() as holder:
        assert await link_pending(holder, batch_size=1) == 1  # holds the lock until it commits
        assert await _link(database) == 0  # a second replica's round: skipped, nothing linked twice
    assert await _link(database) == 2
    assert [e["seq"] for e in await _export(database)] == [1, 2, 3]


# Every stored field of an entry, each with a value it does not have: an edit of any is found.
EDITS = {
    "seq": "seq = seq + 100",
    "at": "at = at + interval '1 second'",
    "actor": "actor = 'someone-else'",
    "role": "role = 'auditor'",
    "region": "region = '140800'",
    "record_region": "record_region = '140800'",
    "action": "action = 'record.withdrawn'",
    "record_type": "record_type = 'other'",
    "record_id": "record_id = 'rec-9'",
    "reason": "reason = '无'",
    "rule_ids": """rule_ids = '["IN-1"]'::jsonb""",
    "policy_pack": "policy_pack = 'shanxi-2025'",
    "data": """data = '{"number": 2}'::jsonb""",
    "prev_hash": "prev_hash = repeat('a', 64)",
    "hash": "hash = repeat('b', 64)",
    "format": "format = 1",
    "id": "id = id + 100",  # an identity column: rewritten by deleting and re-inserting the row
}


async def _edit_second_entry(database: Database, field: str) -> None:
    async with database.engine.begin() as conn:
        if field == "id":
            await conn.execute(
                text("CREATE TEMP TABLE moved ON COMMIT DROP AS SELECT * FROM integrity.journal WHERE seq = 2")
            )
            await conn.execute(text("UPDATE moved SET id = id + 100"))
            await conn.execute(text("DELETE FROM integrity.journal WHERE seq = 2"))
            await conn.execute(text("INSERT INTO integrity.journal OVERRIDING SYSTEM VALUE SELECT * FROM moved"))
        else:
            await conn.execute(text(f"UPDATE integrity.journal SET {EDITS[field]} WHERE seq = 2"))


@pytest.mark.parametrize("field", sorted(EDITS))
async def test_editing_any_field_of_an_entry_is_found_by_the_offline_check(database: Database, field: str) -> None:
    await _append_three(database)
    await _link(database)
    await _edit_second_entry(database, field)
    entries = json.loads(json.dumps(await _export(database)))  # what an export file holds
    assert len(entries) == 3
    result = verify_chain(entries)
    assert not result.ok
    # The edited entry itself fails, or (a moved seq, a rewritten hash) the chain breaks right there.
    assert result.checked == 1, result


async def test_the_cli_exports_and_finds_an_edited_entry_offline(
    database: Database, zc_env: dict[str, str], tmp_path: Path
) -> None:
    await _append_three(database)
    await _link(database)
    await _edit_second_entry(database, "reason")
    export = tmp_path / "journal.jsonl"
    subprocess.run(
        [sys.executable, "-m", "zhicheng_common.cli", "journal", "export", "integrity", "-o", str(export)],
        env=zc_env,
        check=True,
        capture_output=True,
    )
    entries = [json.loads(line) for line in export.read_text().splitlines()]
    assert len(entries) == 3
    assert verify_chain(entries).broken_seq == 2
    check = subprocess.run(
        [sys.executable, "-m", "zhicheng_common.cli", "journal", "verify", str(export)],
        env=zc_env,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 1
    assert "BROKEN at seq 2" in check.stdout


async def test_deleting_an_entry_breaks_the_chain_at_the_next_one(database: Database) -> None:
    await _append_three(database)
    await _link(database)
    async with database.engine.begin() as conn:
        await conn.execute(text("DELETE FROM integrity.journal WHERE seq = 2"))
    result = verify_chain(await _export(database))
    assert not result.ok
    assert result.broken_seq == 3


async def _seal(database: Database, key: SealKey, now: datetime) -> dict[str, Any] | None:
    async with database.unit_of_work() as session:
        return await seal_head(session, key=key, now=now, min_interval=timedelta(hours=24))


def _rehash_from(entries: list[dict[str, Any]], seq: int) -> list[dict[str, Any]]:
    """What a forger with database access but without the seal key can do: re-hash from ``seq`` on."""
    forged = [dict(e) for e in entries]
    for index, entry in enumerate(forged):
        if int(entry["seq"]) < seq:
            continue
        entry["prev_hash"] = forged[index - 1]["hash"] if index else GENESIS_HASH
        entry["hash"] = entry_hash(entry)
    return forged


async def test_the_head_is_sealed_once_a_day_and_only_when_something_is_new(database: Database) -> None:
    key = _seal_key()
    assert await _seal(database, key, START) is None  # empty chain: nothing to seal
    await _append_three(database)
    seal = await _seal(database, key, START)  # links the three first, then seals the real head
    assert seal is not None
    assert (seal["seq"], seal["data"]["head_seq"]) == (4, 3)
    assert await _seal(database, key, START + timedelta(hours=30)) is None  # nothing new since the seal
    await _append_three(database)
    assert await _seal(database, key, START + timedelta(hours=1)) is None  # sealed < 24 h ago
    assert await _seal(database, key, START + timedelta(hours=25)) is not None
    assert verify_chain(await _export(database), seal_keys={key.key_id: key.private_key.public_key()}).ok


async def test_a_rewritten_and_rehashed_chain_fails_at_the_first_seal_after_the_edit(database: Database) -> None:
    key = _seal_key()
    trusted = {key.key_id: key.private_key.public_key()}
    await _append_three(database)
    await _seal(database, key, START)
    await _append_three(database)
    await _link(database)
    entries = await _export(database)
    assert verify_chain(entries, seal_keys=trusted).ok

    entries[1]["reason"] = "无"
    forged = _rehash_from(entries, 2)
    assert verify_chain(forged).ok  # hashes alone cannot tell
    result = verify_chain(forged, seal_keys=trusted)
    assert not result.ok
    assert result.broken_seq == 4  # the seal after the edited entry 2
    other = _seal_key()
    assert not verify_chain(entries, seal_keys={other.key_id: other.private_key.public_key()}).ok


async def test_concurrent_writers_while_the_seal_runs_leave_a_chain_and_seals_that_verify(
    database: Database, clock: ManualClock
) -> None:
    """Sixteen writers append while the sequencer links and seals every round (its interval 0)."""
    key = _seal_key()
    sequencer = JournalSequencer(
        database, clock=clock, seal_key=key, link_seconds=0.01, seal_every=timedelta(0), seal_check_seconds=0
    )
    stop = asyncio.Event()
    running = asyncio.create_task(sequencer.run(stop))

    async def writer(number: int) -> None:
        for item in range(15):
            async with database.unit_of_work() as session:
                await _append_record_entry(session, "record.read", f"w{number}-{item}")
                await asyncio.sleep(0)  # let others interleave inside open transactions

    await asyncio.gather(*(writer(n) for n in range(16)))
    stop.set()
    await running
    await sequencer.link_once()
    await sequencer.seal_once()  # a last seal over the final head, unless the head already is one

    entries = await _export(database)
    seals = [e for e in entries if e["action"] == "journal.sealed"]
    assert len(entries) - len(seals) == 16 * 15  # every entry linked, none twice
    assert len(seals) >= 2
    assert entries[-1]["action"] == "journal.sealed"
    assert verify_chain(entries, seal_keys={key.key_id: key.private_key.public_key()}).ok
    for seal in seals:  # each seal signs the entry right before it
        before = entries[int(seal["seq"]) - 2]
        assert (seal["data"]["head_seq"], seal["data"]["head_hash"]) == (before["seq"], before["hash"])
