"""Expiry: at the end of its validity a record lapses by itself, once, with its event (IN-2, NA-13, EL-20)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from zhicheng_common.testing import resident_id

from .conftest import Integrity, create_record

pytestmark = pytest.mark.service

DECIDED = "cn.zhicheng.integrity.record.decided.v1"
EXPIRED = "cn.zhicheng.integrity.record.expired.v1"


async def status_of(integrity: Integrity, record_id: str) -> str:
    status: str = await integrity.scalar("SELECT status FROM integrity.records WHERE id = :id", id=record_id)
    return status


async def test_IN_2_EL_20_moving_the_clock_past_three_years_lifts_the_bar_once(
    integrity: Integrity, taiyuan_admin: dict[str, str]
) -> None:
    number = resident_id()
    record = await create_record(integrity.client, taiyuan_admin, subject_id_number=number, decision_date="2026-11-20")
    assert record["valid_until"] == "2029-11-20"

    await integrity.run_scheduler()
    assert await status_of(integrity, record["id"]) == "decided"

    # 2029-11-20 23:59 in Beijing: the last day in force (NA-14, bound included).
    integrity.clock.set(datetime(2029, 11, 20, 15, 59, tzinfo=UTC))
    await integrity.run_scheduler()
    assert await status_of(integrity, record["id"]) == "decided"

    # 2029-11-21 00:01 in Beijing: lapsed.
    integrity.clock.set(datetime(2029, 11, 20, 16, 1, tzinfo=UTC))
    await integrity.run_scheduler()
    assert await status_of(integrity, record["id"]) == "expired"
    await integrity.run_scheduler()
    integrity.clock.set(datetime(2031, 1, 1, tzinfo=UTC))
    await integrity.run_scheduler()

    events = await integrity.outbox(record["id"])
    assert [e["type"] for e in events] == [DECIDED, EXPIRED]
    expired = events[1]["envelope"]["data"]
    assert expired == {
        "record_id": record["id"],
        "subject_kind": "person",
        "subject_key": integrity.cipher.keyed_hash(number),
        "valid_until": "2029-11-20",
        # NA-13: a fraud record, so the national credit platform's subscription hears of it (issue 17).
        "kind": "falsified_materials",
        "shared_with_credit_platform": True,
    }
    detail = (await integrity.client.get(f"/api/v1/integrity/records/{record['id']}", headers=taiyuan_admin)).json()
    assert detail["in_force"] is False
    assert [(h["action"], h["actor"]) for h in detail["history"]][-1] == ("expire", "system")
    entries = await integrity.journal(action="integrity.record.expired", record_id=record["id"])
    assert len(entries) == 1
    assert entries[0]["region"] == record["region"]


async def test_a_record_under_appeal_still_lapses_and_its_appeal_closes(
    integrity: Integrity, taiyuan_admin: dict[str, str]
) -> None:
    record = await create_record(integrity.client, taiyuan_admin, decision_date="2026-11-20", valid_until="2027-11-20")
    response = await integrity.client.post(
        f"/api/v1/integrity/records/{record['id']}/appeals", json={"grounds": "申诉"}, headers=taiyuan_admin
    )
    assert response.status_code == 201, response.text

    integrity.clock.set(datetime(2027, 11, 21, 1, 0, tzinfo=UTC))
    await integrity.run_scheduler()

    detail = (await integrity.client.get(f"/api/v1/integrity/records/{record['id']}", headers=taiyuan_admin)).json()
    assert detail["status"] == "expired"
    assert detail["appeals"][0]["status"] == "lapsed"
    assert [e["type"] for e in await integrity.outbox(record["id"])] == [DECIDED, EXPIRED]
