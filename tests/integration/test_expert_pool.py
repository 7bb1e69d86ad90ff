"""Across services, over the gateway: the committee office keeps the expert pool and files it for
a committee that committees approved (the experts service learnt of it from committees' own
event); an expert-misconduct record decided by HR takes expert status away within a second, from
the experts service's projection of integrity's event (NA-13); the pool is not for other roles.
A bar on expert draws (not a disqualification) leaves the expert out of the meeting's next draw
within a second, and the evidence pack the office reads names the reason and its rule id."""

from __future__ import annotations

import time
import uuid
from datetime import date
from typing import Any

import httpx
import pytest

from services.intake.tests.builders import resident_id

from .committees_api import login, open_senior_engineering_committee

pytestmark = pytest.mark.integration

GATEWAY = "http://127.0.0.1:8000"
EXPERTS = f"{GATEWAY}/api/v1/experts"
PASSWORD = "Experts-2026-long"
CREDIT_CODE = "12140000405201379W"


def wait_for(predicate: Any, *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")


def _user(system: Any, admin: dict[str, str], role: str, region: str) -> dict[str, str]:
    username = f"{role}.{uuid.uuid4().hex[:8]}"
    system.create_user(admin, username=username, password=PASSWORD, roles=[role], region=region, name=role)
    return login(username, PASSWORD)


def _expert(number: str) -> dict[str, Any]:
    return {
        "name": "王建国",
        "resident_id": number,
        "unit_name": "山西省电力勘测设计院",
        "unit_credit_code": CREDIT_CODE,
        "ownership_kind": "public_institution",
        "series": "engineering",
        "specialties": ["electrical"],
        "rank_held": "senior",
        "region": "140100",
        "terms": [{"starts_on": "2025-01-01", "ends_on": "2027-12-31"}],
    }


async def test_NA_13_the_pool_over_the_gateway_and_an_integrity_record_disqualifying_within_a_second(
    system: Any,
) -> None:
    admin = system.admin_headers()
    committee_id, _ = open_senior_engineering_committee(system, admin)
    office = _user(system, admin, "committee_office", "140000")
    hr = _user(system, admin, "hr_admin", "140000")
    auditor = _user(system, admin, "auditor", "140000")
    applicant = _user(system, admin, "applicant", "140100")

    numbers = [resident_id(date(1970 + i, 1, 1), 100 + i) for i in range(3)]
    ids = []
    for number in numbers:
        created = httpx.post(f"{EXPERTS}/experts", json=_expert(number), headers=office)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    assert httpx.get(f"{EXPERTS}/experts", headers=applicant).json()["code"] == "role_required"

    assert _file_pool(office, committee_id, ids).json()["member_count"] == 3

    system.decide_integrity_record(
        hr,
        person=numbers[0],
        name="王建国",
        kind="expert_misconduct",
        facts="评审中违反回避规定",
        effects={"bar_expert_draws": True},
    )
    started = time.monotonic()

    def disqualified() -> bool:
        return bool(httpx.get(f"{EXPERTS}/experts/{ids[0]}", headers=auditor).json()["status"] == "disqualified")

    wait_for(disqualified, timeout=1.0, what="the expert disqualified in the experts service")
    assert time.monotonic() - started <= 1.0
    assert httpx.get(f"{EXPERTS}/experts/{ids[1]}", headers=auditor).json()["status"] == "active"


def _file_pool(office: dict[str, str], committee_id: str, ids: list[str]) -> httpx.Response:
    def filed() -> httpx.Response | None:
        response = httpx.post(
            f"{EXPERTS}/pools",
            json={
                "committee_id": committee_id,
                "valid_from": "2026-01-01",
                "valid_until": "2028-12-31",
                "expert_ids": ids,
            },
            headers=office,
        )
        return response if response.status_code == 201 else None

    filing: httpx.Response = wait_for(filed, timeout=15, what="the committee's approval reaching the experts service")
    return filing


async def test_NA_13_EX_1_a_bar_on_expert_draws_leaves_the_expert_out_of_the_next_draw_within_a_second(
    system: Any,
) -> None:
    admin = system.admin_headers()
    committee_id, _ = open_senior_engineering_committee(system, admin)
    suffix = uuid.uuid4().hex[:8]
    office_user = system.create_user(
        admin,
        username=f"office.{suffix}",
        password=PASSWORD,
        roles=["committee_office"],
        region="140000",
        name="办公室",
    )
    system.bind_user(admin, office_user, committees=[committee_id])  # the office acts for its committee (issue 12)
    office = login(f"office.{suffix}", PASSWORD)
    hr = _user(system, admin, "hr_admin", "140000")
    supervisor = _user(system, admin, "supervisor", "140000")

    # 27 experts (others than the first test's): a panel of 25 with 1 alternate leaves room for one barred.
    numbers = [resident_id(date(1962, 1 + i // 28, 1 + i % 28), 300 + i) for i in range(27)]
    ids = []
    for number in numbers:
        created = httpx.post(f"{EXPERTS}/experts", json=_expert(number), headers=office)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    assert _file_pool(office, committee_id, ids).json()["member_count"] == 27

    # The meeting of the committee's plan is opened by its pre-meeting filing (CM-8) in committees.
    plans = httpx.get(f"{GATEWAY}/api/v1/committees/{committee_id}/plans", headers=office)
    assert plans.status_code == 200, plans.text
    meeting_id = plans.json()[0]["meetings"][0]["id"]
    pre_filed = httpx.post(
        f"{GATEWAY}/api/v1/committees/meetings/{meeting_id}/pre-meeting-filing",
        json={"applicant_count": 1},
        headers=office,
    )
    assert pre_filed.status_code == 200, pre_filed.text
    draws = f"{EXPERTS}/committees/{committee_id}/meetings/{meeting_id}/draws"
    body: dict[str, Any] = {"size": 25, "quotas": [{"specialty": "electrical", "members": 25, "alternates": 1}]}

    def first_draw() -> httpx.Response | None:
        response = httpx.post(draws, json=body, headers=office)
        return response if response.status_code == 201 else None

    first = wait_for(first_draw, timeout=15, what="the pre-filed meeting reaching the experts service").json()
    assert (first["eligible_count"], first["excluded_count"]) == (27, 0)

    system.decide_integrity_record(
        hr,
        person=numbers[0],
        name="王建国",
        kind="falsified_materials",
        facts="申报评审专家时提供虚假业绩材料",
        effects={"bar_expert_draws": True},
    )
    # The next draw, asked one second after the record was decided, already leaves the expert out.
    time.sleep(1.0)
    again = httpx.post(draws, json={**body, "reason": "诚信记录公布后重新抽取"}, headers=office)
    assert again.status_code == 201, again.text
    assert (again.json()["eligible_count"], again.json()["excluded_count"]) == (26, 1)
    # A bar on draws is not a disqualification: the expert stays active in the pool.
    assert httpx.get(f"{EXPERTS}/experts/{ids[0]}", headers=office).json()["status"] == "active"

    draw_id = again.json()["draw_id"]
    seeded = httpx.post(
        f"{EXPERTS}/draws/{draw_id}/seed", json={"external_seed": "2026-12-02 04 09 15 22 30"}, headers=supervisor
    )
    assert seeded.status_code == 200, seeded.text
    (lot,) = seeded.json()["lots"]
    assert ids[0] not in {*lot["members"], *lot["alternates"]}
    assert set(lot["members"]) | set(lot["alternates"]) == set(ids[1:])

    pack = httpx.get(f"{EXPERTS}/draws/{draw_id}/evidence", headers=office)
    assert pack.status_code == 200, pack.text
    exclusions = pack.json()["audit"]["exclusions"]
    assert [(e["expert_id"], [(r["code"], r["rule"]) for r in e["reasons"]]) for e in exclusions] == [
        (ids[0], [("integrity_bar", "NA-13")])
    ]
    assert ids[0] not in {c["id"] for c in pack.json()["snapshot"]["eligible"]}
