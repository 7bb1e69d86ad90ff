"""Opening a meeting: the pre-meeting filing (CM-8) of an active committee (CM-10, CM-2) under a published plan."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import assert_problem, fields_of, on_stream

from .conftest import PREFIX, SHANXI, TAIYUAN, YUNCHENG, Service, active_committee, filing_body, plan_body

pytestmark = pytest.mark.service

CAL = WorkingDayCalendar()
# Friday after the National Day holidays of 2024 (1–7 Oct off; Sun 29 Sep and Sat 12 Oct are make-up working days).
MEETING = date(2024, 10, 11)
FIVE_BEFORE = date(2024, 9, 29)  # the make-up Sunday: 5 working days before the meeting
FOUR_BEFORE = date(2024, 9, 30)  # Monday, 11 calendar days before, yet only 4 working days
LATER_MEETING = {"meeting_date": "2024-11-15", "pre_meeting_filing_date": "2024-11-08"}


def meeting_plan(*extra_meetings: dict[str, str]) -> dict[str, Any]:
    """A 2024 plan whose first meeting is ``MEETING``, pre-filed on ``FIVE_BEFORE``."""
    first = {"meeting_date": MEETING.isoformat(), "pre_meeting_filing_date": FIVE_BEFORE.isoformat()}
    return plan_body(
        declaration_opens="2024-06-01",
        declaration_closes="2024-06-30",
        notice_date="2024-08-01",
        meetings=[first, *extra_meetings],
    )


async def planned(
    svc: Service, committee_id: str, *extra_meetings: dict[str, str], region: str = SHANXI, publish: bool = True
) -> dict[str, Any]:
    """A 2024 plan of the committee, published by the provincial HR department unless told otherwise."""
    response = await svc.client.post(
        f"{PREFIX}/{committee_id}/plans",
        json=meeting_plan(*extra_meetings),
        headers=svc.headers(["committee_office"], region),
    )
    assert response.status_code == 201, response.text
    plan: dict[str, Any] = response.json()
    if publish:
        response = await svc.client.post(
            f"{PREFIX}/plans/{plan['id']}/publication", headers=svc.headers(["hr_admin"], SHANXI)
        )
        assert response.status_code == 200, response.text
    return plan


def at(day: date) -> datetime:
    """09:00 in Beijing on ``day``."""
    return datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)


async def planned_meeting(svc: Service) -> tuple[dict[str, Any], str]:
    """A new committee's published 2024 plan, and the id of its first meeting."""
    plan = await planned(svc, await active_committee(svc))
    return plan, plan["meetings"][0]["id"]


async def pre_file(
    svc: Service, meeting_id: str, paper_date: date, *, region: str = SHANXI, roles: list[str] | None = None
) -> Any:
    """File on the clock's day (the server dates the act); ``paper_date`` is the date on the paper."""
    return await svc.client.post(
        f"{PREFIX}/meetings/{meeting_id}/pre-meeting-filing",
        json={"paper_date": paper_date.isoformat(), "applicant_count": 86, "note": "资格审查结果已公示，无异议"},
        headers=svc.headers(roles or ["committee_office"], region),
    )


async def meeting_of(svc: Service, plan_id: str, meeting_id: str) -> dict[str, Any]:
    plan = (await svc.client.get(f"{PREFIX}/plans/{plan_id}", headers=svc.headers(["hr_admin"], SHANXI))).json()
    meeting: dict[str, Any] = next(m for m in plan["meetings"] if m["id"] == meeting_id)
    return meeting


async def assert_not_opened(svc: Service, plan: dict[str, Any], meeting_id: str) -> None:
    """A refusal stored nothing: no filing on the meeting, no journal entry, no event."""
    assert (await meeting_of(svc, plan["id"], meeting_id))["pre_meeting_filed_on"] is None
    assert not [a for a, _, _ in await svc.journal(meeting_id) if a == "committee.meeting.pre_filed"]
    assert await svc.events(meeting_id) == []


async def test_CM_8_pre_meeting_filing_4_working_days_before_is_refused_and_5_passes(svc: Service) -> None:
    assert CAL.working_days_between(FOUR_BEFORE, MEETING) == 4
    assert CAL.working_days_between(FIVE_BEFORE, MEETING) == 5
    plan, meeting_id = await planned_meeting(svc)
    svc.clock.set(at(FOUR_BEFORE))

    body = assert_problem(await pre_file(svc, meeting_id, FOUR_BEFORE), 409, "pre_meeting_filing_too_late")
    assert body["rule"] == "CM-8"
    assert "filed_on" in fields_of(body)
    assert FIVE_BEFORE.isoformat() in body["detail"]  # says by when it was due
    await assert_not_opened(svc, plan, meeting_id)

    svc.clock.set(at(FIVE_BEFORE))
    response = await pre_file(svc, meeting_id, FIVE_BEFORE)
    assert response.status_code == 200, response.text
    meeting = response.json()
    assert meeting["pre_meeting_filed_on"] == FIVE_BEFORE.isoformat()
    assert meeting["pre_meeting_filed_by"] == "committee_office-140000"
    assert meeting["applicant_count"] == 86
    assert meeting["pre_meeting_note"] == "资格审查结果已公示，无异议"
    assert (await meeting_of(svc, plan["id"], meeting_id))["pre_meeting_filed_on"] == FIVE_BEFORE.isoformat()
    journal = await svc.journal(meeting_id)
    assert [(a, who) for a, who, _ in journal] == [("committee.meeting.pre_filed", "committee_office-140000")]
    assert "CM-8" in journal[0][2]


