"""Across services, over the gateway: the committee office keeps the expert pool and files it for
a committee that committees approved (the experts service learnt of it from committees' own
event); an expert-misconduct record decided by HR takes expert status away within a second, from
the experts service's projection of integrity's event (NA-13); the pool is not for other roles."""

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

    filing = wait_for(filed, timeout=15, what="the committee's approval reaching the experts service")
    assert filing.json()["member_count"] == 3

    decided = httpx.post(
        f"{GATEWAY}/api/v1/integrity/records",
        json={
            "subject_kind": "person",
            "subject_id_number": numbers[0],
            "subject_name": "王建国",
            "kind": "expert_misconduct",
            "facts": "评审中违反回避规定",
            "deciding_authority": "山西省人力资源和社会保障厅",
            "decision_date": date.today().isoformat(),
            "effects": {"bar_expert_draws": True},
        },
        headers=hr,
    )
    assert decided.status_code == 201, decided.text
    started = time.monotonic()

    def disqualified() -> bool:
        return bool(httpx.get(f"{EXPERTS}/experts/{ids[0]}", headers=auditor).json()["status"] == "disqualified")

    wait_for(disqualified, timeout=1.0, what="the expert disqualified in the experts service")
    assert time.monotonic() - started <= 1.0
    assert httpx.get(f"{EXPERTS}/experts/{ids[1]}", headers=auditor).json()["status"] == "active"
