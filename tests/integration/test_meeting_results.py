"""A meeting's results over the gateway before any publicity (issue 15).

A senior engineering committee filed and approved over the gateway, its plan published, its meeting
pre-filed (CM-8); the results routes then answer through the gateway as the rules say: no results
before a publicity (404 ``results_not_publicized``), the meeting file confidential to auditors
before the results are published (403, NA-10), confirmation refused before a publicity (409,
NA-11), the pass rates (MT-5) empty for a committee without confirmed results. The whole meeting,
from a drawn panel to confirmed results, is test_meeting_end_to_end.py.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from .committees_api import SHANXI, login, open_senior_engineering_committee
from .conftest import GATEWAY_URL, RunningSystem

pytestmark = pytest.mark.integration

PASSWORD = "Results-2026-long"
COMMITTEES = f"{GATEWAY_URL}/api/v1/committees"


def _user(system: RunningSystem, admin: dict[str, str], role: str) -> dict[str, str]:
    name = f"{role}.{uuid.uuid4().hex[:8]}"
    system.create_user(admin, username=name, password=PASSWORD, roles=[role], region=SHANXI, name=role)
    return login(name, PASSWORD)


def test_NA_10_NA_11_MT_5_the_results_routes_answer_over_the_gateway_before_any_publicity(
    system: RunningSystem,
) -> None:
    admin = system.admin_headers()
    committee_id, _ = open_senior_engineering_committee(system, admin)
    suffix = uuid.uuid4().hex[:8]
    office_user = system.create_user(
        admin, username=f"office.{suffix}", password=PASSWORD, roles=["committee_office"], region=SHANXI, name="办公室"
    )
    system.bind_user(admin, office_user, committees=[committee_id])
    office = login(f"office.{suffix}", PASSWORD)
    auditor = _user(system, admin, "auditor")
    hr = _user(system, admin, "hr_admin")
    with httpx.Client(base_url=COMMITTEES, timeout=10) as client:
        plans = client.get(f"/{committee_id}/plans", headers=office)
        assert plans.status_code == 200, plans.text
        meeting_id = plans.json()[0]["meetings"][0]["id"]
        filed = client.post(f"/meetings/{meeting_id}/pre-meeting-filing", json={"applicant_count": 3}, headers=office)
        assert filed.status_code == 200, filed.text

        results = client.get(f"/meetings/{meeting_id}/results", headers=office)
        assert (results.status_code, results.json()["code"]) == (404, "results_not_publicized")
        secret = client.get(f"/meetings/{meeting_id}/file.pdf", headers=auditor)
        assert (secret.status_code, secret.json()["code"], secret.json()["rule"]) == (
            403,
            "meeting_file_confidential",
            "NA-10",
        )
        early = client.post(
            f"/meetings/{meeting_id}/results/confirmation",
            json={
                "approving_authority": "山西省人力资源和社会保障厅",
                "document_number": "晋人社职字〔2026〕1号",
                "document_date": plans.json()[0]["meetings"][0]["meeting_date"],
            },
            headers=hr,
        )
        assert (early.status_code, early.json()["code"], early.json()["rule"]) == (
            409,
            "results_not_publicized",
            "NA-11",
        )
        # Publicizing a meeting that never sat: refused, nothing stored.
        publicity = client.post(f"/meetings/{meeting_id}/results/publicity", headers=office)
        assert (publicity.status_code, publicity.json()["code"]) == (409, "meeting_not_arranged")
        rates = client.get("/pass-rates", params={"committee_id": committee_id}, headers=hr)
        assert rates.status_code == 200, rates.text
        assert rates.json() == {"items": [], "total": 0}
