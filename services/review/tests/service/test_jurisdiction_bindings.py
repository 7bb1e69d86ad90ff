"""Jurisdiction beyond the region (issue 12): a unit reviewer reaches its own unit's declarations
only, a committee office its own committees' only; region-wide reviewers reach the whole region."""

from __future__ import annotations

import uuid

import pytest

from zhicheng_common.testing import assert_problem

from .conftest import Harness

pytestmark = pytest.mark.service

OTHER_UNIT = "o" * 64


async def _queue_ids(harness: Harness, headers: dict[str, str]) -> list[str]:
    response = await harness.client.get("/api/v1/reviews/queue?limit=500", headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_issue12_a_unit_reviewer_sees_and_acts_on_its_own_units_declarations_only(harness: Harness) -> None:
    mine = await harness.submit()
    other = await harness.submit(unit_key=OTHER_UNIT)
    reviewer = harness.headers("unit_reviewer")  # bound to UNIT_KEY

    queue = await _queue_ids(harness, reviewer)
    claim = await harness.client.post(f"/api/v1/reviews/{other}/claim", headers=reviewer)
    read = await harness.client.get(f"/api/v1/reviews/{other}", headers=reviewer)
    decided = await harness.decide(other, "unit_reviewer")

    assert str(mine) in queue
    assert str(other) not in queue
    assert_problem(claim, 403, "outside_binding")
    assert_problem(read, 403, "outside_binding")
    assert_problem(decided, 403, "outside_binding")
    assert (await harness.review(other))["step_key"] == "unit_review"  # nothing moved
    # The other unit's own reviewer does reach it.
    own = harness.headers("unit_reviewer", subject="u-other-unit", unit_key=OTHER_UNIT)
    assert (await harness.client.post(f"/api/v1/reviews/{other}/claim", headers=own)).status_code == 200


async def test_issue12_an_unbound_unit_reviewer_reaches_no_declaration(harness: Harness) -> None:
    review_id = await harness.submit()
    unbound = harness.headers("unit_reviewer", subject="u-unbound", unit_key=None)

    assert str(review_id) not in await _queue_ids(harness, unbound)
    assert_problem(
        await harness.client.post(f"/api/v1/reviews/{review_id}/claim", headers=unbound), 403, "outside_binding"
    )


async def test_issue12_a_committee_office_reads_its_own_committees_declarations_only(harness: Harness) -> None:
    mine = await harness.submit()
    other = await harness.submit(committee_id=str(uuid.uuid4()))
    office = harness.headers("committee_office")  # bound to COMMITTEE_ID

    assert (await harness.client.get(f"/api/v1/reviews/{mine}", headers=office)).status_code == 200
    assert_problem(await harness.client.get(f"/api/v1/reviews/{other}", headers=office), 403, "outside_binding")
    # A region-wide reviewer of the same region reads both.
    hr = harness.headers("hr_reviewer")
    assert (await harness.client.get(f"/api/v1/reviews/{other}", headers=hr)).status_code == 200
