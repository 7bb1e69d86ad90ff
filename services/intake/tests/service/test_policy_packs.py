"""Issue 12, policy packs: a declaration is judged by the pack of its own jurisdiction and year
(resolved when it is saved, kept on the row, carried on its submitted event); an unknown pack id
is a 422, never a silent fallback; a jurisdiction/year no pack covers is a clear 422."""

from __future__ import annotations

import json
import uuid

import pytest

from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import assert_problem, run_sql

from .conftest import BASE, Intake, applicant_body, draft, open_draft, submit

pytestmark = pytest.mark.service

KUNMING = "530102"


async def test_a_declaration_gets_the_pack_of_its_jurisdiction_and_year_not_its_committees(intake: Intake) -> None:
    committee_id = await intake.open_committee()  # the committee's filing names shanxi-2024
    headers = intake.headers(region=KUNMING)
    body = applicant_body(committee_id, target__year=2023)
    body["applicant"]["employer"]["region"] = KUNMING
    declaration_id = await draft(intake, body, headers)

    read = (await intake.client.get(f"{BASE}/{declaration_id}", headers=headers)).json()
    assert read["policy_pack"] == "yunnan-2023"
    report = (await intake.client.post(f"{BASE}/{declaration_id}/check", headers=headers)).json()
    assert report["policy_pack"] == "yunnan-2023"


async def test_a_jurisdiction_and_year_without_a_pack_is_a_clear_problem(intake: Intake) -> None:
    committee_id = await intake.open_committee()
    body = applicant_body(committee_id, target__year=2023)  # Shanxi has a 2024 pack only
    response = await intake.client.post(BASE, json=body, headers=intake.headers())
    refused = assert_problem(response, 422, "no_policy_pack")
    assert refused["errors"][0]["facts"] == {"jurisdiction": "140100", "year": 2023}


async def test_an_unknown_pack_on_a_declaration_is_refused_not_replaced(
    intake: Intake, intake_schema: CommonSettings
) -> None:
    headers = intake.headers()
    declaration_id = await open_draft(intake, headers)
    await run_sql(
        intake_schema,
        "intake",
        "UPDATE intake.declarations SET policy_pack = 'shanxi-2019' WHERE id = :id",
        id=uuid.UUID(declaration_id),
    )
    assert_problem(await submit(intake, declaration_id, headers), 422, "unknown_policy_pack")
    assert_problem(
        await intake.client.post(f"{BASE}/{declaration_id}/check", headers=headers), 422, "unknown_policy_pack"
    )
    read = (await intake.client.get(f"{BASE}/{declaration_id}", headers=headers)).json()
    assert read["status"] == "draft"


async def test_the_submitted_event_carries_the_pack_the_declaration_was_judged_by(
    intake: Intake, intake_schema: CommonSettings
) -> None:
    headers = intake.headers()
    declaration_id = await open_draft(intake, headers)
    response = await submit(intake, declaration_id, headers)
    assert response.status_code == 200, response.text
    rows = await run_sql(
        intake_schema,
        "intake",
        "SELECT envelope FROM intake.outbox WHERE envelope->>'subject' = :id AND type LIKE '%submitted%'",
        id=declaration_id,
    )
    envelope = rows[0][0] if isinstance(rows[0][0], dict) else json.loads(str(rows[0][0]))
    assert envelope["data"]["policy_pack"] == "shanxi-2024" == response.json()["policy_pack"]
