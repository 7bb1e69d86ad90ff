"""The national credit platform's feed (NA-13): fraud records only, the fields it needs, every read journaled."""

from __future__ import annotations

from typing import Any

import pytest

from zhicheng_common.auth import Principal
from zhicheng_common.testing import TestKeys, assert_problem, resident_id
from zhicheng_integrity.auth import CREDIT_FEED_SCOPE

from .conftest import SHANXI, TAIYUAN, Integrity, create_record

pytestmark = pytest.mark.service

FEED = "/api/v1/integrity/credit-feed"


async def read_all(integrity: Integrity, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every entry, following the cursor page by page."""
    entries: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if after:
            params["after"] = after
        response = await integrity.client.get(FEED, params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        entries.extend(page["items"])
        after = page["next_after"]
        if after is None:
            return entries


async def test_NA_13_fraud_records_are_shared_with_the_credit_platform_with_only_its_fields(
    integrity: Integrity, taiyuan_admin: dict[str, str], zc_keys: TestKeys
) -> None:
    number = resident_id()
    fraud = await create_record(integrity.client, taiyuan_admin, subject_id_number=number, subject_name="赵六")
    misconduct = await create_record(integrity.client, taiyuan_admin, kind="staff_misconduct", effects={})
    appeal = await integrity.client.post(
        f"/api/v1/integrity/records/{fraud['id']}/appeals", json={"grounds": "申诉"}, headers=taiyuan_admin
    )
    await integrity.client.post(
        f"/api/v1/integrity/records/{fraud['id']}/appeals/{appeal.json()['id']}/decision",
        json={"outcome": "withdrawn", "reason": "撤销"},
        headers=taiyuan_admin,
    )
    # An agency's API key: no role, the feed's scope, the province as its jurisdiction.
    key = Principal(subject="credit-agency", roles=frozenset(), region=SHANXI, scopes=frozenset({CREDIT_FEED_SCOPE}))
    agency = {"Authorization": f"Bearer {zc_keys.issuer.issue(key)}"}

    entries = await read_all(integrity, agency)

    mine = [e for e in entries if e["record_id"] == fraud["id"]]
    assert [e["change"] for e in mine] == ["decided", "withdrawn"]
    assert set(mine[0]) == {
        "cursor",
        "change",
        "at",
        "record_id",
        "subject_kind",
        "subject_name",
        "subject_id_number",
        "kind",
        "deciding_authority",
        "decision_date",
        "valid_from",
        "valid_until",
        "region",
    }
    assert (mine[0]["subject_id_number"], mine[0]["subject_name"]) == (number, "赵六")
    assert misconduct["id"] not in {e["record_id"] for e in entries}
    reads = await integrity.journal(actor="credit-agency", action="integrity.credit_feed.read")
    assert reads
    assert any(fraud["id"] in entry["data"]["record_ids"] for entry in reads)
    assert all(entry["rule_ids"] == ["NA-13"] for entry in reads)


async def test_the_credit_feed_needs_the_scope_or_the_province_and_stays_in_jurisdiction(
    integrity: Integrity, taiyuan_admin: dict[str, str], province_admin: dict[str, str]
) -> None:
    assert_problem(await integrity.client.get(FEED, headers=taiyuan_admin), 403, "role_required")
    record = await create_record(integrity.client, taiyuan_admin)
    entries = await read_all(integrity, province_admin)
    assert record["id"] in {e["record_id"] for e in entries}
    assert all(e["region"].startswith("14") for e in entries)
    assert TAIYUAN in {e["region"] for e in entries}
