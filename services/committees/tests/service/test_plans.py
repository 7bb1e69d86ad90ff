"""Annual plans (CM-5..CM-9) over working days, sanctions (NA-13, CM-10) and the scope query (CM-4)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.testing import assert_problem, fields_of

from .conftest import PREFIX, SHANXI, TAIYUAN, YUNCHENG, YUNNAN, Service, active_committee, filing_body, plan_body

pytestmark = pytest.mark.service

CAL = WorkingDayCalendar()
MEETING = date(2024, 11, 15)


async def post_plan(svc: Service, committee_id: str, body: dict[str, Any]) -> Any:
    return await svc.client.post(
        f"{PREFIX}/{committee_id}/plans", json=body, headers=svc.headers(["committee_office"], SHANXI)
    )


async def test_CM_7_NA_14_a_notice_on_the_holiday_after_the_30th_working_day_before_is_refused(svc: Service) -> None:
    # Over the National Day holidays of 2024 (1–7 Oct off, Sat 12 Oct a make-up working day). Back
    # from Fri 15 Nov, its day not counted, the 30th working day is Mon 30 Sep: a notice on Mon
    # 7 Oct (a holiday) is only 29 ahead (8 Oct – 14 Nov), although 30 working days follow it.
    assert CAL.working_days_ahead(date(2024, 10, 7), MEETING) == 29
    committee_id = await active_committee(svc)
    before = await svc.count("plans")
    response = await post_plan(svc, committee_id, plan_body(notice_date="2024-10-07"))
    body = assert_problem(response, 409, "notice_too_late")
    assert body["rule"] == "CM-7"
    assert "notice_date" in fields_of(body)
    assert await svc.count("plans") == before


async def test_CM_7_a_notice_30_working_days_before_the_meeting_passes(svc: Service) -> None:
    assert CAL.working_days_ahead(date(2024, 9, 30), MEETING) == 30
    committee_id = await active_committee(svc)
    response = await post_plan(svc, committee_id, plan_body(notice_date="2024-09-30"))
    assert response.status_code == 201, response.text
    plan = response.json()
    assert plan["status"] == "draft"
    # CM-9: the post-meeting filing is due 15 working days after the meeting.
    assert plan["meetings"][0]["post_meeting_filing_due"] == CAL.deadline(MEETING, 15).isoformat()


async def test_CM_8_a_pre_meeting_filing_4_working_days_before_is_refused_and_5_passes(svc: Service) -> None:
    assert CAL.working_days_between(date(2024, 11, 11), MEETING) == 4
    assert CAL.working_days_between(date(2024, 11, 8), MEETING) == 5
    committee_id = await active_committee(svc)
    late = [{"meeting_date": MEETING.isoformat(), "pre_meeting_filing_date": "2024-11-11"}]
    body = assert_problem(
        await post_plan(svc, committee_id, plan_body(meetings=late)), 409, "pre_meeting_filing_too_late"
    )
    assert body["rule"] == "CM-8"
    assert "meetings.0.pre_meeting_filing_date" in fields_of(body)
    assert (await post_plan(svc, committee_id, plan_body())).status_code == 201


async def test_CM_6_a_meeting_after_the_packs_evaluation_deadline_is_refused(svc: Service) -> None:
    committee_id = await active_committee(svc)
    body = plan_body(
        notice_date="2024-10-08",
        meetings=[{"meeting_date": "2024-12-02", "pre_meeting_filing_date": "2024-11-22"}],
    )
    refused = assert_problem(await post_plan(svc, committee_id, body), 409, "evaluation_too_late")
    assert refused["rule"] == "CM-6"


async def test_CM_6_a_plan_crossing_years_is_refused_unless_an_exception_is_approved(svc: Service) -> None:
    committee_id = await active_committee(svc)
    crossing = plan_body(declaration_opens="2023-12-15")
    refused = assert_problem(await post_plan(svc, committee_id, crossing), 409, "plan_crosses_years")
    assert refused["rule"] == "CM-6"
    assert "declaration_opens" in fields_of(refused)
    excepted = {**crossing, "cross_year_exception": "晋人社厅函〔2023〕99号"}
    assert (await post_plan(svc, committee_id, excepted)).status_code == 201


async def test_plan_dates_in_the_wrong_order_are_a_problem_naming_the_field(svc: Service) -> None:
    committee_id = await active_committee(svc)
    before = await svc.count("plans")
    response = await post_plan(svc, committee_id, plan_body(declaration_closes="2024-07-31"))
    assert "declaration_closes" in fields_of(assert_problem(response, 422, "validation_failed"))
    swapped = [{"meeting_date": MEETING.isoformat(), "pre_meeting_filing_date": "2024-11-20"}]
    response = await post_plan(svc, committee_id, plan_body(meetings=swapped))
    assert "meetings.0.pre_meeting_filing_date" in fields_of(assert_problem(response, 422, "validation_failed"))
    assert await svc.count("plans") == before


async def test_CM_4_a_plan_for_a_level_the_committee_did_not_file_is_refused(svc: Service) -> None:
    committee_id = await active_committee(svc)
    body = assert_problem(
        await post_plan(svc, committee_id, plan_body(levels=["intermediate"])), 409, "level_outside_scope"
    )
    assert body["rule"] == "CM-4"


async def test_CM_5_publishing_a_plan_emits_plan_published_and_a_change_emits_plan_changed(svc: Service) -> None:
    committee_id = await active_committee(svc)
    plan = (await post_plan(svc, committee_id, plan_body())).json()
    office = svc.headers(["committee_office"], SHANXI)
    # Publishing is the HR department's approval.
    assert_problem(
        await svc.client.post(f"{PREFIX}/plans/{plan['id']}/publication", headers=office), 403, "role_required"
    )
    hr = svc.headers(["hr_admin"], SHANXI)
    response = await svc.client.post(f"{PREFIX}/plans/{plan['id']}/publication", headers=hr)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "published"
    published = await svc.events(plan["id"], "plan.published")
    assert len(published) == 1
    data = published[0]["data"]
    expected = {
        "plan_id": plan["id"],
        "committee_id": committee_id,
        "year": 2024,
        "series": "engineering",
        "levels": ["associate_senior", "senior"],
        "declaration_opens": "2024-08-01",
        "declaration_closes": "2024-08-31",
        "notice_date": "2024-09-30",
        "meeting_dates": ["2024-11-15"],
        "policy_pack": "shanxi-2024",
    }
    assert {k: data[k] for k in expected} == expected
    changed_body = plan_body(declaration_closes="2024-09-10")
    response = await svc.client.put(f"{PREFIX}/plans/{plan['id']}", json=changed_body, headers=office)
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    changed = await svc.events(plan["id"], "plan.changed")
    assert len(changed) == 1
    assert changed[0]["data"]["declaration_closes"] == "2024-09-10"
    # A change is checked again (CM-7).
    response = await svc.client.put(
        f"{PREFIX}/plans/{plan['id']}", json=plan_body(notice_date="2024-10-08"), headers=office
    )
    assert assert_problem(response, 409, "notice_too_late")["rule"] == "CM-7"


async def test_CM_9_overdue_post_meeting_filings_are_listed_for_the_hr_department(svc: Service) -> None:
    committee_id = await active_committee(svc)
    plan = (await post_plan(svc, committee_id, plan_body())).json()
    hr = svc.headers(["hr_admin"], SHANXI)
    await svc.client.post(f"{PREFIX}/plans/{plan['id']}/publication", headers=hr)
    due = date.fromisoformat(plan["meetings"][0]["post_meeting_filing_due"])
    # 15 working days after Fri 15 Nov 2024: 18–22 Nov, 25–29 Nov, 2–6 Dec → Fri 6 Dec.
    assert due == date(2024, 12, 6)
    meeting_id = plan["meetings"][0]["id"]
    svc.clock.set(datetime(due.year, due.month, due.day, 1, 0, tzinfo=UTC))
    listed = (await svc.client.get(f"{PREFIX}/meetings/overdue-post-filings", headers=hr)).json()
    assert meeting_id not in {m["meeting_id"] for m in listed["items"]}
    svc.clock.set(datetime(due.year, due.month, due.day + 1, 1, 0, tzinfo=UTC))
    listed = (await svc.client.get(f"{PREFIX}/meetings/overdue-post-filings", headers=hr)).json()
    assert meeting_id in {m["meeting_id"] for m in listed["items"]}
    # Not another province's list.
    other = (
        await svc.client.get(f"{PREFIX}/meetings/overdue-post-filings", headers=svc.headers(["hr_admin"], YUNNAN))
    ).json()
    assert meeting_id not in {m["meeting_id"] for m in other["items"]}
    response = await svc.client.post(
        f"{PREFIX}/meetings/{meeting_id}/post-meeting-filing",
        json={"paper_date": due.isoformat()},
        headers=svc.headers(["committee_office"], SHANXI),
    )
    assert response.status_code == 200, response.text
    # Filed on the server's day after the due day, whatever the paper says: late.
    assert response.json()["post_meeting_filed_on"] == "2024-12-07"
    assert response.json()["post_meeting_paper_date"] == "2024-12-06"
    assert response.json()["post_meeting_filing_late"] is True
    listed = (await svc.client.get(f"{PREFIX}/meetings/overdue-post-filings", headers=hr)).json()
    assert meeting_id not in {m["meeting_id"] for m in listed["items"]}


async def test_NA_13_CM_10_a_suspended_committee_cannot_plan_until_resumed_and_withdrawal_is_final(
    svc: Service,
) -> None:
    committee_id = await active_committee(svc)
    hr = svc.headers(["hr_admin"], SHANXI)
    for kind in ("reminder", "interview"):
        response = await svc.client.post(
            f"{PREFIX}/{committee_id}/sanctions", json={"kind": kind, "reason": "评审材料归档不及时"}, headers=hr
        )
        assert response.status_code == 201, response.text
    no_deadline = await svc.client.post(
        f"{PREFIX}/{committee_id}/sanctions", json={"kind": "suspension", "reason": "程序不完备"}, headers=hr
    )
    assert "rectification_deadline" in fields_of(assert_problem(no_deadline, 422, "validation_failed"))
    response = await svc.client.post(
        f"{PREFIX}/{committee_id}/sanctions",
        json={"kind": "suspension", "reason": "评审程序不完备", "rectification_deadline": "2024-06-30"},
        headers=hr,
    )
    assert response.status_code == 201, response.text
    assert response.json()["decided_by"] == "hr_admin-140000"
    assert response.json()["decided_on"] == "2024-03-01"
    refused = assert_problem(await post_plan(svc, committee_id, plan_body()), 409, "committee_suspended")
    assert refused["rule"] == "CM-10"
    assert len(await svc.events(committee_id, "committee.suspended")) == 1
    response = await svc.client.post(f"{PREFIX}/{committee_id}/resumption", json={"reason": "整改到位"}, headers=hr)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "active"
    assert len(await svc.events(committee_id, "committee.resumed")) == 1
    assert (await post_plan(svc, committee_id, plan_body())).status_code == 201
    response = await svc.client.post(
        f"{PREFIX}/{committee_id}/sanctions",
        json={"kind": "power_withdrawal", "reason": "违规评审情节严重"},
        headers=hr,
    )
    assert response.status_code == 201, response.text
    assert len(await svc.events(committee_id, "committee.power_withdrawn")) == 1
    assert len(await svc.events(committee_id, "committee.sanctioned")) == 4
    sanctions = (await svc.client.get(f"{PREFIX}/{committee_id}/sanctions", headers=hr)).json()
    assert [s["kind"] for s in sanctions] == ["reminder", "interview", "suspension", "power_withdrawal"]
    again = await svc.client.post(
        f"{PREFIX}/{committee_id}/sanctions", json={"kind": "reminder", "reason": "再次提醒"}, headers=hr
    )
    assert assert_problem(again, 409, "not_sanctionable")["rule"] == "NA-13"


async def test_CM_3_a_city_hr_user_cannot_sanction_a_senior_committee_of_the_city(svc: Service) -> None:
    body = filing_body(region=TAIYUAN, scope_regions=[TAIYUAN])
    committee_id = await active_committee(svc, body, approver=SHANXI)
    response = await svc.client.post(
        f"{PREFIX}/{committee_id}/sanctions",
        json={"kind": "reminder", "reason": "提醒"},
        headers=svc.headers(["hr_admin"], TAIYUAN),
    )
    assert_problem(response, 403, "approval_authority_required")


async def test_CM_4_the_scope_query_finds_only_active_committees_covering_the_applicant(svc: Service) -> None:
    specialty = "mining"
    private_only = filing_body(
        formation_basis="per_specialty",
        specialties=[specialty],
        member_count=11,
        scope_regions=[YUNCHENG],
        scope_ownership_kinds=["private_enterprise"],
    )
    committee_id = await active_committee(svc, private_only)
    anyone = svc.headers(["applicant"], "140802")

    async def found(**params: str) -> bool:
        query = {"series": "engineering", "level": "associate_senior", "region": "140802", "specialty": specialty}
        query.update(params)
        response = await svc.client.get(f"{PREFIX}/scope", params=query, headers=anyone)
        assert response.status_code == 200, response.text
        return committee_id in {c["committee_id"] for c in response.json()["items"]}

    assert await found(ownership_kind="private_enterprise")
    assert not await found(ownership_kind="public_institution")
    assert not await found(region="140105")  # Taiyuan: outside the filed regions
    assert not await found(level="intermediate")
    assert not await found(specialty="electrical")
    assert not await found(series="agriculture")
    # A suspended committee evaluates no one.
    await svc.client.post(
        f"{PREFIX}/{committee_id}/sanctions",
        json={"kind": "suspension", "reason": "程序不完备", "rectification_deadline": "2024-06-30"},
        headers=svc.headers(["hr_admin"], SHANXI),
    )
    assert not await found(ownership_kind="private_enterprise")


FULL_MEETING_FILE = [
    "post_meeting_filing_report",
    "results_publicity",
    "expert_draw_list",
    "sign_in_sheet",
    "expert_review_forms",
    "results_confirmation",
    "passed_list",
    "photos",
]


async def test_CM_11_results_entry_needs_the_whole_meeting_file_and_is_late_after_5_working_days(svc: Service) -> None:
    committee_id = await active_committee(svc)
    meetings = [
        {"meeting_date": "2024-11-15", "pre_meeting_filing_date": "2024-11-08"},
        {"meeting_date": "2024-11-20", "pre_meeting_filing_date": "2024-11-13"},
    ]
    plan = (await post_plan(svc, committee_id, plan_body(meetings=meetings))).json()
    first, second = (m["id"] for m in plan["meetings"])
    office = svc.headers(["committee_office"], SHANXI)
    entry = {"appointment_document_date": "2024-12-02", "meeting_file": FULL_MEETING_FILE}
    # Due 5 working days after the appointment document: Mon 2 Dec → 3, 4, 5, 6, 9 Dec → Mon 9 Dec.
    svc.clock.set(datetime(2024, 12, 9, 1, 0, tzinfo=UTC))
    incomplete = {**entry, "meeting_file": FULL_MEETING_FILE[:-1]}
    response = await svc.client.post(f"{PREFIX}/meetings/{first}/results-entry", json=incomplete, headers=office)
    body = assert_problem(response, 409, "meeting_file_incomplete")
    assert body["rule"] == "CM-11"
    assert "meeting_file" in fields_of(body)
    response = await svc.client.post(f"{PREFIX}/meetings/{first}/results-entry", json=entry, headers=office)
    assert response.status_code == 200, response.text
    assert response.json()["results_entry_due"] == "2024-12-09"
    assert response.json()["results_entered_on"] == "2024-12-09"
    assert response.json()["results_entry_late"] is False
    svc.clock.set(datetime(2024, 12, 10, 1, 0, tzinfo=UTC))
    response = await svc.client.post(f"{PREFIX}/meetings/{second}/results-entry", json=entry, headers=office)
    assert response.status_code == 200, response.text
    assert response.json()["results_entry_late"] is True
    again = await svc.client.post(f"{PREFIX}/meetings/{second}/results-entry", json=entry, headers=office)
    assert_problem(again, 409, "results_already_entered")


async def test_CM_11_a_late_results_entry_cannot_be_back_dated(svc: Service) -> None:
    """Issue 12: the entry is dated by the server; a typed entry day is refused; 20 Dec is past the 9 Dec due day."""
    committee_id = await active_committee(svc)
    meeting_id = (await post_plan(svc, committee_id, plan_body())).json()["meetings"][0]["id"]
    office = svc.headers(["committee_office"], SHANXI)
    svc.clock.set(datetime(2024, 12, 20, 1, 0, tzinfo=UTC))  # Fri 20 Dec: 14 working days after Mon 2 Dec
    typed = {"appointment_document_date": "2024-12-02", "entered_on": "2024-12-09", "meeting_file": FULL_MEETING_FILE}
    response = await svc.client.post(f"{PREFIX}/meetings/{meeting_id}/results-entry", json=typed, headers=office)
    assert "entered_on" in fields_of(assert_problem(response, 422, "validation_failed"))
    future = {"appointment_document_date": "2024-12-23", "meeting_file": FULL_MEETING_FILE}
    response = await svc.client.post(f"{PREFIX}/meetings/{meeting_id}/results-entry", json=future, headers=office)
    assert "appointment_document_date" in fields_of(assert_problem(response, 422, "validation_failed"))
    entry = {"appointment_document_date": "2024-12-02", "meeting_file": FULL_MEETING_FILE}
    response = await svc.client.post(f"{PREFIX}/meetings/{meeting_id}/results-entry", json=entry, headers=office)
    assert response.status_code == 200, response.text
    assert (response.json()["results_entered_on"], response.json()["results_entry_late"]) == ("2024-12-20", True)


async def test_CM_9_a_late_post_meeting_filing_cannot_be_back_dated_nor_made_before_the_meeting(svc: Service) -> None:
    """Issue 12: CM-9 counts the server's day; meeting Fri 15 Nov 2024, due Fri 6 Dec (hand count above)."""
    committee_id = await active_committee(svc)
    plan = (await post_plan(svc, committee_id, plan_body())).json()
    await svc.client.post(f"{PREFIX}/plans/{plan['id']}/publication", headers=svc.headers(["hr_admin"], SHANXI))
    meeting_id = plan["meetings"][0]["id"]
    office = svc.headers(["committee_office"], SHANXI)
    url = f"{PREFIX}/meetings/{meeting_id}/post-meeting-filing"
    svc.clock.set(datetime(2024, 11, 14, 1, 0, tzinfo=UTC))
    assert_problem(await svc.client.post(url, json={}, headers=office), 409, "meeting_not_held")
    typed = await svc.client.post(url, json={"filed_on": "2024-12-06"}, headers=office)
    assert "filed_on" in fields_of(assert_problem(typed, 422, "validation_failed"))
    svc.clock.set(datetime(2024, 12, 9, 1, 0, tzinfo=UTC))  # Mon 9 Dec: the 16th working day
    response = await svc.client.post(url, json={"paper_date": "2024-12-06"}, headers=office)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["post_meeting_filed_on"], body["post_meeting_paper_date"]) == ("2024-12-09", "2024-12-06")
    assert body["post_meeting_filing_late"] is True


