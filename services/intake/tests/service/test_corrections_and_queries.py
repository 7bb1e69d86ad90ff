"""Corrections (RV-3), withdrawal, and reads: own, unit, clerk by jurisdiction, masking, DA-1."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from services.intake.tests.builders import CREDIT_CODE
from zhicheng_common.pii import PiiCipher
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import assert_problem, wait_until

from .conftest import Intake, applicant_body, submitted_draft

pytestmark = pytest.mark.service

BASE = "/api/v1/declarations"


async def submitted(intake: Intake, headers: dict[str, str], **changes: Any) -> tuple[str, dict[str, Any]]:
    body = applicant_body(await intake.open_committee(), **changes)
    return await submitted_draft(intake, body, headers), body


async def returned(intake: Intake, declaration_id: str, headers: dict[str, str], deadline: str) -> None:
    await intake.publish(
        "review.declaration.returned",
        {
            "declaration_id": declaration_id,
            "items": [{"field": "achievements", "message": "业绩证明不清晰，请补充项目名称"}],
            "deadline": deadline,
            "step": "unit",
        },
        subject=declaration_id,
    )

    async def is_returned() -> bool:
        response = await intake.client.get(f"{BASE}/{declaration_id}", headers=headers)
        return bool(response.json()["status"] == "returned")

    await wait_until(is_returned, timeout=10, what="declaration returned by review")


async def returned_by(intake: Intake, headers: dict[str, str], deadline: str) -> str:
    """A submitted declaration, returned for correction by ``deadline``; returns its id."""
    declaration_id, _ = await submitted(intake, headers)
    await returned(intake, declaration_id, headers, deadline)
    return declaration_id


async def test_RV_3_applicant_corrects_only_the_listed_fields_and_resubmits(intake: Intake) -> None:
    headers = intake.headers()
    declaration_id, body = await submitted(intake, headers)
    await returned(intake, declaration_id, headers, "2024-05-10")

    seen = (await intake.client.get(f"{BASE}/{declaration_id}", headers=headers)).json()
    assert seen["correction_items"] == [{"field": "achievements", "message": "业绩证明不清晰，请补充项目名称"}]
    assert seen["correction_deadline"] == "2024-05-10"

    outside = {**body, "applicant": {**body["applicant"], "post": "总工程师"}}
    refused = await intake.client.put(f"{BASE}/{declaration_id}", json=outside, headers=headers)
    assert assert_problem(refused, 409, "outside_correction_list")["rule"] == "RV-3"
    assert refused.json()["errors"][0]["field"] == "applicant.post"

    corrected = {**body, "achievements": [{**body["achievements"][0], "title": "太原南站站房结构设计"}]}
    edited = await intake.client.put(f"{BASE}/{declaration_id}", json=corrected, headers=headers)
    assert edited.status_code == 200, edited.text
    again = await intake.client.post(f"{BASE}/{declaration_id}/resubmit", headers=headers)
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "resubmitted"


async def test_RV_3_not_corrected_by_the_deadline_becomes_abandoned_by_itself(intake: Intake) -> None:
    headers = intake.headers()
    declaration_id = await returned_by(intake, headers, "2024-05-10")

    intake.clock.advance(timedelta(days=9))  # 2024-05-10: the deadline day still counts
    await intake.run_scheduler()
    assert (await intake.client.get(f"{BASE}/{declaration_id}", headers=headers)).json()["status"] == "returned"

    intake.clock.advance(timedelta(days=1))
    await intake.run_scheduler()
    seen = (await intake.client.get(f"{BASE}/{declaration_id}", headers=headers)).json()
    assert seen["status"] == "abandoned"
    late = await intake.client.post(f"{BASE}/{declaration_id}/resubmit", headers=headers)
    assert_problem(late, 409, "wrong_state")
    # Issue 13: the message names the status as the catalog does, never by its code (abandoned).
    assert late.json()["detail"] == "申报状态为逾期未补正，不能重新提交"


async def test_applicant_withdraws_before_review(intake: Intake) -> None:
    headers = intake.headers()
    declaration_id, _ = await submitted(intake, headers)
    response = await intake.client.post(
        f"{BASE}/{declaration_id}/withdraw", json={"reason": "个人原因"}, headers=headers
    )
    assert response.status_code == 200, response.text
    history = (await intake.client.get(f"{BASE}/{declaration_id}/history", headers=headers)).json()["items"]
    assert [h["status"] for h in history] == ["draft", "submitted", "withdrawn"]


async def test_only_the_owner_may_submit_or_withdraw(intake: Intake) -> None:
    declaration_id, _ = await submitted(intake, intake.headers())
    other = intake.headers()
    response = await intake.client.post(f"{BASE}/{declaration_id}/withdraw", json={"reason": "x"}, headers=other)
    assert_problem(response, 403, "not_owner")


async def test_clerk_lists_by_year_and_committee_within_jurisdiction_with_masked_ids(
    intake: Intake, zc_settings: CommonSettings
) -> None:
    owner = intake.headers()
    declaration_id, body = await submitted(intake, owner)
    committee_id = body["target"]["committee_id"]
    unit_key = PiiCipher(zc_settings.pii_key).keyed_hash(CREDIT_CODE)

    clerk = intake.headers(roles=("unit_reviewer",), region="140100", unit_key=unit_key)
    page = await intake.client.get(
        BASE, params={"year": 2024, "committee_id": committee_id, "status": "submitted"}, headers=clerk
    )
    assert [item["id"] for item in page.json()["items"]] == [declaration_id]
    one = (await intake.client.get(f"{BASE}/{declaration_id}", headers=clerk)).json()
    assert "*" in one["applicant_id_number"]
    own = (await intake.client.get(f"{BASE}/{declaration_id}", headers=owner)).json()
    assert own["applicant_id_number"] == body["applicant"]["id_number"]

    elsewhere = intake.headers(roles=("unit_reviewer",), region="140800", unit_key=unit_key)
    page = await intake.client.get(BASE, params={"committee_id": committee_id}, headers=elsewhere)
    assert page.json()["items"] == []
    assert_problem(await intake.client.get(f"{BASE}/{declaration_id}", headers=elsewhere), 403, "outside_jurisdiction")


async def test_unit_lists_its_declarations_by_credit_code(intake: Intake, zc_settings: CommonSettings) -> None:
    declaration_id, _ = await submitted(intake, intake.headers())
    unit_key = PiiCipher(zc_settings.pii_key).keyed_hash(CREDIT_CODE)
    unit = intake.headers(roles=("unit_reviewer",), region="140100", unit_key=unit_key)
    page = await intake.client.get(BASE, params={"unit_credit_code": CREDIT_CODE, "limit": 200}, headers=unit)
    assert declaration_id in {item["id"] for item in page.json()["items"]}


async def test_issue12_a_unit_reviewer_sees_only_its_own_units_and_an_office_only_its_committees(
    intake: Intake, zc_settings: CommonSettings
) -> None:
    """Issue 12: same region, other unit or other committee: not listed, 403 on the record."""
    declaration_id, body = await submitted(intake, intake.headers())
    committee_id = body["target"]["committee_id"]
    cipher = PiiCipher(zc_settings.pii_key)
    other_unit = intake.headers(
        roles=("unit_reviewer",), region="140100", unit_key=cipher.keyed_hash("91140100MA0K0B0B0Y")
    )
    unbound_unit = intake.headers(roles=("unit_reviewer",), region="140100")
    other_office = intake.headers(roles=("committee_office",), region="140100", committees=[str(uuid.uuid4())])
    for clerk in (other_unit, unbound_unit, other_office):
        listed = (await intake.client.get(BASE, params={"limit": 200}, headers=clerk)).json()
        assert declaration_id not in {item["id"] for item in listed["items"]}
        assert_problem(await intake.client.get(f"{BASE}/{declaration_id}", headers=clerk), 403, "outside_binding")

    own_office = intake.headers(roles=("committee_office",), region="140100", committees=[committee_id])
    listed = (await intake.client.get(BASE, params={"limit": 200}, headers=own_office)).json()
    assert declaration_id in {item["id"] for item in listed["items"]}
    assert (await intake.client.get(f"{BASE}/{declaration_id}", headers=own_office)).status_code == 200


async def test_applicant_sees_only_own_declarations(intake: Intake) -> None:
    owner = intake.headers()
    declaration_id, _ = await submitted(intake, owner)
    assert [i["id"] for i in (await intake.client.get(BASE, headers=owner)).json()["items"]] == [declaration_id]
    assert (await intake.client.get(BASE, headers=intake.headers())).json()["items"] == []
    assert_problem(await intake.client.get(f"{BASE}/{declaration_id}", headers=intake.headers()), 403, "not_owner")


async def test_DA_1_fields_are_exported(intake: Intake) -> None:
    declaration_id, _ = await submitted(intake, intake.headers())
    hr = intake.headers(roles=("hr_admin",), region="140000")
    export = await intake.client.get(f"{BASE}/export/da1", params={"year": 2024}, headers=hr)
    assert export.status_code == 200, export.text
    record = next(r for r in export.json()["items"] if r["declaration_id"] == declaration_id)
    assert record["name"] == "张三"
    assert record["gender"] == "male"
    assert record["highest_education"] == "bachelor"
    assert record["major"] == "土木工程"
    assert record["practiced_specialty"] == "civil_construction"
    assert record["field"] == "工程技术"
    assert record["current_title"] == "工程师"
    assert record["certificate_number"] == "1401002018000123"
    assert_problem(await intake.client.get(f"{BASE}/export/da1", headers=intake.headers()), 403, "role_required")


async def test_issue12_the_DA_1_export_pages_by_cursor_and_leaves_drafts_out(intake: Intake) -> None:
    """Issue 12: 5 declarations made to one committee and 1 draft; pages of 2 are 2, 2 and 1, then no cursor."""
    committee_id = await intake.open_committee()
    made: set[str] = set()
    for _ in range(5):
        owner = intake.headers()
        created = await intake.client.post(BASE, json=applicant_body(committee_id), headers=owner)
        assert created.status_code == 201, created.text
        response = await intake.client.post(f"{BASE}/{created.json()['id']}/submit", headers=owner)
        assert response.status_code == 200, response.text
        made.add(created.json()["id"])
    draft = await intake.client.post(BASE, json=applicant_body(committee_id), headers=intake.headers())
    assert draft.status_code == 201, draft.text

    hr = intake.headers(roles=("hr_admin",), region="140000")
    sizes: list[int] = []
    seen: list[str] = []
    params: dict[str, Any] = {"committee_id": str(committee_id), "limit": 2}
    while True:
        page = await intake.client.get(f"{BASE}/export/da1", params=params, headers=hr)
        assert page.status_code == 200, page.text
        sizes.append(len(page.json()["items"]))
        seen.extend(item["declaration_id"] for item in page.json()["items"])
        if page.json()["next_after"] is None:
            break
        params["after"] = page.json()["next_after"]
    assert sizes == [2, 2, 1]
    assert sorted(seen) == sorted(made)  # each once, the draft never
    too_big = await intake.client.get(f"{BASE}/export/da1", params={"limit": 1001}, headers=hr)
    assert_problem(too_big, 422, "validation_failed")


async def test_windows_show_committee_scope_and_window(intake: Intake) -> None:
    committee_id = await intake.open_committee()
    items = (await intake.client.get(f"{BASE}/windows", headers=intake.headers())).json()["items"]
    item = next(i for i in items if i["committee_id"] == str(committee_id))
    assert item["series"] == "engineering"
    assert item["windows"][0]["declaration_opens"] == "2024-04-01"
    assert uuid.UUID(item["windows"][0]["plan_id"])


async def test_NA_14_RV_3_a_provisional_correction_deadline_follows_reviews_recomputation_once(intake: Intake) -> None:
    # Review returned it on Mon 2026-12-28 with 2027 not yet announced: due Tue 2027-01-05,
    # provisional; once 2027 is loaded (01-01..01-04 off) review moves it to Wed 2027-01-06.
    headers = intake.headers()
    declaration_id, _ = await submitted(intake, headers)
    await intake.publish(
        "review.declaration.returned",
        {
            "declaration_id": declaration_id,
            "items": [{"field": "achievements", "message": "业绩证明不清晰，请补充项目名称"}],
            "deadline": "2027-01-05",
            "step": "unit",
            "deadline_provisional": True,
        },
        subject=declaration_id,
    )

    async def seen() -> dict[str, Any] | None:
        body: dict[str, Any] = (await intake.client.get(f"{BASE}/{declaration_id}", headers=headers)).json()
        return body if body["status"] == "returned" else None

    body = await wait_until(seen, timeout=10, what="declaration returned by review")
    assert (body["correction_deadline"], body["correction_deadline_provisional"]) == ("2027-01-05", True)

    changed = {
        "declaration_id": declaration_id,
        "deadline_kind": "correction",
        "previous": "2027-01-05",
        "due": "2027-01-06",
        "provisional": False,
        "moved": True,
        "calendar_years": [2027],
    }
    await intake.publish("review.declaration.deadline_changed", changed, subject=declaration_id)

    async def moved() -> dict[str, Any] | None:
        current = await seen()
        return current if current and current["correction_deadline"] == "2027-01-06" else None

    body = await wait_until(moved, timeout=10, what="the correction deadline moved")
    assert body["correction_deadline_provisional"] is False
    # The same change delivered again (another replica of review, a replay): nothing more happens.
    await intake.publish("review.declaration.deadline_changed", changed, subject=declaration_id)
    await asyncio.sleep(1.5)
    async with intake.app.state.database.unit_of_work() as session:
        entries = (
            await session.execute(
                text(
                    "SELECT count(*) FROM intake.journal WHERE record_id = :id"
                    " AND action = 'declaration.correction_deadline_changed'"
                ),
                {"id": declaration_id},
            )
        ).scalar_one()
    assert entries == 1
