"""Reads a front end needs: a committee's plans, and a meeting by its id (issue 13)."""

from __future__ import annotations

import uuid

import pytest

from zhicheng_common.testing import assert_problem

from .conftest import PREFIX, SHANXI, Service, active_committee
from .test_meetings import planned

pytestmark = pytest.mark.service


async def test_a_committees_plans_are_listed_with_their_meetings(svc: Service) -> None:
    committee_id = await active_committee(svc)
    headers = svc.headers(["hr_admin"], SHANXI)
    assert (await svc.client.get(f"{PREFIX}/{committee_id}/plans", headers=headers)).json() == []
    plan = await planned(svc, committee_id)
    response = await svc.client.get(f"{PREFIX}/{committee_id}/plans", headers=headers)
    assert response.status_code == 200, response.text
    plans = response.json()
    assert [p["id"] for p in plans] == [plan["id"]]
    assert plans[0]["year"] == 2024
    assert plans[0]["status"] == "published"
    assert [m["id"] for m in plans[0]["meetings"]] == [m["id"] for m in plan["meetings"]]
    # Outside the jurisdiction: 403; an office of another committee: 403; no such committee: 404.
    assert_problem(
        await svc.client.get(f"{PREFIX}/{committee_id}/plans", headers=svc.headers(["hr_admin"], "530000")),
        403,
        "outside_jurisdiction",
    )
    office = svc.keys.headers(roles=["committee_office"], region=SHANXI, committees=[str(uuid.uuid4())])
    assert (await svc.client.get(f"{PREFIX}/{committee_id}/plans", headers=office)).status_code == 403
    assert_problem(await svc.client.get(f"{PREFIX}/{uuid.uuid4()}/plans", headers=headers), 404, "committee_not_found")


async def test_a_meeting_is_read_by_its_id_with_its_plan_and_committee(svc: Service) -> None:
    committee_id = await active_committee(svc)
    plan = await planned(svc, committee_id)
    meeting = plan["meetings"][0]
    headers = svc.headers(["hr_admin"], SHANXI)
    response = await svc.client.get(f"{PREFIX}/meetings/{meeting['id']}", headers=headers)
    assert response.status_code == 200, response.text
    read = response.json()
    assert read["id"] == meeting["id"]
    assert read["meeting_date"] == meeting["meeting_date"]
    assert read["post_meeting_filing_due"] == meeting["post_meeting_filing_due"]
    assert (read["plan_id"], read["committee_id"], read["region"]) == (plan["id"], committee_id, plan["region"])
    assert_problem(
        await svc.client.get(f"{PREFIX}/meetings/{meeting['id']}", headers=svc.headers(["hr_admin"], "530000")),
        403,
        "outside_jurisdiction",
    )
    assert_problem(await svc.client.get(f"{PREFIX}/meetings/{uuid.uuid4()}", headers=headers), 404, "meeting_not_found")
    # The overdue list keeps its own route.
    overdue = await svc.client.get(f"{PREFIX}/meetings/overdue-post-filings", headers=headers)
    assert overdue.status_code == 200, overdue.text
