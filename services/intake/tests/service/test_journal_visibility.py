"""Who sees a journal entry: the record's jurisdiction, wherever the actor sits (issue 11 §1)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from .conftest import SHANXI, TAIYUAN, Intake
from .test_corrections_and_queries import returned_by, submitted

pytestmark = pytest.mark.service

BASE = "/api/v1/declarations"
YUNCHENG = "140800"


async def journal_about(intake: Intake, declaration_id: str, *, auditor_region: str) -> list[dict[str, Any]]:
    """The entries about one declaration that an auditor of ``auditor_region`` is shown."""
    headers = intake.headers(roles=("auditor",), region=auditor_region)
    items: list[dict[str, Any]] = []
    after = 0
    while True:
        page = await intake.client.get(f"{BASE}/journal", params={"after_id": after, "limit": 1000}, headers=headers)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        if page.json()["next_after_id"] is None:
            return [e for e in items if e["record_id"] == declaration_id]
        after = page.json()["next_after_id"]


async def test_an_auditor_of_the_records_city_sees_a_province_users_read(intake: Intake) -> None:
    declaration_id, _ = await submitted(intake, intake.headers())  # a Taiyuan employer's declaration
    province = intake.headers(roles=("hr_reviewer",), region=SHANXI, subject="u-province-reviewer")
    assert (await intake.client.get(f"{BASE}/{declaration_id}", headers=province)).status_code == 200

    taiyuan = await journal_about(intake, declaration_id, auditor_region=TAIYUAN)
    reads = [e for e in taiyuan if e["action"] == "declaration.read"]
    assert [(e["actor"], e["region"], e["record_region"]) for e in reads] == [("u-province-reviewer", SHANXI, TAIYUAN)]
    # Another city's auditor sees nothing of it; the province's sees it too.
    assert await journal_about(intake, declaration_id, auditor_region=YUNCHENG) == []
    assert [e["actor"] for e in await journal_about(intake, declaration_id, auditor_region=SHANXI)].count(
        "u-province-reviewer"
    ) == 1


async def test_an_auditor_of_the_records_city_sees_what_the_scheduler_did(intake: Intake) -> None:
    """RV-3: the abandonment is the system's act (actor region 100000), shown to the record's city."""
    headers = intake.headers()
    declaration_id = await returned_by(intake, headers, "2024-05-10")
    intake.clock.advance(timedelta(days=10))  # 2024-05-11: the deadline day has passed
    await intake.run_scheduler()
    intake.clock.advance(timedelta(days=-10))

    entries = await journal_about(intake, declaration_id, auditor_region=TAIYUAN)
    abandoned = [e for e in entries if e["action"] == "declaration.abandoned"]
    assert [(e["actor"], e["region"], e["record_region"]) for e in abandoned] == [("system", "100000", TAIYUAN)]
    assert abandoned[0]["rule_ids"] == ["RV-3"]
