"""EL-11 under concurrency and whatever the outcome (issue 12): one promotion application per
person and year, held by a per-person lock taken in the submit transaction."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from zhicheng_common.testing import assert_problem

from .conftest import BASE, Intake, applicant_body, draft, status_becomes, submit, submitted_draft

pytestmark = pytest.mark.service


async def test_EL_11_two_drafts_of_one_person_submitted_at_the_same_moment_one_passes(intake: Intake) -> None:
    committee_id = await intake.open_committee()
    headers = intake.headers()
    body = applicant_body(committee_id)
    # The same person (same ID number), two drafts of the year, each eligible alone.
    drafts = [await draft(intake, body, headers), await draft(intake, body, headers)]

    responses = await asyncio.gather(*(intake.client.post(f"{BASE}/{d}/submit", headers=headers) for d in drafts))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409], [r.text for r in responses]
    refused = next(r for r in responses if r.status_code == 409)
    assert assert_problem(refused, 409, "not_eligible")["rule"] == "EL-11"


async def test_EL_11_five_concurrent_submissions_of_one_person_make_one_application(intake: Intake) -> None:
    committee_id = await intake.open_committee()
    headers = intake.headers()
    body = applicant_body(committee_id)
    drafts = [await draft(intake, body, headers) for _ in range(5)]

    responses = await asyncio.gather(*(intake.client.post(f"{BASE}/{d}/submit", headers=headers) for d in drafts))

    # Worked by hand: 5 submissions, limit 1 a year (shanxi-2024) → 1 accepted, 4 refused by EL-11.
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409, 409]


@pytest.mark.parametrize(
    ("event", "data", "status"),
    [
        ("review.declaration.rejected", {"step": "unit", "reason": "不符合条件", "rule_ids": ["RV-1"]}, "rejected"),
        ("review.declaration.disqualified", {"reason": "材料造假", "rule_ids": ["IN-1"]}, "disqualified"),
    ],
)
async def test_EL_11_a_declaration_refused_in_review_still_uses_the_year(
    intake: Intake, event: str, data: dict[str, Any], status: str
) -> None:
    committee_id = await intake.open_committee()
    headers = intake.headers()
    body = applicant_body(committee_id)
    first = await submitted_draft(intake, body, headers)
    await intake.publish(event, {"declaration_id": first, **data}, subject=first)
    await status_becomes(intake, first, headers, status)

    second = await draft(intake, body, headers)
    response = await submit(intake, second, headers)
    assert assert_problem(response, 409, "not_eligible")["rule"] == "EL-11"


async def test_EL_11_withdrawal_before_the_first_review_decision_frees_the_year(intake: Intake) -> None:
    committee_id = await intake.open_committee()
    headers = intake.headers()
    body = applicant_body(committee_id)
    first = await submitted_draft(intake, body, headers)
    withdrawn = await intake.client.post(f"{BASE}/{first}/withdraw", json={"reason": "换一个专业申报"}, headers=headers)
    assert withdrawn.status_code == 200, withdrawn.text

    second = await draft(intake, body, headers)
    response = await submit(intake, second, headers)
    assert response.status_code == 200, response.text


async def test_EL_11_withdrawal_after_a_return_for_correction_does_not_free_the_year(intake: Intake) -> None:
    committee_id = await intake.open_committee()
    headers = intake.headers()
    body = applicant_body(committee_id)
    first = await submitted_draft(intake, body, headers)
    items = [{"field": "achievements", "message": "补充获奖证书"}]
    returned = {"items": items, "deadline": "2024-05-15", "step": "unit"}
    await intake.publish("review.declaration.returned", {"declaration_id": first, **returned}, subject=first)
    await status_becomes(intake, first, headers, "returned")
    withdrawn = await intake.client.post(f"{BASE}/{first}/withdraw", json={"reason": "不补正了"}, headers=headers)
    assert withdrawn.status_code == 200, withdrawn.text

    second = await draft(intake, body, headers)
    response = await submit(intake, second, headers)
    assert assert_problem(response, 409, "not_eligible")["rule"] == "EL-11"