async def test_CM_8_a_late_pre_meeting_filing_does_not_pass_by_back_dating_the_paper(svc: Service) -> None:
    """Issue 12: the server's day decides CM-8; the paper's date (5 working days before) is only recorded."""
    plan, meeting_id = await planned_meeting(svc)
    # Mon 30 Sep 2024: 30 Sep, 8, 9, 10, 11 Oct are the working days after it up to the meeting = 4.
    svc.clock.set(at(FOUR_BEFORE))
    body = assert_problem(await pre_file(svc, meeting_id, FIVE_BEFORE), 409, "pre_meeting_filing_too_late")
    assert body["rule"] == "CM-8"
    await assert_not_opened(svc, plan, meeting_id)

    # On the make-up Sunday 29 Sep the filing is in time; a paper dated the Friday before is kept beside.
    svc.clock.set(at(FIVE_BEFORE))
    response = await pre_file(svc, meeting_id, date(2024, 9, 27))
    assert response.status_code == 200, response.text
    assert response.json()["pre_meeting_filed_on"] == "2024-09-29"
    assert response.json()["pre_meeting_paper_date"] == "2024-09-27"
    (event,) = await svc.events(meeting_id, "meeting.pre_filed")
    assert event["data"]["filed_on"] == "2024-09-29"


async def test_CM_8_a_meeting_is_filed_once(svc: Service) -> None:
    committee_id = await active_committee(svc)
    meeting_id = (await planned(svc, committee_id))["meetings"][0]["id"]
    svc.clock.set(at(FIVE_BEFORE))
    assert (await pre_file(svc, meeting_id, FIVE_BEFORE)).status_code == 200
    assert_problem(await pre_file(svc, meeting_id, FIVE_BEFORE), 409, "pre_meeting_already_filed")
    assert len(await svc.events(meeting_id, "meeting.pre_filed")) == 1


async def test_CM_10_suspended_committee_cannot_file_a_meeting(svc: Service) -> None:
    committee_id = await active_committee(svc)
    plan = await planned(svc, committee_id, LATER_MEETING)
    first, second = (m["id"] for m in plan["meetings"])
    hr = svc.headers(["hr_admin"], SHANXI)
    response = await svc.client.post(
        f"{PREFIX}/{committee_id}/sanctions",
        json={"kind": "suspension", "reason": "评审程序不完备", "rectification_deadline": "2024-12-31"},
        headers=hr,
    )
    assert response.status_code == 201, response.text
    svc.clock.set(at(FIVE_BEFORE))
    body = assert_problem(await pre_file(svc, first, FIVE_BEFORE), 409, "committee_suspended")
    assert body["rule"] == "CM-10"
    await assert_not_opened(svc, plan, first)

    response = await svc.client.post(f"{PREFIX}/{committee_id}/resumption", json={"reason": "整改到位"}, headers=hr)
    assert response.status_code == 200, response.text
    assert (await pre_file(svc, first, FIVE_BEFORE)).status_code == 200

    response = await svc.client.post(
        f"{PREFIX}/{committee_id}/sanctions", json={"kind": "power_withdrawal", "reason": "违规评审"}, headers=hr
    )
    assert response.status_code == 201, response.text
    svc.clock.set(at(date(2024, 11, 8)))
    body = assert_problem(await pre_file(svc, second, date(2024, 11, 8)), 409, "committee_withdrawn")
    assert body["rule"] == "CM-10"
    await assert_not_opened(svc, plan, second)


async def test_CM_2_an_expired_committee_cannot_file_a_meeting_even_before_the_expiry_job_runs(svc: Service) -> None:
    committee_id = await active_committee(svc)
    meeting_id = (await planned(svc, committee_id))["meetings"][0]["id"]
    svc.clock.set(at(date(2027, 3, 2)))  # approved 1 March 2024: valid through 1 March 2027 (NA-14)
    body = assert_problem(await pre_file(svc, meeting_id, FIVE_BEFORE), 409, "committee_expired")
    assert body["rule"] == "CM-2"
    await svc.run_scheduler()
    body = assert_problem(await pre_file(svc, meeting_id, FIVE_BEFORE), 409, "committee_expired")
    assert body["rule"] == "CM-2"


