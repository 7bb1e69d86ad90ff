"""Across services: a decided integrity record bars the subject's declaration (EL-20) within a
second, from intake's own projection of integrity's event — intake never calls integrity."""

from __future__ import annotations

import time
import uuid
from datetime import date
from typing import Any

import httpx
import pytest

from services.intake.tests.builders import declaration_body, resident_id

from .committees_api import open_senior_engineering_committee

pytestmark = pytest.mark.integration

GATEWAY = "http://127.0.0.1:8000"
BASE = f"{GATEWAY}/api/v1/declarations"


def wait_for(predicate: Any, *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")


def token(username: str, password: str) -> dict[str, str]:
    response = httpx.post(f"{GATEWAY}/api/v1/auth/token", data={"username": username, "password": password})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_EL_20_integrity_record_decided_refuses_the_declaration_within_a_second(system: Any) -> None:
    admin = system.admin_headers()
    # Filed, approved and planned over the gateway: committees publishes its own events.
    committee_id, year = open_senior_engineering_committee(system, admin)

    password = "Applicant-2026!"
    username = f"applicant.{uuid.uuid4().hex[:8]}"
    system.create_user(admin, username=username, password=password, roles=["applicant"], region="140100", name="张三")
    applicant = token(username, password)
    hr = f"hr.{uuid.uuid4().hex[:8]}"
    system.create_user(admin, username=hr, password=password, roles=["hr_admin"], region="140000", name="省人社厅")
    hr_headers = token(hr, password)

    birth = date(1984, 3, 9)
    body = declaration_body()
    body["applicant"]["birth_date"] = birth.isoformat()
    body["applicant"]["id_number"] = resident_id(birth, int(uuid.uuid4().int % 1000))
    body["target"].update(year=year, committee_id=committee_id)
    body["assessments"] = [{"year": y, "grade": "qualified"} for y in range(year - 6, year)]
    body["continuing_education"] = []

    def window_open() -> bool:
        items = httpx.get(f"{BASE}/windows", headers=applicant).json()["items"]
        return any(i["committee_id"] == committee_id and i["windows"] for i in items)

    wait_for(window_open, timeout=15, what="the committee's window in intake")
    created = httpx.post(BASE, json=body, headers=applicant)
    assert created.status_code == 201, created.text
    declaration_id = created.json()["id"]
    check = httpx.post(f"{BASE}/{declaration_id}/check", headers=applicant)
    assert check.json() == {"eligible": True, "policy_pack": "shanxi-2024", "failures": []}, check.text

    decided = httpx.post(
        f"{GATEWAY}/api/v1/integrity/records",
        json={
            "subject_kind": "person",
            "subject_id_number": body["applicant"]["id_number"],
            "subject_name": "张三",
            "kind": "falsified_materials",
            "facts": "申报材料中伪造业绩证明",
            "deciding_authority": "山西省人力资源和社会保障厅",
            "decision_date": date.today().isoformat(),
            "effects": {"bar_declaring": True},
        },
        headers=hr_headers,
    )
    assert decided.status_code == 201, decided.text
    started = time.monotonic()

    def barred() -> bool:
        report = httpx.post(f"{BASE}/{declaration_id}/check", headers=applicant).json()
        return "EL-20" in {f["rule"] for f in report["failures"]}

    wait_for(barred, timeout=1.0, what="EL-20 in intake's eligibility check")
    assert time.monotonic() - started <= 1.0

    refused = httpx.post(f"{BASE}/{declaration_id}/submit", headers=applicant)
    assert refused.status_code == 409, refused.text
    assert [e["rule"] for e in refused.json()["errors"]] == ["EL-20"]
