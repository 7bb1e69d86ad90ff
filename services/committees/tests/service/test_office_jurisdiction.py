"""Jurisdiction beyond the region (issue 12): a committee office sees and acts only for its own committees."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from zhicheng_common.testing import assert_problem

from .conftest import PREFIX, SHANXI, Service, active_committee, plan_body

pytestmark = pytest.mark.service

PLAN = plan_body()


async def test_issue12_another_committees_office_of_the_same_region_sees_and_does_nothing(svc: Service) -> None:
    committee_id = await active_committee(svc)  # filed by committee_office-140000
    ours = svc.headers(["committee_office"], SHANXI)
    response = await svc.client.post(f"{PREFIX}/{committee_id}/plans", json=PLAN, headers=ours)
    assert response.status_code == 201, response.text
    plan = response.json()
    meeting_id = plan["meetings"][0]["id"]
    other = svc.keys.headers(roles=["committee_office"], region=SHANXI, subject="office-of-another-committee")

    # Reads: not in its lists, 403 on the records themselves.
    listed = (await svc.client.get(f"{PREFIX}?limit=200", headers=other)).json()
    assert committee_id not in {c["id"] for c in listed["items"]}
    filings = (await svc.client.get(f"{PREFIX}/filings?limit=200", headers=other)).json()
    assert committee_id not in {f["committee_id"] for f in filings["items"]}
    for url in (f"{PREFIX}/{committee_id}", f"{PREFIX}/{committee_id}/filings", f"{PREFIX}/plans/{plan['id']}"):
        assert_problem(await svc.client.get(url, headers=other), 403, "not_committee_office")
    # Acts: no plan for it, no pre-meeting filing of its meeting.
    response = await svc.client.put(f"{PREFIX}/plans/{plan['id']}", json=PLAN, headers=other)
    assert_problem(response, 403, "not_committee_office")
    svc.clock.set(datetime(2024, 11, 1, 1, 0, tzinfo=UTC))
    response = await svc.client.post(
        f"{PREFIX}/meetings/{meeting_id}/pre-meeting-filing", json={"applicant_count": 10}, headers=other
    )
    assert_problem(response, 403, "not_committee_office")

    # Its own office still sees it; an office bound to it by staff (token claim) does too.
    assert committee_id in {
        c["id"] for c in (await svc.client.get(f"{PREFIX}?limit=200", headers=ours)).json()["items"]
    }
    bound = svc.keys.headers(
        roles=["committee_office"], region=SHANXI, subject="second-clerk-of-the-office", committees=[committee_id]
    )
    assert (await svc.client.get(f"{PREFIX}/{committee_id}", headers=bound)).status_code == 200
    # A region-wide role (the HR department) is not narrowed.
    assert (
        await svc.client.get(f"{PREFIX}/{committee_id}", headers=svc.headers(["hr_admin"], SHANXI))
    ).status_code == 200
