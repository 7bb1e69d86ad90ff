"""One form of specialty (issue 13): declarations carry the catalog's code, as committees file it.

The engineering series lists, in this order: civil_construction 建筑工程, electrical 电气工程,
mechanical 机械工程, computer 计算机技术, mining 采矿工程, chemical 化学工程.
"""

from __future__ import annotations

import json

import httpx
import pytest

from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import assert_problem, run_sql

from .conftest import Intake, applicant_body

pytestmark = pytest.mark.service

BASE = "/api/v1/declarations"


async def per_specialty_draft(intake: Intake, headers: dict[str, str], code: str, *, practiced: str) -> httpx.Response:
    """A draft declaring ``code`` to a committee formed for that one specialty (CM-4); the answer, 201 checked."""
    committee_id = await intake.open_committee(formation_basis="per_specialty", specialties=[code])
    body = applicant_body(committee_id)
    body["target"]["specialty"] = code
    body["applicant"]["practiced_specialty"] = practiced
    created = await intake.client.post(BASE, json=body, headers=headers)
    assert created.status_code == 201, created.text
    return created


async def test_EL_1_a_declaration_with_the_committees_specialty_code_passes_EL_1(
    intake: Intake, intake_schema: CommonSettings
) -> None:
    headers = intake.headers()
    # The committee's code declared; the practised specialty as a clerk used to type it.
    created = await per_specialty_draft(intake, headers, "civil_construction", practiced="建筑工程")
    assert created.json()["content"]["applicant"]["practiced_specialty"] == "civil_construction"

    response = await intake.client.post(f"{BASE}/{created.json()['id']}/submit", headers=headers)

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["specialty"]) == ("submitted", "civil_construction")


async def test_unknown_specialty_code_is_refused_listing_the_valid_ones_in_chinese(intake: Intake) -> None:
    committee_id = await intake.open_committee()
    body = applicant_body(committee_id)
    body["target"]["specialty"] = "underwater_basket_weaving"

    response = await intake.client.post(BASE, json=body, headers=intake.headers())

    refused = assert_problem(response, 400, "invalid_declaration")
    [error] = [e for e in refused["errors"] if e["field"] == "target.specialty"]
    assert error["code"] == "unknown_specialty"
    assert error["facts"]["valid"] == [
        "civil_construction",
        "electrical",
        "mechanical",
        "computer",
        "mining",
        "chemical",
    ]
    assert (
        error["message"]
        == "工程技术系列没有所填专业，可选：建筑工程、电气工程、机械工程、计算机技术、采矿工程、化学工程"
    )


async def test_CM_4_a_draft_stored_with_the_specialty_name_is_read_and_submitted_as_its_code(
    intake: Intake, intake_schema: CommonSettings
) -> None:
    headers = intake.headers()
    created = await per_specialty_draft(intake, headers, "electrical", practiced="electrical")
    declaration_id = created.json()["id"]
    # A draft as drafts were stored before declarations carried codes: the Chinese name everywhere.
    await run_sql(
        intake_schema,
        "intake",
        "UPDATE intake.declarations SET specialty = '电气工程', content = jsonb_set(jsonb_set(content,"
        " '{target,specialty}', CAST(:name AS jsonb)), '{applicant,practiced_specialty}',"
        " CAST(:name AS jsonb)) WHERE id = :id",
        name=json.dumps("电气工程"),
        id=declaration_id,
    )

    read = await intake.client.get(f"{BASE}/{declaration_id}", headers=headers)
    submitted = await intake.client.post(f"{BASE}/{declaration_id}/submit", headers=headers)

    assert read.status_code == 200, read.text
    assert read.json()["specialty"] == "electrical"
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"