async def test_CM_5_a_meeting_of_a_plan_not_yet_published_cannot_be_filed(svc: Service) -> None:
    committee_id = await active_committee(svc)
    plan = await planned(svc, committee_id, publish=False)
    meeting_id = plan["meetings"][0]["id"]
    svc.clock.set(at(FIVE_BEFORE))
    body = assert_problem(await pre_file(svc, meeting_id, FIVE_BEFORE), 409, "plan_not_published")
    assert body["rule"] == "CM-5"
    await assert_not_opened(svc, plan, meeting_id)


async def test_a_pre_meeting_paper_dated_after_today_or_a_typed_filing_day_is_a_problem_naming_the_field(
    svc: Service,
) -> None:
    committee_id = await active_committee(svc)
    meeting_id = (await planned(svc, committee_id))["meetings"][0]["id"]
    svc.clock.set(at(date(2024, 9, 27)))
    response = await pre_file(svc, meeting_id, FIVE_BEFORE)
    assert "paper_date" in fields_of(assert_problem(response, 422, "validation_failed"))
    typed = await svc.client.post(
        f"{PREFIX}/meetings/{meeting_id}/pre-meeting-filing",
        json={"filed_on": "2024-09-27", "applicant_count": 86},
        headers=svc.headers(["committee_office"], SHANXI),
    )
    # The day of the act is not the client's to give.
    assert "filed_on" in fields_of(assert_problem(typed, 422, "validation_failed"))
    bad = await svc.client.post(
        f"{PREFIX}/meetings/{meeting_id}/pre-meeting-filing",
        json={"paper_date": "2024-09-27", "applicant_count": 0},
        headers=svc.headers(["committee_office"], SHANXI),
    )
    assert "applicant_count" in fields_of(assert_problem(bad, 422, "validation_failed"))


async def test_CM_1_another_citys_office_and_an_applicant_cannot_file_a_meeting(svc: Service) -> None:
    committee_id = await active_committee(svc, filing_body(region=TAIYUAN, scope_regions=[TAIYUAN]), approver=SHANXI)
    plan = await planned(svc, committee_id, region=TAIYUAN)
    meeting_id = plan["meetings"][0]["id"]
    svc.clock.set(at(FIVE_BEFORE))
    assert_problem(await pre_file(svc, meeting_id, FIVE_BEFORE, region=YUNCHENG), 403, "outside_jurisdiction")
    applicant = await pre_file(svc, meeting_id, FIVE_BEFORE, roles=["applicant"], region=TAIYUAN)
    assert_problem(applicant, 403, "role_required")
    await assert_not_opened(svc, plan, meeting_id)
    assert (await pre_file(svc, meeting_id, FIVE_BEFORE, region=TAIYUAN)).status_code == 200


async def test_a_plan_with_an_opened_meeting_cannot_be_changed(svc: Service) -> None:
    committee_id = await active_committee(svc)
    plan = await planned(svc, committee_id, LATER_MEETING)
    svc.clock.set(at(FIVE_BEFORE))
    assert (await pre_file(svc, plan["meetings"][0]["id"], FIVE_BEFORE)).status_code == 200
    response = await svc.client.put(
        f"{PREFIX}/plans/{plan['id']}", json=meeting_plan(), headers=svc.headers(["committee_office"], SHANXI)
    )
    assert_problem(response, 409, "meeting_already_opened")
    assert (await meeting_of(svc, plan["id"], plan["meetings"][1]["id"]))["id"] == plan["meetings"][1]["id"]
    assert (await meeting_of(svc, plan["id"], plan["meetings"][0]["id"]))["pre_meeting_filed_on"] is not None


async def test_CM_8_the_opened_meeting_is_published_for_the_expert_draw(
    svc: Service, zc_settings: CommonSettings, nats_js: Any
) -> None:
    committee_id = await active_committee(svc)
    plan = await planned(svc, committee_id)
    meeting_id = plan["meetings"][0]["id"]
    svc.clock.set(at(FIVE_BEFORE))
    assert (await pre_file(svc, meeting_id, FIVE_BEFORE)).status_code == 200

    events = await svc.events(meeting_id, "meeting.pre_filed")
    assert len(events) == 1
    assert events[0]["region"] == SHANXI
    expected = {
        "committee_id": committee_id,
        "meeting_id": meeting_id,
        "plan_id": plan["id"],
        "meeting_date": MEETING.isoformat(),
        "filed_on": FIVE_BEFORE.isoformat(),
        "region": SHANXI,
        "applicant_count": 86,
        "series": "engineering",
        "levels": ["associate_senior", "senior"],
        "policy_pack": "shanxi-2024",
    }
    assert events[0]["data"] == expected

    # The relay publishes it to JetStream, where the experts service will take it.
    await on_stream(
        nats_js, zc_settings, "committees.meeting.pre_filed", lambda e: e["data"]["meeting_id"] == meeting_id
    )
