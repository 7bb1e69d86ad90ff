"""A draft is the applicant's until submitted: no clerk lists or reads it, whatever their role."""

from __future__ import annotations

from typing import Any

import pytest

from services.intake.tests.builders import CREDIT_CODE
from zhicheng_common.pii import PiiCipher
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import assert_problem

from .conftest import Intake, applicant_body, submit

pytestmark = pytest.mark.service

BASE = "/api/v1/declarations"
SHANXI = "140000"
TAIYUAN = "140100"


def clerks(intake: Intake, committee_id: str, unit_key: str) -> dict[str, dict[str, str]]:
    """Every clerk role, bound so that it reads the declaration once it is submitted."""
    return {
        "unit_reviewer": intake.headers(roles=("unit_reviewer",), region=TAIYUAN, unit_key=unit_key),
        "committee_office": intake.headers(roles=("committee_office",), region=TAIYUAN, committees=[committee_id]),
        "dept_reviewer": intake.headers(roles=("dept_reviewer",), region=TAIYUAN),
        "hr_reviewer": intake.headers(roles=("hr_reviewer",), region=TAIYUAN),
        "hr_admin": intake.headers(roles=("hr_admin",), region=SHANXI),
        "province_admin": intake.headers(roles=("province_admin",), region=SHANXI),
        "auditor": intake.headers(roles=("auditor",), region=SHANXI),
    }


async def listed(intake: Intake, headers: dict[str, str], committee_id: str) -> set[str]:
    page: dict[str, Any] = (
        await intake.client.get(BASE, params={"committee_id": committee_id, "limit": 200}, headers=headers)
    ).json()
    return {item["id"] for item in page["items"]}


async def test_a_draft_is_hidden_from_every_clerk_role_until_submitted(
    intake: Intake, zc_settings: CommonSettings
) -> None:
    owner = intake.headers()
    committee_id = await intake.open_committee()
    created = await intake.client.post(BASE, json=applicant_body(committee_id), headers=owner)
    assert created.status_code == 201, created.text
    draft_id: str = created.json()["id"]
    staff = clerks(intake, committee_id, PiiCipher(zc_settings.pii_key).keyed_hash(CREDIT_CODE))

    # The owner sees the draft; no clerk lists it, and to each it does not exist (404, not 403).
    assert draft_id in await listed(intake, owner, committee_id)
    assert (await intake.client.get(f"{BASE}/{draft_id}", headers=owner)).status_code == 200
    for role, headers in staff.items():
        assert draft_id not in await listed(intake, headers, committee_id), role
        assert_problem(await intake.client.get(f"{BASE}/{draft_id}", headers=headers), 404, "not_found")
        assert_problem(await intake.client.get(f"{BASE}/{draft_id}/history", headers=headers), 404, "not_found")
        assert_problem(await intake.client.get(f"{BASE}/{draft_id}/attachments", headers=headers), 404, "not_found")
    # Another applicant neither.
    assert_problem(await intake.client.get(f"{BASE}/{draft_id}", headers=intake.headers()), 404, "not_found")

    submitted = await submit(intake, draft_id, owner)
    assert submitted.status_code == 200, submitted.text
    for role, headers in staff.items():
        assert draft_id in await listed(intake, headers, committee_id), role
        response = await intake.client.get(f"{BASE}/{draft_id}", headers=headers)
        assert response.status_code == 200, (role, response.text)