async def test_CM_7_is_checked_on_the_day_the_plan_is_published_not_the_planned_notice_day(svc: Service) -> None:
    """Issue 12: planned notice 2 Sep is early enough, but publishing on Tue 8 Oct is late.

    NA-14, counted back from Fri 15 Nov 2024 (not counted): 11–14 Nov (4), 4–8 Nov (9), 1 Nov (10),
    28–31 Oct (14), 21–25 Oct (19), 14–18 Oct (24), Sat 12 Oct make-up (25), 8–11 Oct (29), 1–7 Oct
    National Day holidays, Mon 30 Sep (30): publishing on 30 Sep is on time, on 8 Oct is not.
    """
    committee_id = await active_committee(svc)
    plan = (await post_plan(svc, committee_id, plan_body(notice_date="2024-09-02"))).json()
    hr = svc.headers(["hr_admin"], SHANXI)
    publication = f"{PREFIX}/plans/{plan['id']}/publication"
    svc.clock.set(datetime(2024, 10, 8, 1, 0, tzinfo=UTC))
    body = assert_problem(await svc.client.post(publication, headers=hr), 409, "notice_too_late")
    assert body["rule"] == "CM-7"
    assert await svc.events(plan["id"], "plan.published") == []
    svc.clock.set(datetime(2024, 9, 30, 1, 0, tzinfo=UTC))
    response = await svc.client.post(publication, headers=hr)
    assert response.status_code == 200, response.text


