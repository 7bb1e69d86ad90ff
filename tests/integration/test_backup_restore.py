"""`zhicheng backup` of a running system with data, `zhicheng restore` onto an empty stack.

The system runs (`zhicheng up`) on a database and an events prefix of its own; HR enters integrity
records, whose events the consumers apply. A backup is taken while it runs. Then the stack is
emptied: a new, empty database, and the prefix's streams and KV buckets deleted. The backup is
restored there, the system started on it with the same keys, and it answers the same queries the
same way, every consumer has applied every event once (`zhicheng events check`), the journal
chain verifies, and new work goes on from there.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest

from zhicheng_common.testing import TestStack

from .conftest import delete_streams, empty_stack, events_settled, isolated_env, start_system, stop_system, zhicheng
from .test_integrity_records import GATEWAY, RECORDS, clerk, record_body, resident_id

pytestmark = pytest.mark.integration


def stream_event_ids(env: dict[str, str]) -> set[str]:
    """Every Nats-Msg-Id (the event id) in the deployment's events stream."""
    stream = env["ZC_EVENTS_PREFIX"].upper()

    async def run() -> set[str]:
        nc = await nats.connect(env["ZC_NATS_URL"])
        try:
            js = nc.jetstream()
            state = (await js.stream_info(stream)).state
            ids = set()
            for seq in range(state.first_seq, state.last_seq + 1):
                with contextlib.suppress(Exception):
                    ids.add((await js.get_msg(stream, seq=seq)).headers["Nats-Msg-Id"])
            return ids
        finally:
            await nc.close()

    return asyncio.run(run())


def cut_the_streams_copy_before(backup: Path, stream: str, record_id: str) -> set[str]:
    """Make the backup one whose streams were read just before ``record_id`` was decided.

    As if the record's event (and everything after it) had been published between the reading of
    the streams and the dump of the databases: the dump still has the outbox rows, marked
    published, but the streams' copy lacks them. Returns the event ids cut.
    """
    path = backup / "streams" / f"{stream}.jsonl"
    lines = path.read_text().splitlines()
    envelopes = [json.loads(base64.b64decode(json.loads(line)["data"])) for line in lines]
    first = next(
        i
        for i, envelope in enumerate(envelopes)
        if envelope["type"].startswith("cn.zhicheng.integrity.record.decided")
        and envelope["data"]["record_id"] == record_id
    )
    path.write_text("".join(line + "\n" for line in lines[:first]))
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["streams"][stream] = first
    manifest["streams_taken_at"] = envelopes[first]["time"]
    relative = f"streams/{stream}.jsonl"
    manifest["files"][relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    (backup / "manifest.json").write_text(json.dumps(manifest))
    return {envelope["id"] for envelope in envelopes[first:]}


def answers(admin: dict[str, str], taiyuan: dict[str, str], record_ids: list[str]) -> dict[str, Any]:
    """The queries whose answers must be the same after the restore."""
    out: dict[str, Any] = {}
    for record_id in record_ids:
        response = httpx.get(f"{RECORDS}/{record_id}", headers=taiyuan)
        assert response.status_code == 200, response.text
        out[record_id] = response.json()
    listed = httpx.get(RECORDS, params={"limit": 200}, headers=taiyuan)
    assert listed.status_code == 200, listed.text
    out["listed"] = sorted(item["id"] for item in listed.json()["items"])
    users = httpx.get(f"{GATEWAY}/api/v1/users", params={"limit": 200}, headers=admin)
    assert users.status_code == 200, users.text
    out["users"] = sorted(user["username"] for user in users.json()["items"])
    return out


def test_a_backup_with_data_restores_on_an_empty_stack_and_answers_the_same(
    zc_stack: TestStack, zc_env: dict[str, str], tmp_path: Path
) -> None:
    env = isolated_env(zc_stack, zc_env, "backup")
    data_dir = tmp_path / "data"
    backup = tmp_path / "backup"
    running = start_system(env, data_dir)
    try:
        admin = running.admin_headers()
        taiyuan = clerk(running, admin, "140100", ["hr_admin"])
        record_ids = []
        for _ in range(3):
            created = httpx.post(RECORDS, json=record_body(resident_id()), headers=taiyuan)
            assert created.status_code == 201, created.text
            record_ids.append(created.json()["id"])
        settled = events_settled(env)
        assert settled.returncode == 0, settled.stdout + settled.stderr
        before = answers(admin, taiyuan, record_ids)

        taken = zhicheng(env, "backup", str(backup))
        assert taken.returncode == 0, taken.stdout + taken.stderr
    finally:
        stop_system(running.process)

    manifest = json.loads((backup / "manifest.json").read_text())
    stream = env["ZC_EVENTS_PREFIX"].upper()
    # Three records decided: at least their three integrity.record.decided events in the stream.
    assert manifest["streams"][stream] >= 3
    assert list(manifest["databases"]) == ["shared"]  # every service in the one ZC_DATABASE_URL
    # The worst case of a backup taken while the system runs: the last record's event published
    # after the streams were read, before the databases were dumped.
    cut = cut_the_streams_copy_before(backup, stream, record_ids[-1])
    assert cut

    # The empty stack: a new database, the prefix's streams gone.
    empty = empty_stack(zc_stack, env)
    refused = zhicheng(env, "restore", str(backup))  # the old database still has its tables
    assert refused.returncode == 1
    assert "is not empty" in refused.stderr

    restored = zhicheng(empty, "restore", str(backup))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert f"{stream:<40} {manifest['streams'][stream] - len(cut)} message(s) restored" in restored.stdout

    again = start_system(empty, data_dir)
    try:
        settled = events_settled(empty)
        assert settled.returncode == 0, settled.stdout + settled.stderr
        # The relays published the cut events again from the restored outboxes.
        for _ in range(30):
            if cut <= stream_event_ids(empty):
                break
            time.sleep(1.0)
        assert cut <= stream_event_ids(empty), cut - stream_event_ids(empty)
        admin = again.admin_headers()
        assert answers(admin, taiyuan, record_ids) == before

        exported = zhicheng(empty, "journal", "export", "integrity", "-o", str(tmp_path / "integrity.jsonl"))
        assert exported.returncode == 0, exported.stdout + exported.stderr
        ring = data_dir / "keys" / "journal-integrity"
        verified = zhicheng(empty, "journal", "verify", str(tmp_path / "integrity.jsonl"), "--keys", str(ring))
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "chain intact" in verified.stdout

        # The season goes on from the restored state: a new record, its event applied.
        created = httpx.post(RECORDS, json=record_body(resident_id()), headers=taiyuan)
        assert created.status_code == 201, created.text
        settled = events_settled(empty)
        assert settled.returncode == 0, settled.stdout + settled.stderr
        listed = httpx.get(RECORDS, params={"limit": 200}, headers=taiyuan).json()
        assert sorted(item["id"] for item in listed["items"]) == sorted([*record_ids, created.json()["id"]])
    finally:
        stop_system(again.process)
        delete_streams(empty)
