"""The audit journal: append-only, hash-chained, checked offline (DESIGN.md §9)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from zhicheng_common.audit import GENESIS_HASH, append_entry, entry_hash, export_entries, seal_head, verify_chain
from zhicheng_common.auth import Principal, key_id
from zhicheng_common.db import Database
from zhicheng_common.migrations import upgrade
from zhicheng_common.settings import CommonSettings
from zhicheng_integrity.settings import MIGRATIONS_DIR

pytestmark = pytest.mark.service

CLERK = Principal(subject="u-clerk", roles=frozenset({"hr_reviewer"}), region="140100", name="太原市职称科")


@pytest.fixture(scope="module")
def migrated(zc_settings: CommonSettings) -> CommonSettings:
    upgrade(MIGRATIONS_DIR, zc_settings.database_url)
    return zc_settings


@pytest.fixture
async def database(migrated: CommonSettings) -> AsyncIterator[Database]:
    database = Database(migrated.database_url, "integrity")
    async with database.engine.begin() as conn:
        await conn.execute(text("TRUNCATE integrity.journal"))
    yield database
    await database.dispose()


async def _append_three(database: Database) -> None:
    for number in range(1, 4):
        async with database.unit_of_work() as session:
            await append_entry(
                session,
                actor=CLERK,
                action="record.decided",
                record_type="integrity_record",
                record_id=f"rec-{number}",
                reason="提供虚假材料",
                rule_ids=["IN-1", "IN-2"],
                policy_pack="shanxi-2024",
                data={"number": number, "说明": "示例"},
            )


async def test_journal_chain_verifies_when_untouched(database: Database) -> None:
    await _append_three(database)
    async with database.engine.connect() as conn:
        entries = await export_entries(conn)
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert entries[1]["prev_hash"] == entries[0]["hash"]
    assert verify_chain(entries).ok
    assert verify_chain(entries).checked == 3


async def test_journal_entry_rolled_back_with_its_transaction(database: Database) -> None:
    async def append_then_fail() -> None:
        async with database.unit_of_work() as session:
            await append_entry(session, actor=CLERK, action="x", record_type="t", record_id="r")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        await append_then_fail()
    async with database.engine.connect() as conn:
        assert await export_entries(conn) == []


async def test_editing_one_entry_in_the_database_breaks_the_offline_check_at_that_entry(
    database: Database, migrated: CommonSettings, zc_env: dict[str, str], tmp_path: Path
) -> None:
    await _append_three(database)
    async with database.engine.begin() as conn:
        await conn.execute(text("UPDATE integrity.journal SET reason = '无' WHERE seq = 2"))

    export = tmp_path / "journal.jsonl"
    subprocess.run(
        [sys.executable, "-m", "zhicheng_common.cli", "journal", "export", "integrity", "-o", str(export)],
        env=zc_env,
        check=True,
        capture_output=True,
    )
    entries = [json.loads(line) for line in export.read_text().splitlines()]
    assert len(entries) == 3
    result = verify_chain(entries)
    assert not result.ok
    assert result.broken_seq == 2

    check = subprocess.run(
        [sys.executable, "-m", "zhicheng_common.cli", "journal", "verify", str(export)],
        env=zc_env,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 1
    assert "seq 2" in check.stdout


async def test_deleting_an_entry_breaks_the_chain_at_the_next_one(database: Database) -> None:
    await _append_three(database)
    async with database.engine.begin() as conn:
        await conn.execute(text("DELETE FROM integrity.journal WHERE seq = 2"))
    async with database.engine.connect() as conn:
        result = verify_chain(await export_entries(conn))
    assert not result.ok
    assert result.broken_seq == 3


async def _seal(database: Database, key: Ed25519PrivateKey, now: datetime) -> dict[str, object] | None:
    async with database.unit_of_work() as session:
        return await seal_head(session, key=key, key_id=key_id(key), now=now, min_interval=timedelta(hours=24))


def _rehash_from(entries: list[dict[str, object]], seq: int) -> list[dict[str, object]]:
    """What a forger with database access but without the seal key can do: re-hash from ``seq`` on."""
    forged = [dict(e) for e in entries]
    for index, entry in enumerate(forged):
        if int(str(entry["seq"])) < seq:
            continue
        entry["prev_hash"] = forged[index - 1]["hash"] if index else GENESIS_HASH
        entry["hash"] = entry_hash(entry)
    return forged


async def test_the_head_is_sealed_once_a_day_and_only_when_something_is_new(database: Database) -> None:
    key = Ed25519PrivateKey.generate()
    now = datetime(2024, 10, 8, 9, 0, tzinfo=UTC)
    assert await _seal(database, key, now) is None  # empty chain: nothing to seal
    await _append_three(database)
    seal = await _seal(database, key, now)
    assert seal is not None
    assert seal["data"]["head_seq"] == 3  # type: ignore[index]
    assert await _seal(database, key, now + timedelta(hours=30)) is None  # nothing new since the seal
    await _append_three(database)
    assert await _seal(database, key, datetime.now(UTC) + timedelta(hours=1)) is None  # sealed < 24 h ago
    assert await _seal(database, key, datetime.now(UTC) + timedelta(hours=25)) is not None


async def test_a_rewritten_and_rehashed_chain_fails_at_the_first_seal_after_the_edit(database: Database) -> None:
    key = Ed25519PrivateKey.generate()
    trusted = {key_id(key): key.public_key()}
    await _append_three(database)
    await _seal(database, key, datetime.now(UTC))
    await _append_three(database)
    async with database.engine.connect() as conn:
        entries = await export_entries(conn)
    assert verify_chain(entries, seal_keys=trusted).ok

    entries[1]["reason"] = "无"
    forged = _rehash_from(entries, 2)
    assert verify_chain(forged).ok  # hashes alone cannot tell
    result = verify_chain(forged, seal_keys=trusted)
    assert not result.ok
    assert result.broken_seq == 4  # the seal after the edited entry 2
    other = Ed25519PrivateKey.generate()
    assert not verify_chain(entries, seal_keys={key_id(other): other.public_key()}).ok
