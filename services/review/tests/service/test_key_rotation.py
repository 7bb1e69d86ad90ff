"""Keys that survive restarts (issue 11 §2, docs/keys.md): rotate the review's rings, restart the
service, and what the old keys signed (decisions, journal seals) still verifies, online and offline,
while what is signed after the restart carries the new key ids."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from zhicheng_common.audit import export_entries, verify_chain
from zhicheng_common.cli import app as cli
from zhicheng_common.clock import ManualClock
from zhicheng_common.keys import REVIEW_DECISIONS, journal_purpose, load_ring, read_public_ring, rotate_ring
from zhicheng_common.migrations import upgrade
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys, TestStack, create_database, in_thread
from zhicheng_review.settings import MIGRATIONS_DIR

from .conftest import START, Harness, running_review

JOURNAL = journal_purpose("review")


@pytest.fixture
def isolated_review(review_schema: CommonSettings, zc_stack: TestStack, tmp_path: Path) -> CommonSettings:
    """The review on a database of its own, so its journal holds only this test's seals."""
    url = create_database(zc_stack, f"keys_{uuid.uuid4().hex[:8]}")
    in_thread(lambda: upgrade(MIGRATIONS_DIR, url))
    return review_schema.model_copy(update={"database_url": url, "keys_dir": tmp_path / "keys"})


async def _decide(harness: Harness) -> dict[str, Any]:
    review_id = await harness.submit()
    response = await harness.decide(review_id, "unit_reviewer")
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _valid(harness: Harness, decision: dict[str, Any]) -> bool:
    url = f"/api/v1/reviews/decisions/{decision['id']}/verification"
    response = await harness.client.get(url, headers=harness.admin)
    assert response.status_code == 200, response.text
    return bool(response.json()["valid"])


async def _seal(harness: Harness) -> dict[str, Any]:
    sequencer = harness.app.state.runtime.sequencer
    await sequencer.link_once()
    seal = await sequencer.seal_once()
    assert seal is not None
    data: dict[str, Any] = seal["data"]
    return data


async def _export(harness: Harness) -> list[dict[str, Any]]:
    async with harness.app.state.database.engine.connect() as conn:
        return await export_entries(conn)


async def test_after_a_rotation_and_a_restart_old_decisions_and_seals_verify_and_new_ones_use_the_new_keys(
    isolated_review: CommonSettings, zc_keys: TestKeys, tmp_path: Path
) -> None:
    keys_dir = tmp_path / "keys"
    clock = ManualClock(START)
    # First start: the rings are generated (embedded default); a decision and a seal are signed.
    async with running_review(isolated_review, clock, zc_keys) as first:
        old_decision = await _decide(first)
        old_seal = await _seal(first)
        assert await _valid(first, old_decision)
    old_decision_key = load_ring(keys_dir / REVIEW_DECISIONS).keys[0].key_id
    old_seal_key = load_ring(keys_dir / JOURNAL).keys[0].key_id
    assert (old_decision["key_id"], old_seal["key_id"]) == (old_decision_key, old_seal_key)

    # The operator rotates both rings one hour later (the old keys stop signing then: no grace).
    rotated_at = START + timedelta(hours=1)
    _, new_decision_key = rotate_ring(keys_dir / REVIEW_DECISIONS, now=rotated_at, grace=timedelta(0))
    _, new_seal_key = rotate_ring(keys_dir / JOURNAL, now=rotated_at, grace=timedelta(0))
    assert new_decision_key.key_id != old_decision_key
    assert new_seal_key.key_id != old_seal_key

    # Restart, a day later (the daily seal is due again).
    clock.set(START + timedelta(days=1, hours=2))
    async with running_review(isolated_review, clock, zc_keys) as second:
        assert await _valid(second, old_decision)
        new_decision = await _decide(second)
        assert new_decision["key_id"] == new_decision_key.key_id
        assert await _valid(second, new_decision)
        new_seal = await _seal(second)
        assert new_seal["key_id"] == new_seal_key.key_id
        # Both decision keys are published, each with its signing period.
        published = (await second.client.get("/api/v1/reviews/public/keys")).json()["keys"]
        assert {k["kid"]: k["zc_not_after"] for k in published} == {
            old_decision_key: "2024-09-26T03:00:00+00:00",
            new_decision_key.key_id: None,
        }
        # The route answers from the ring read at start-up: with the files gone it makes none.
        (keys_dir / JOURNAL).rename(tmp_path / "ring-away")
        seal_keys = (await second.client.get("/api/v1/reviews/journal/seal-key", headers=second.admin)).json()
        assert not (keys_dir / JOURNAL).exists()
        (tmp_path / "ring-away").rename(keys_dir / JOURNAL)
        assert seal_keys["key_id"] == new_seal_key.key_id
        assert [k["kid"] for k in seal_keys["ring"]["keys"]] == [old_seal_key, new_seal_key.key_id]
        entries = await _export(second)
        # A stored decision claiming the old key after its period no longer verifies.
        await second.sql(
            "UPDATE review.decisions SET key_id = :kid WHERE id = :id",
            kid=old_decision_key,
            id=uuid.UUID(new_decision["id"]),
        )
        assert not await _valid(second, new_decision)

    # Offline: the exported chain with the published ring: both seals verify by their key ids.
    sealed = [e for e in entries if e["action"] == "journal.sealed"]
    assert [e["data"]["key_id"] for e in sealed] == [old_seal_key, new_seal_key.key_id]
    assert verify_chain(entries, seal_keys=read_public_ring(keys_dir / JOURNAL)).ok
    # With only the new key the old seal is refused: the ring, old keys included, is what verifies.
    only_new = {new_seal_key.key_id: new_seal_key.public_key}
    assert not verify_chain(entries, seal_keys=only_new).ok
    export = tmp_path / "review-journal.jsonl"
    export.write_text("".join(json.dumps(e, ensure_ascii=False, sort_keys=True, default=str) + "\n" for e in entries))
    ring_file = tmp_path / "seal-keys.json"
    ring_file.write_text(json.dumps(seal_keys))
    result = CliRunner().invoke(cli, ["journal", "verify", str(export), "--keys", str(ring_file)])
    assert result.exit_code == 0, result.output
    assert f"2 seal(s) verified (keys {', '.join(sorted([old_seal_key, new_seal_key.key_id]))})" in result.output
