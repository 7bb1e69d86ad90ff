"""Decided twice (issue 12): a claim never lands on the step after the one it was made for, and one
request of a user holding two step roles passes one step. Every decision and claim checks the
review's state under its row lock (SELECT ... FOR UPDATE) and names the step it is for."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import date
from typing import Any

import pytest

from zhicheng_common.testing import assert_problem

from .conftest import XIAODIAN, Harness
from .test_review_chain import beijing_morning, open_publicity, to_publicity

pytestmark = pytest.mark.service

PASS = {"outcome": "pass", "opinion": "材料真实完整，同意推荐。", "signer_unit": "某某单位"}


async def at_city_hr_review(harness: Harness) -> uuid.UUID:
    """A declaration through unit review, unit publicity and department review: waiting at city HR."""
    review_id = await harness.submit()
    await to_publicity(harness, review_id)
    publicity = await open_publicity(harness, review_id)
    harness.move_to(beijing_morning(date.fromisoformat(publicity["closes_on"])))
    await harness.run_jobs()
    decided = await harness.decide(review_id, "dept_reviewer", step_key="department_review")
    assert decided.status_code == 201, decided.text
    assert (await harness.review(review_id))["step_key"] == "city_hr_review"
    return review_id


def two_roles(harness: Harness, subject: str) -> dict[str, str]:
    """A user of the city holding both the city HR and the committee office roles."""
    return harness.keys.headers(roles=["hr_reviewer", "committee_office"], region=XIAODIAN, subject=subject)


async def decisions(harness: Harness, review_id: uuid.UUID) -> list[str]:
    response = await harness.client.get(f"/api/v1/reviews/{review_id}/decisions", headers=harness.admin)
    return [d["step_key"] for d in response.json()["items"]]


async def test_decided_twice_the_same_pass_sent_twice_at_once_by_a_user_of_two_step_roles_passes_one_step(
    harness: Harness,
) -> None:
    review_id = await at_city_hr_review(harness)
    headers = two_roles(harness, "u-two-roles")
    url = f"/api/v1/reviews/{review_id}/decisions"
    body = {**PASS, "step_key": "city_hr_review"}

    first, second = await asyncio.gather(
        harness.client.post(url, json=body, headers=headers), harness.client.post(url, json=body, headers=headers)
    )

    assert sorted([first.status_code, second.status_code]) == [201, 409], (first.text, second.text)
    assert_problem(first if first.status_code == 409 else second, 409, "step_moved")
    review = await harness.review(review_id)
    assert (review["status"], review["step_key"]) == ("in_review", "committee_office_review")
    # unit_review, department_review, city_hr_review: three decisions, the committee office's not yet.
    assert await decisions(harness, review_id) == ["unit_review", "department_review", "city_hr_review"]


async def test_decided_twice_a_repeated_pass_for_a_step_already_left_is_refused(harness: Harness) -> None:
    review_id = await at_city_hr_review(harness)
    headers = two_roles(harness, "u-two-roles")
    url = f"/api/v1/reviews/{review_id}/decisions"
    body = {**PASS, "step_key": "city_hr_review"}
    assert (await harness.client.post(url, json=body, headers=headers)).status_code == 201

    again = await harness.client.post(url, json=body, headers=headers)

    problem = assert_problem(again, 409, "step_moved")
    # Messages for display (issue 13): the catalog's Chinese step names, no step key.
    assert problem["detail"] == "该申报已不在“市级人社部门审核”环节（当前为“评委会办事机构审核”），请刷新后再操作"
    assert re.search(r"[a-z_]{4,}", problem["detail"]) is None
    assert (await harness.review(review_id))["status"] == "in_review"


async def test_a_decision_must_name_its_step(harness: Harness) -> None:
    review_id = await harness.submit()
    response = await harness.client.post(
        f"/api/v1/reviews/{review_id}/decisions", json=PASS, headers=harness.headers("unit_reviewer")
    )
    assert response.status_code == 422
    assert "step_key" in {e["field"] for e in response.json()["errors"]}


async def test_decided_twice_a_claim_racing_a_pass_never_lands_on_the_next_step(harness: Harness) -> None:
    # Ten races: a city HR reviewer passes the step while a colleague (city HR only) claims it.
    for _ in range(10):
        review_id = await at_city_hr_review(harness)
        claim_url = f"/api/v1/reviews/{review_id}/claim"
        decided, claimed = await asyncio.gather(
            harness.client.post(
                f"/api/v1/reviews/{review_id}/decisions",
                json={**PASS, "step_key": "city_hr_review"},
                headers=harness.headers("hr_reviewer", subject="u-hr-a"),
            ),
            harness.client.post(claim_url, headers=harness.headers("hr_reviewer", subject="u-hr-b")),
        )
        review: dict[str, Any] = await harness.review(review_id)
        if decided.status_code == 201:
            # The pass came first: the claim for city HR review must not hold the committee office's step.
            assert review["step_key"] == "committee_office_review"
            assert review["claimed_by"] is None, claimed.text
            assert claimed.status_code in (403, 409), claimed.text
        else:
            # The claim came first: it holds city HR review, and the other reviewer's pass was refused.
            assert claimed.status_code == 200, claimed.text
            assert claimed.json()["step_key"] == "city_hr_review"
            assert_problem(decided, 409, "already_claimed")
            assert (review["step_key"], review["claimed_by"]) == ("city_hr_review", "u-hr-b")


async def test_decided_twice_a_claim_naming_a_step_already_left_is_refused(harness: Harness) -> None:
    review_id = await at_city_hr_review(harness)
    headers = two_roles(harness, "u-two-roles")
    passed = await harness.decide(review_id, "hr_reviewer", step_key="city_hr_review")
    assert passed.status_code == 201, passed.text

    late = await harness.client.post(
        f"/api/v1/reviews/{review_id}/claim", json={"step_key": "city_hr_review"}, headers=headers
    )

    assert_problem(late, 409, "step_moved")
    assert (await harness.review(review_id))["claimed_by"] is None
    claimed = await harness.client.post(
        f"/api/v1/reviews/{review_id}/claim", json={"step_key": "committee_office_review"}, headers=headers
    )
    assert (claimed.status_code, claimed.json()["step_key"]) == (200, "committee_office_review")
