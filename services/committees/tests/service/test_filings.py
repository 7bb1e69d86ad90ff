"""Filing and approval (CM-1, CM-3, NA-1), re-filing (CM-2), expiry, jurisdiction, bad input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from zhicheng_common.testing import assert_problem, fields_of

from .conftest import KUNMING, PREFIX, SHANXI, TAIYUAN, YUNNAN, Service, active_committee, apply, decide, filing_body

pytestmark = pytest.mark.service

CONTRACT_FIELDS = {
    "committee_id",
    "name",
    "kind",
    "formation_basis",
    "series",
    "specialties",
    "levels",
    "scope_regions",
    "scope_ownership_kinds",
    "policy_pack",
    "valid_from",
    "valid_until",
}


async def test_CM_1_a_filing_applied_and_approved_by_provincial_hr_makes_an_active_committee(svc: Service) -> None:
    filing = await apply(svc)
    assert filing["status"] == "pending"
    assert filing["organizer_credit_code"] == "911401********0A0N"  # masked
    response = await decide(svc, filing["id"])
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "approved"
    committee = (
        await svc.client.get(f"{PREFIX}/{filing['committee_id']}", headers=svc.headers(["hr_admin"], SHANXI))
    ).json()
    assert committee["status"] == "active"
    # CM-2, NA-1, NA-14: approved on 1 March 2024 (the event, not counted), in force for the pack's
    # three years through the corresponding day, 1 March 2027, last day included.
    assert committee["valid_from"] == "2024-03-01"
    assert committee["valid_until"] == "2027-03-01"
    applied = await svc.events(filing["committee_id"], "committee.applied")
    approved = await svc.events(filing["committee_id"], "committee.approved")
    assert len(applied) == 1
    assert len(approved) == 1
    assert approved[0]["data"].keys() >= CONTRACT_FIELDS
    assert approved[0]["data"]["levels"] == ["associate_senior", "senior"]
    assert approved[0]["region"] == SHANXI
    # The journal holds who applied, who approved under which rules, and who read the record.
    journal = await svc.journal(filing["id"])
    assert [(a, who) for a, who, _ in journal] == [
        ("committee.filing.applied", "committee_office-140000"),
        ("committee.filing.approved", "hr_admin-140000"),
    ]
    assert "CM-3" in journal[1][2]
    assert ("committee.read", "hr_admin-140000", []) in await svc.journal(filing["committee_id"])


async def test_CM_1_a_rejected_filing_keeps_the_opinion_and_emits_rejected(svc: Service) -> None:
    filing = await apply(svc)
    response = await decide(svc, filing["id"], approve=False)
    assert response.status_code == 200, response.text
    assert response.json()["opinion"] == "材料不全，不予核准"
    committee = (
        await svc.client.get(f"{PREFIX}/{filing['committee_id']}", headers=svc.headers(["hr_admin"], SHANXI))
    ).json()
    assert committee["status"] == "rejected"
    assert len(await svc.events(filing["committee_id"], "committee.rejected")) == 1
    again = await decide(svc, filing["id"])
    assert_problem(again, 409, "filing_already_decided")


async def test_NA_1_an_even_member_count_is_refused_and_nothing_is_stored(svc: Service) -> None:
    before = await svc.count("filings")
    response = await svc.client.post(
        f"{PREFIX}/filings", json=filing_body(member_count=26), headers=svc.headers(["committee_office"], SHANXI)
    )
    body = assert_problem(response, 409, "members_not_odd")
    assert body["rule"] == "NA-1"
    assert "member_count" in fields_of(body)
    assert await svc.count("filings") == before


async def test_NA_1_a_senior_per_series_committee_of_24_is_refused_and_25_passes(svc: Service) -> None:
    response = await svc.client.post(
        f"{PREFIX}/filings", json=filing_body(member_count=23), headers=svc.headers(["committee_office"], SHANXI)
    )
    body = assert_problem(response, 409, "too_few_members")
    assert body["rule"] == "NA-1"
    # 24 is both even and below 25: both refusals are listed, each naming the field.
    response = await svc.client.post(
        f"{PREFIX}/filings", json=filing_body(member_count=24), headers=svc.headers(["committee_office"], SHANXI)
    )
    body = assert_problem(response, 409, "members_not_odd")
    assert {e["code"] for e in body["errors"]} == {"members_not_odd", "too_few_members"}
    assert {e["rule"] for e in body["errors"]} == {"NA-1"}
    await apply(svc, filing_body(member_count=25))


async def test_NA_1_a_senior_per_specialty_committee_needs_11_members_and_a_specialty(svc: Service) -> None:
    headers = svc.headers(["committee_office"], SHANXI)
    per_specialty = {"formation_basis": "per_specialty", "specialties": ["electrical"]}
    response = await svc.client.post(
        f"{PREFIX}/filings", json=filing_body(member_count=9, **per_specialty), headers=headers
    )
    assert assert_problem(response, 409, "too_few_members")["rule"] == "NA-1"
    response = await svc.client.post(
        f"{PREFIX}/filings",
        json=filing_body(member_count=11, formation_basis="per_specialty", specialties=[]),
        headers=headers,
    )
    assert assert_problem(response, 409, "specialty_required")["rule"] == "NA-1"
    await apply(svc, filing_body(member_count=11, **per_specialty))


async def test_CM_3_enterprise_self_evaluation_is_refused_at_senior_level(svc: Service) -> None:
    response = await svc.client.post(
        f"{PREFIX}/filings",
        json=filing_body(kind="enterprise_self_evaluation"),
        headers=svc.headers(["committee_office"], SHANXI),
    )
    body = assert_problem(response, 409, "self_evaluation_level")
    assert body["rule"] == "CM-3"
    await apply(svc, filing_body(kind="enterprise_self_evaluation", levels=["intermediate"], member_count=15))


async def test_CM_3_a_city_hr_user_cannot_approve_a_senior_committee(svc: Service) -> None:
    filing = await apply(svc, filing_body(region=TAIYUAN, scope_regions=[TAIYUAN]), region=TAIYUAN)
    response = await decide(svc, filing["id"], region=TAIYUAN)
    body = assert_problem(response, 403, "approval_authority_required")
    assert body["rule"] == "CM-3"
    assert (
        await svc.client.get(f"{PREFIX}/filings/{filing['id']}", headers=svc.headers(["hr_admin"], TAIYUAN))
    ).json()["status"] == "pending"
    # The provincial HR department may.
    assert (await decide(svc, filing["id"], region=SHANXI)).status_code == 200


async def test_CM_3_a_city_hr_user_approves_an_intermediate_committee_of_the_city(svc: Service) -> None:
    body = filing_body(region=TAIYUAN, scope_regions=[TAIYUAN], levels=["intermediate"], member_count=15)
    filing = await apply(svc, body, region=TAIYUAN)
    response = await decide(svc, filing["id"], region=TAIYUAN)
    assert response.status_code == 200, response.text


async def test_CM_3_the_provincial_industry_department_approves_an_intermediate_committee(svc: Service) -> None:
    body = filing_body(region=TAIYUAN, scope_regions=[TAIYUAN], levels=["intermediate"], member_count=15)
    filing = await apply(svc, body, region=TAIYUAN)
    response = await decide(svc, filing["id"], roles=["industry_admin"])
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "approved"


async def test_CM_3_the_provincial_industry_department_cannot_approve_a_senior_committee(svc: Service) -> None:
    filing = await apply(svc)
    response = await decide(svc, filing["id"], roles=["industry_admin"])
    assert_problem(response, 403, "approval_authority_required")
    listed = await svc.client.get(f"{PREFIX}/filings/{filing['id']}", headers=svc.headers(["industry_admin"], SHANXI))
    assert listed.json()["status"] == "pending"


async def test_CM_1_a_city_hr_user_cannot_see_another_provinces_filings(svc: Service) -> None:
    filing = await apply(svc)
    yunnan = svc.headers(["hr_admin"], KUNMING)
    response = await svc.client.get(f"{PREFIX}/{filing['committee_id']}", headers=yunnan)
    assert_problem(response, 403, "outside_jurisdiction")
    response = await svc.client.get(f"{PREFIX}/filings/{filing['id']}", headers=yunnan)
    assert_problem(response, 403, "outside_jurisdiction")
    response = await svc.client.get(f"{PREFIX}/filings", params={"region": SHANXI}, headers=yunnan)
    assert_problem(response, 403, "outside_jurisdiction")
    listed = (await svc.client.get(f"{PREFIX}/filings", params={"limit": 200}, headers=yunnan)).json()
    assert all(item["region"].startswith("5301") for item in listed["items"])
    # Nor decide it, nor may the other province's HR department.
    assert_problem(await decide(svc, filing["id"], region=KUNMING), 403, "outside_jurisdiction")
    assert_problem(await decide(svc, filing["id"], region=YUNNAN), 403, "outside_jurisdiction")


async def test_an_applicant_cannot_file_or_approve(svc: Service) -> None:
    response = await svc.client.post(
        f"{PREFIX}/filings", json=filing_body(), headers=svc.headers(["applicant"], SHANXI)
    )
    assert_problem(response, 403, "role_required")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"series": "alchemy"}, "series"),
        ({"levels": ["grandmaster"]}, "levels.0"),
        ({"organizer_credit_code": "91140100MA0K0A0A0U"}, "organizer_credit_code"),
        ({"scope_regions": ["999999"]}, "scope_regions.0"),
        ({"specialties": ["underwater_basket_weaving"]}, "specialties"),
        ({"policy_pack": "atlantis-2024"}, "policy_pack"),
    ],
)
async def test_bad_input_is_a_problem_naming_the_field_and_nothing_is_stored(
    svc: Service, overrides: dict[str, object], field: str
) -> None:
    before = (await svc.count("committees"), await svc.count("filings"), await svc.count("outbox"))
    response = await svc.client.post(
        f"{PREFIX}/filings", json=filing_body(**overrides), headers=svc.headers(["committee_office"], SHANXI)
    )
    body = assert_problem(response, 422, "validation_failed")
    assert field in fields_of(body), body
    assert (await svc.count("committees"), await svc.count("filings"), await svc.count("outbox")) == before


async def test_CM_2_a_refiling_replaces_the_filing_and_keeps_the_old_one_in_history(svc: Service) -> None:
    committee_id = await active_committee(svc)
    office = svc.headers(["committee_office"], SHANXI)
    renamed = filing_body(name="山西省工程技术正高级职称评审委员会", reason="rename")
    response = await svc.client.post(f"{PREFIX}/{committee_id}/filings", json=renamed, headers=office)
    assert response.status_code == 201, response.text
    refiling = response.json()
    assert refiling["sequence"] == 2
    # One pending re-filing at a time.
    again = await svc.client.post(f"{PREFIX}/{committee_id}/filings", json=renamed, headers=office)
    assert_problem(again, 409, "filing_pending")
    assert (await decide(svc, refiling["id"])).status_code == 200
    history = (await svc.client.get(f"{PREFIX}/{committee_id}/filings", headers=office)).json()
    assert [(f["sequence"], f["status"]) for f in history] == [(1, "superseded"), (2, "approved")]
    committee = (await svc.client.get(f"{PREFIX}/{committee_id}", headers=office)).json()
    assert committee["filing"]["name"] == "山西省工程技术正高级职称评审委员会"
    refiled = await svc.events(committee_id, "committee.refiled")
    assert len(refiled) == 1
    assert refiled[0]["data"].keys() >= CONTRACT_FIELDS
    assert refiled[0]["data"]["reason"] == "rename"


async def test_CM_2_a_refiling_needs_a_reason_other_than_new(svc: Service) -> None:
    committee_id = await active_committee(svc)
    response = await svc.client.post(
        f"{PREFIX}/{committee_id}/filings",
        json=filing_body(reason="new"),
        headers=svc.headers(["committee_office"], SHANXI),
    )
    assert assert_problem(response, 409, "refiling_reason_required")["rule"] == "CM-2"


async def test_CM_2_moving_the_clock_past_the_validity_end_expires_the_committee_once(svc: Service) -> None:
    committee_id = await active_committee(svc)
    scheduler = svc.app.state.runtime.scheduler
    # NA-14: approved 1 March 2024, so the last valid day is 1 March 2027 (Beijing): still active.
    svc.clock.set(datetime(2027, 3, 1, 15, 0, tzinfo=UTC))  # 23:00 in Beijing
    await scheduler.run_once()
    headers = svc.headers(["hr_admin"], SHANXI)
    assert (await svc.client.get(f"{PREFIX}/{committee_id}", headers=headers)).json()["status"] == "active"
    svc.clock.set(datetime(2027, 3, 1, 16, 0, tzinfo=UTC))  # 00:00 on 2 March in Beijing
    await scheduler.run_once()
    await scheduler.run_once()
    assert (await svc.client.get(f"{PREFIX}/{committee_id}", headers=headers)).json()["status"] == "expired"
    expired = await svc.events(committee_id, "committee.expired")
    assert len(expired) == 1
    assert expired[0]["data"]["committee_id"] == committee_id
    assert expired[0]["data"]["valid_until"] == "2027-03-01"
    # An expired committee re-files (CM-2) and is active again once approved.
    response = await svc.client.post(
        f"{PREFIX}/{committee_id}/filings",
        json=filing_body(reason="expiry"),
        headers=svc.headers(["committee_office"], SHANXI),
    )
    assert response.status_code == 201, response.text
    assert (await decide(svc, response.json()["id"])).status_code == 200
    committee = (await svc.client.get(f"{PREFIX}/{committee_id}", headers=headers)).json()
    assert committee["status"] == "active"
    assert committee["valid_until"] == "2030-03-02"  # approved again on 2 March 2027


async def test_lists_filings_by_status_and_committees_expiring_within_n_days(svc: Service) -> None:
    pending = await apply(svc)
    committee_id = await active_committee(svc)
    headers = svc.headers(["hr_admin"], SHANXI)
    listed = (
        await svc.client.get(f"{PREFIX}/filings", params={"status": "pending", "limit": 200}, headers=headers)
    ).json()
    ids = {f["id"] for f in listed["items"]}
    assert pending["id"] in ids
    assert all(f["status"] == "pending" for f in listed["items"])
    svc.clock.set(datetime(2027, 1, 1, 1, 0, tzinfo=UTC))
    soon = (
        await svc.client.get(f"{PREFIX}", params={"expiring_within_days": 60, "limit": 200}, headers=headers)
    ).json()
    assert committee_id in {c["id"] for c in soon["items"]}
    later = (
        await svc.client.get(f"{PREFIX}", params={"expiring_within_days": 30, "limit": 200}, headers=headers)
    ).json()
    assert committee_id not in {c["id"] for c in later["items"]}
