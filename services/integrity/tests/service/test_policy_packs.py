"""Each record is judged by the pack of its own region and year, never by one service-wide pack (issue 12).

The shipped packs: ``shanxi-2024`` (140000, years 2024-2027) and ``yunnan-2023`` (530000, 2023 only).
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from zhicheng_common.testing import TestKeys, assert_problem, resident_id

from .conftest import Integrity, create_record

pytestmark = pytest.mark.service

QUJING = "530300"  # 曲靖市, Yunnan


async def test_integrity_record_uses_its_regions_pack_and_journals_it(integrity: Integrity, zc_keys: TestKeys) -> None:
    qujing_admin = zc_keys.headers(roles=["hr_admin"], region=QUJING, subject="qujing-admin")
    record = await create_record(
        integrity.client,
        qujing_admin,
        subject_id_number=resident_id("530302"),
        deciding_authority="曲靖市人力资源和社会保障局",
        decision_date="2023-06-15",
    )

    assert record["region"] == QUJING
    assert record["policy_pack"] == "yunnan-2023"
    # Yunnan's integrity_record_years is 3: 2023-06-15 + 3 years, the corresponding day included (NA-14).
    assert record["valid_until"] == "2026-06-15"
    decided = await integrity.journal(record_id=record["id"], action="integrity.record.decided")
    assert [entry["policy_pack"] for entry in decided] == ["yunnan-2023"]


async def test_integrity_record_of_a_region_no_pack_covers_is_refused_not_given_another_pack(
    integrity: Integrity, zc_keys: TestKeys
) -> None:
    beijing_admin = zc_keys.headers(roles=["hr_admin"], region="110000", subject="beijing-admin")
    number = resident_id("110105")
    response = await integrity.client.post(
        "/api/v1/integrity/records",
        json={
            "subject_kind": "person",
            "subject_id_number": number,
            "subject_name": "李四",
            "kind": "falsified_materials",
            "facts": "伪造业绩证明",
            "deciding_authority": "北京市人力资源和社会保障局",
            "decision_date": "2026-11-20",
            "effects": {"bar_declaring": True},
        },
        headers=beijing_admin,
    )

    body = assert_problem(response, 422, "no_policy_pack")
    assert body["errors"][0]["facts"] == {"jurisdiction": "110000", "year": 2026}
    assert await integrity.scalar("SELECT count(*) FROM integrity.records WHERE region = '110000'") == 0


async def test_unknown_pack_is_refused_when_an_appeal_changes_the_record(
    integrity: Integrity, taiyuan_admin: dict[str, str]
) -> None:
    record = await create_record(integrity.client, taiyuan_admin)
    # A record bound to a pack id the release no longer ships (e.g. a pack renamed by mistake).
    async with integrity.database.engine.begin() as conn:
        await conn.execute(
            text("UPDATE integrity.records SET policy_pack = 'atlantis-2024' WHERE id = :id"), {"id": record["id"]}
        )
    filed = await integrity.client.post(
        f"/api/v1/integrity/records/{record['id']}/appeals", json={"grounds": "情节有误"}, headers=taiyuan_admin
    )
    assert filed.status_code == 201, filed.text

    response = await integrity.client.post(
        f"/api/v1/integrity/records/{record['id']}/appeals/{filed.json()['id']}/decision",
        json={"outcome": "changed", "reason": "改为不限制申报", "changes": {"effects": {"bar_declaring": False}}},
        headers=taiyuan_admin,
    )

    body = assert_problem(response, 422, "unknown_policy_pack")
    assert body["errors"][0]["field"] == "policy_pack"
    status = await integrity.scalar("SELECT status FROM integrity.records WHERE id = :id", id=record["id"])
    assert status == "under_appeal"  # nothing decided, nothing superseded
    assert (
        await integrity.scalar("SELECT count(*) FROM integrity.records WHERE supersedes_id = :id", id=record["id"]) == 0
    )