async def test_CM_7_a_published_plan_cannot_move_a_meeting_closer_than_30_working_days_after_publication(
    svc: Service,
) -> None:
    """Issue 12: published Mon 30 Sep 2024 (NA-14, counted back from the meeting, its day not counted).

    The 30th working day before Thu 14 Nov is Sun 29 Sep (a make-up working day): 30 Sep is too late.
    The 30th working day before Mon 18 Nov is Tue 8 Oct: 30 Sep is early enough.
    """
    committee_id = await active_committee(svc)
    plan = (await post_plan(svc, committee_id, plan_body(notice_date="2024-09-02"))).json()
    svc.clock.set(datetime(2024, 9, 30, 1, 0, tzinfo=UTC))
    hr, office = svc.headers(["hr_admin"], SHANXI), svc.headers(["committee_office"], SHANXI)
    assert (await svc.client.post(f"{PREFIX}/plans/{plan['id']}/publication", headers=hr)).status_code == 200
    svc.clock.set(datetime(2024, 10, 9, 1, 0, tzinfo=UTC))
    closer = plan_body(
        notice_date="2024-09-02", meetings=[{"meeting_date": "2024-11-14", "pre_meeting_filing_date": "2024-11-07"}]
    )
    response = await svc.client.put(f"{PREFIX}/plans/{plan['id']}", json=closer, headers=office)
    body = assert_problem(response, 409, "notice_too_late")
    assert body["rule"] == "CM-7"
    assert "meetings.0.meeting_date" in fields_of(body)
    assert await svc.events(plan["id"], "plan.changed") == []
    later = plan_body(
        notice_date="2024-09-02", meetings=[{"meeting_date": "2024-11-18", "pre_meeting_filing_date": "2024-11-11"}]
    )
    response = await svc.client.put(f"{PREFIX}/plans/{plan['id']}", json=later, headers=office)
    assert response.status_code == 200, response.text
    assert len(await svc.events(plan["id"], "plan.changed")) == 1


