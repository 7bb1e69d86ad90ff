"""Appeals: the record is frozen, then upheld, changed (superseded) or withdrawn; history is never deleted."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from zhicheng_common.testing import assert_problem, resident_id

from .conftest import Integrity, create_record

pytestmark = pytest.mark.service

DECIDED = "cn.zhicheng.integrity.record.decided.v1"
WITHDRAWN = "cn.zhicheng.integrity.record.withdrawn.v2"


async def appeal(client: httpx.AsyncClient, record_id: str, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/integrity/records/{record_id}/appeals", json={"grounds": "材料真实，附证明", **body}, headers=headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def appealed_record(
    integrity: Integrity, admin: dict[str, str], applicant: dict[str, str], number: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A decided record on ``number``, and the appeal its subject filed against it."""
    record = await create_record(integrity.client, admin, subject_id_number=number)
    return record, await appeal(integrity.client, record["id"], applicant, subject_id_number=number)


async def decide(
    client: httpx.AsyncClient, record_id: str, appeal_id: str, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/integrity/records/{record_id}/appeals/{appeal_id}/decision", json=body, headers=headers
    )


async def read(client: httpx.AsyncClient, record_id: str, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get(f"/api/v1/integrity/records/{record_id}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_subject_appeals_and_the_record_is_frozen_but_still_in_force(
    integrity: Integrity, taiyuan_admin: dict[str, str], applicant: dict[str, str], applicant_number: str
) -> None:
    number = applicant_number
    record, filed = await appealed_record(integrity, taiyuan_admin, applicant, number)
    assert filed["status"] == "open"
    assert filed["filed_as"] == "subject"
    frozen = await read(integrity.client, record["id"], taiyuan_admin)
    assert frozen["status"] == "under_appeal"
    assert frozen["in_force"] is True
    assert [e["action"] for e in frozen["history"]] == ["decide", "appeal"]

    again = await integrity.client.post(
        f"/api/v1/integrity/records/{record['id']}/appeals",
        json={"grounds": "再次申诉", "subject_id_number": number},
        headers=applicant,
    )
    assert_problem(again, 409, "appeal_pending")


async def test_someone_else_cannot_appeal_a_record(
    integrity: Integrity, taiyuan_admin: dict[str, str], applicant: dict[str, str]
) -> None:
    record = await create_record(integrity.client, taiyuan_admin)
    response = await integrity.client.post(
        f"/api/v1/integrity/records/{record['id']}/appeals",
        json={"grounds": "不是我", "subject_id_number": resident_id()},
        headers=applicant,
    )
    assert_problem(response, 403, "not_record_subject")
    response = await integrity.client.post(
        f"/api/v1/integrity/records/{record['id']}/appeals", json={"grounds": "不是我"}, headers=applicant
    )
    assert_problem(response, 403, "not_record_subject")
    assert (await read(integrity.client, record["id"], taiyuan_admin))["status"] == "decided"


async def test_issue12_an_applicant_cannot_appeal_someone_elses_record_by_typing_their_number(
    integrity: Integrity, taiyuan_admin: dict[str, str], applicant: dict[str, str]
) -> None:
    """Issue 12: knowing the subject's number is not being the subject; the bound identity decides."""
    someone = resident_id()
    record = await create_record(integrity.client, taiyuan_admin, subject_id_number=someone)
    response = await integrity.client.post(
        f"/api/v1/integrity/records/{record['id']}/appeals",
        json={"grounds": "冒名申诉", "subject_id_number": someone},
        headers=applicant,
    )
    assert_problem(response, 403, "not_record_subject")
    assert (await read(integrity.client, record["id"], taiyuan_admin))["status"] == "decided"


async def test_an_appeal_withdrawn_record_lifts_its_effects_and_the_history_still_shows_it(
    integrity: Integrity, taiyuan_admin: dict[str, str], applicant: dict[str, str], applicant_number: str
) -> None:
    number = applicant_number
    record, filed = await appealed_record(integrity, taiyuan_admin, applicant, number)

    response = await decide(
        integrity.client, record["id"], filed["id"], taiyuan_admin, outcome="withdrawn", reason="经复核，材料属实"
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "withdrawn"

    events = await integrity.outbox(record["id"])
    assert [e["type"] for e in events] == [DECIDED, WITHDRAWN]
    withdrawn = events[1]["envelope"]["data"]
    assert withdrawn["record_id"] == record["id"]
    assert withdrawn["subject_key"] == integrity.cipher.keyed_hash(number)
    assert withdrawn["outcome"] == "withdrawn"
    assert "经复核，材料属实" not in json.dumps(withdrawn, ensure_ascii=False)  # staff's words stay out (v2)

    shown = await read(integrity.client, record["id"], taiyuan_admin)
    assert shown["status"] == "withdrawn"
    assert shown["in_force"] is False
    assert [(h["action"], h["to_status"]) for h in shown["history"]] == [
        ("decide", "decided"),
        ("appeal", "under_appeal"),
        ("withdraw", "withdrawn"),
    ]
    assert shown["appeals"][0]["decision_reason"] == "经复核，材料属实"
    mine = await integrity.client.post(
        "/api/v1/integrity/my-records", json={"subject_id_number": number}, headers=applicant
    )
    assert [(r["id"], r["status"]) for r in mine.json()] == [(record["id"], "withdrawn")]

    # Nothing decided twice: a withdrawn record cannot be appealed or decided again.
    again = await decide(integrity.client, record["id"], filed["id"], taiyuan_admin, outcome="upheld", reason="x")
    assert_problem(again, 409, "invalid_record_status")


async def test_history_cannot_be_deleted_even_with_sql(integrity: Integrity, taiyuan_admin: dict[str, str]) -> None:
    record = await create_record(integrity.client, taiyuan_admin)
    statements = (
        "DELETE FROM integrity.record_changes WHERE record_id = :id",
        "DELETE FROM integrity.records WHERE id = :id",
    )
    for statement in statements:
        with pytest.raises(DBAPIError, match="never deleted"):
            async with integrity.database.engine.begin() as conn:
                await conn.execute(text(statement), {"id": record["id"]})
    assert await integrity.scalar("SELECT count(*) FROM integrity.records WHERE id = :id", id=record["id"]) == 1


async def test_an_upheld_appeal_unfreezes_the_record_and_publishes_nothing_new(
    integrity: Integrity, taiyuan_admin: dict[str, str]
) -> None:
    record = await create_record(integrity.client, taiyuan_admin)
    filed = await appeal(integrity.client, record["id"], taiyuan_admin)  # staff files for the subject
    assert filed["filed_as"] == "staff"

    response = await decide(integrity.client, record["id"], filed["id"], taiyuan_admin, outcome="upheld", reason="维持")
    assert response.status_code == 200, response.text
    assert (await read(integrity.client, record["id"], taiyuan_admin))["status"] == "decided"
    assert [e["type"] for e in await integrity.outbox(record["id"])] == [DECIDED]


async def test_a_changed_record_is_superseded_by_a_new_one_and_both_stay_in_the_history(
    integrity: Integrity, taiyuan_admin: dict[str, str], applicant: dict[str, str], applicant_number: str
) -> None:
    number = applicant_number
    record = await create_record(
        integrity.client,
        taiyuan_admin,
        subject_id_number=number,
        effects={"bar_declaring": True, "bar_expert_draws": True},
    )
    filed = await appeal(integrity.client, record["id"], applicant, subject_id_number=number)

    response = await decide(
        integrity.client,
        record["id"],
        filed["id"],
        taiyuan_admin,
        outcome="changed",
        reason="情节较轻，仍限制申报，不再限制专家抽取",
        changes={"effects": {"bar_expert_draws": False}, "facts": "论文录用通知日期系涂改"},
    )
    assert response.status_code == 200, response.text
    replacement_id = response.json()["replacement_record_id"]

    old = await read(integrity.client, record["id"], taiyuan_admin)
    new = await read(integrity.client, replacement_id, taiyuan_admin)
    assert (old["status"], old["superseded_by_id"], old["in_force"]) == ("superseded", replacement_id, False)
    assert (new["status"], new["supersedes_id"], new["in_force"]) == ("decided", record["id"], True)
    assert new["effects"] == {
        "bar_declaring": True,
        "bar_expert_draws": False,
        "revoke_certificate_number": None,
        "unit_sanction": None,
    }
    assert new["facts"] == "论文录用通知日期系涂改"
    assert (new["valid_from"], new["valid_until"]) == (old["valid_from"], old["valid_until"])

    old_events = await integrity.outbox(record["id"])
    assert [e["type"] for e in old_events] == [DECIDED, WITHDRAWN]
    assert old_events[1]["envelope"]["data"]["superseded_by"] == replacement_id
    new_events = await integrity.outbox(replacement_id)
    assert [e["type"] for e in new_events] == [DECIDED]
    assert new_events[0]["envelope"]["data"]["supersedes"] == record["id"]
    assert new_events[0]["envelope"]["data"]["effects"]["bar_expert_draws"] is False

    mine = await integrity.client.post(
        "/api/v1/integrity/my-records", json={"subject_id_number": number}, headers=applicant
    )
    assert [r["status"] for r in mine.json()] == ["superseded", "decided"]


async def test_changed_without_changes_is_a_malformed_decision(
    integrity: Integrity, taiyuan_admin: dict[str, str]
) -> None:
    record = await create_record(integrity.client, taiyuan_admin)
    filed = await appeal(integrity.client, record["id"], taiyuan_admin)
    response = await decide(integrity.client, record["id"], filed["id"], taiyuan_admin, outcome="changed", reason="x")
    problem = assert_problem(response, 422, "validation_failed")
    assert [e["field"] for e in problem["errors"]] == ["changes"]
    assert (await read(integrity.client, record["id"], taiyuan_admin))["status"] == "under_appeal"


async def test_another_city_cannot_decide_the_appeal(
    integrity: Integrity, taiyuan_admin: dict[str, str], yuncheng_admin: dict[str, str]
) -> None:
    record = await create_record(integrity.client, taiyuan_admin)
    filed = await appeal(integrity.client, record["id"], taiyuan_admin)
    response = await decide(
        integrity.client, record["id"], filed["id"], yuncheng_admin, outcome="withdrawn", reason="x"
    )
    assert_problem(response, 403, "outside_jurisdiction")
    response = await integrity.client.post(
        f"/api/v1/integrity/records/{record['id']}/appeals", json={"grounds": "x"}, headers=yuncheng_admin
    )
    assert_problem(response, 403, "outside_jurisdiction")
    assert (await read(integrity.client, record["id"], taiyuan_admin))["status"] == "under_appeal"