async def test_CM_9_the_scheduler_notes_an_overdue_post_meeting_filing_once(svc: Service) -> None:
    committee_id = await active_committee(svc)
    plan = (await post_plan(svc, committee_id, plan_body())).json()
    await svc.client.post(f"{PREFIX}/plans/{plan['id']}/publication", headers=svc.headers(["hr_admin"], SHANXI))
    svc.clock.set(datetime(2024, 12, 20, 1, 0, tzinfo=UTC))
    scheduler = svc.app.state.runtime.scheduler
    first = await scheduler.run_once()
    assert first["committees.post_meeting_overdue"] >= 1
    second = await scheduler.run_once()
    assert second["committees.post_meeting_overdue"] == 0


async def test_CM_10_a_refiling_pending_when_power_is_withdrawn_cannot_be_approved(svc: Service) -> None:
    committee_id = await active_committee(svc)
    response = await svc.client.post(
        f"{PREFIX}/{committee_id}/filings",
        json=filing_body(reason="scope_change", scope_regions=[SHANXI, "140800"]),
        headers=svc.headers(["committee_office"], SHANXI),
    )
    refiling = response.json()
    hr = svc.headers(["hr_admin"], SHANXI)
    await svc.client.post(
        f"{PREFIX}/{committee_id}/sanctions", json={"kind": "power_withdrawal", "reason": "违规评审"}, headers=hr
    )
    response = await svc.client.post(
        f"{PREFIX}/filings/{refiling['id']}/decision", json={"approve": True, "opinion": "同意"}, headers=hr
    )
    assert assert_problem(response, 409, "committee_withdrawn")["rule"] == "CM-10"
    assert (await svc.client.get(f"{PREFIX}/{committee_id}", headers=hr)).json()["status"] == "withdrawn"


async def test_CM_5_a_city_hr_user_cannot_publish_the_plan_of_a_senior_committee_of_the_city(svc: Service) -> None:
    body = filing_body(region=TAIYUAN, scope_regions=[TAIYUAN])
    committee_id = await active_committee(svc, body, approver=SHANXI)
    plan = await svc.client.post(
        f"{PREFIX}/{committee_id}/plans", json=plan_body(), headers=svc.headers(["committee_office"], TAIYUAN)
    )
    assert plan.status_code == 201, plan.text
    response = await svc.client.post(
        f"{PREFIX}/plans/{plan.json()['id']}/publication", headers=svc.headers(["hr_admin"], TAIYUAN)
    )
    assert assert_problem(response, 403, "approval_authority_required")["rule"] == "CM-3"
    response = await svc.client.post(
        f"{PREFIX}/plans/{plan.json()['id']}/publication", headers=svc.headers(["hr_admin"], SHANXI)
    )
    assert response.status_code == 200, response.text
