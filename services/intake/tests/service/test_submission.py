"""Submission through the eligibility engine, on the real stack: acceptance and its event, every
failure in one problem, committee scope and window, integrity bars from events, idempotency, and
refusals of bad input that change nothing."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from services.intake.tests.builders import CREDIT_CODE
from zhicheng_common.db import Database
from zhicheng_common.pii import PiiCipher
from zhicheng_common.series import load_series_catalog
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import assert_problem, run_sql, wait_until
from zhicheng_intake.models import Declaration

from .conftest import (
    BASE,
    MAX_ATTACHMENT,
    SHANXI,
    Intake,
    applicant_body,
    draft,
    open_draft,
    status_becomes,
    submit,
    submitted_draft,
    upload,
)

YUNCHENG = "140800"

pytestmark = pytest.mark.service


async def refused_and_nothing_stored(
    intake: Intake, settings: CommonSettings, body: dict[str, Any], status: int, code: str
) -> dict[str, Any]:
    """Post a draft of ``body``: refused with this problem, and no declaration of its committee stored."""
    response = await intake.client.post(BASE, json=body, headers=intake.headers())
    refused = assert_problem(response, status, code)
    committee_id = uuid.UUID(body["target"]["committee_id"])
    assert await count_declarations(settings, committee_id=committee_id) == 0
    return refused


async def count_declarations(settings: CommonSettings, **where: Any) -> int:
    database = Database(settings.database_url, "intake")
    try:
        async with database.unit_of_work() as session:
            statement = select(func.count()).select_from(Declaration)
            for column, value in where.items():
                statement = statement.where(getattr(Declaration, column) == value)
            return int(await session.scalar(statement) or 0)
    finally:
        await database.dispose()


async def count_rows(settings: CommonSettings, table: str, **where: Any) -> int:
    conditions = " AND ".join(f"{column} = :{column}" for column in where) or "true"
    [(count,)] = await run_sql(settings, "intake", f"SELECT count(*) FROM intake.{table} WHERE {conditions}", **where)
    return int(count)


async def outbox_types(settings: CommonSettings, declaration_id: str) -> list[str]:
    statement = "SELECT type FROM intake.outbox WHERE envelope->>'subject' = :id ORDER BY created_at"
    return [row[0] for row in await run_sql(settings, "intake", statement, id=declaration_id)]


async def test_eligible_declaration_is_accepted_and_announced(intake: Intake, intake_schema: CommonSettings) -> None:
    headers = intake.headers()
    declaration_id = await open_draft(intake, headers)

    response = await submit(intake, declaration_id, headers)

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "submitted"
    assert await outbox_types(intake_schema, declaration_id) == ["cn.zhicheng.intake.declaration.submitted.v3"]
    history = await intake.client.get(f"{BASE}/{declaration_id}/history", headers=headers)
    assert [h["status"] for h in history.json()["items"]] == ["draft", "submitted"]
    # The unit's keyed hash goes out with it (review passes it on; experts of the unit recuse, NA-9).
    [(unit_key,)] = await run_sql(
        intake_schema,
        "intake",
        "SELECT envelope->'data'->>'unit_key' FROM intake.outbox WHERE envelope->>'subject' = :id",
        id=declaration_id,
    )
    credit_code = CREDIT_CODE  # the employer of every example declaration
    assert unit_key == PiiCipher(intake_schema.pii_key).keyed_hash(credit_code)
    # v3 (DA-1): the highest education and the major go out sealed, as the example declares them.
    [(education_sealed,)] = await run_sql(
        intake_schema,
        "intake",
        "SELECT envelope->'data'->>'education_sealed' FROM intake.outbox WHERE envelope->>'subject' = :id",
        id=declaration_id,
    )
    assert "土木工程" not in education_sealed
    opened = PiiCipher(intake_schema.pii_key).decrypt(education_sealed)
    assert json.loads(opened) == {"level": "bachelor", "major": "土木工程"}


async def test_a_submission_is_stored_as_answered_status_time_pack_and_history(
    intake: Intake, intake_schema: CommonSettings
) -> None:
    """The submit path writes status, time and pack with its history row in one statement (issue 11
    §6): what the next request reads, and what the table holds, is what the answer said."""
    headers = intake.headers()
    declaration_id = await open_draft(intake, headers)

    answered = (await submit(intake, declaration_id, headers)).json()

    read = (await intake.client.get(f"{BASE}/{declaration_id}", headers=headers)).json()
    assert answered["submitted_at"] is not None
    assert [read[k] for k in ("status", "submitted_at", "policy_pack", "updated_at")] == [
        "submitted",
        answered["submitted_at"],
        "shanxi-2024",  # the pack of Taiyuan (140100) for 2024
        answered["submitted_at"],
    ]
    stored = await run_sql(
        intake_schema,
        "intake",
        "SELECT d.status, d.submitted_at = d.updated_at, s.status, s.at = d.submitted_at"
        " FROM intake.declarations d JOIN intake.declaration_status_changes s"
        " ON s.declaration_id = d.id AND s.status = 'submitted' WHERE d.id = :id",
        id=declaration_id,
    )
    assert stored == [("submitted", True, "submitted", True)]


async def test_three_failed_rules_come_in_one_problem_each_with_its_id(intake: Intake) -> None:
    committee_id = await intake.open_committee()
    headers = intake.headers()
    body = applicant_body(committee_id, written_commitment=False)
    body["applicant"]["practiced_specialty"] = "electrical"
    body["current_title"]["obtained_on"] = "2021-06-01"
    declaration_id = await draft(intake, body, headers)

    response = await submit(intake, declaration_id, headers)

    refused = assert_problem(response, 409, "not_eligible")
    assert sorted(e["rule"] for e in refused["errors"]) == ["EL-1", "EL-2", "NA-5"]
    for error in refused["errors"]:
        assert error["message"]
        assert error["facts"] is not None
    still = await intake.client.get(f"{BASE}/{declaration_id}", headers=headers)
    assert still.json()["status"] == "draft"


async def test_CM_4_level_outside_the_committee_scope_is_refused(intake: Intake) -> None:
    committee_id = await intake.open_committee(levels=["intermediate"])
    headers = intake.headers()
    declaration_id = await draft(intake, applicant_body(committee_id), headers)

    response = await submit(intake, declaration_id, headers)

    refused = assert_problem(response, 409, "not_eligible")
    assert "CM-4" in {e["rule"] for e in refused["errors"]}


async def test_CM_4_series_outside_the_committee_scope_is_refused(intake: Intake) -> None:
    committee_id = await intake.open_committee(series="agriculture")
    headers = intake.headers()
    declaration_id = await draft(intake, applicant_body(committee_id), headers)

    response = await submit(intake, declaration_id, headers)

    assert "CM-4" in {e["rule"] for e in assert_problem(response, 409, "not_eligible")["errors"]}


async def test_CM_5_declaration_outside_the_window_is_refused(intake: Intake) -> None:
    headers = intake.headers()
    declaration_id = await open_draft(intake, headers)
    intake.clock.advance(timedelta(days=70))  # 2024-07-10, after the window closed on 30 June

    response = await submit(intake, declaration_id, headers)

    refused = assert_problem(response, 409, "not_eligible")
    assert refused["rule"] == "CM-5"
    assert refused["errors"][0]["facts"]["closes"] == "2024-06-30"


async def test_EL_20_integrity_bar_from_the_integrity_event_refuses_within_a_second(
    intake: Intake, intake_schema: CommonSettings
) -> None:
    committee_id = await intake.open_committee()
    headers = intake.headers()
    body = applicant_body(committee_id)
    declaration_id = await draft(intake, body, headers)
    subject_key = PiiCipher(intake_schema.pii_key).keyed_hash(body["applicant"]["id_number"])
    record_id = str(uuid.uuid4())

    await intake.publish(
        "integrity.record.decided",
        {
            "record_id": record_id,
            "subject_kind": "person",
            "subject_key": subject_key,
            "kind": "falsified_materials",
            "effects": {"bar_declaring": True, "bar_expert_draws": False},
            "valid_from": "2024-04-01",
            "valid_until": "2027-03-31",
            "rule_ids": ["IN-1", "NA-13"],
        },
        subject=record_id,
    )

    async def barred() -> bool:
        return await count_rows(intake_schema, "integrity_bars", record_id=record_id, active=True) == 1

    await wait_until(barred, timeout=1.0, interval=0.02, what="the bar in intake's projection")
    response = await submit(intake, declaration_id, headers)
    assert assert_problem(response, 409, "not_eligible")["rule"] == "EL-20"

    await intake.publish(
        "integrity.record.withdrawn", {"record_id": record_id, "subject_kind": "person", "subject_key": subject_key}
    )

    async def accepted() -> bool:
        response = await submit(intake, declaration_id, headers)
        return response.status_code == 200

    await wait_until(accepted, timeout=5.0, what="acceptance after the record was withdrawn")


async def test_same_idempotency_key_makes_one_declaration(intake: Intake, intake_schema: CommonSettings) -> None:
    committee_id = await intake.open_committee()
    headers = intake.headers()
    body = applicant_body(committee_id)
    key = {"Idempotency-Key": str(uuid.uuid4())}

    first = await intake.client.post(BASE, json=body, headers={**headers, **key})
    second = await intake.client.post(BASE, json=body, headers={**headers, **key})
    assert first.status_code == 201
    assert second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert await count_declarations(intake_schema, committee_id=committee_id) == 1

    declaration_id = first.json()["id"]
    submit_key = {"Idempotency-Key": str(uuid.uuid4())}
    one = await intake.client.post(f"{BASE}/{declaration_id}/submit", headers={**headers, **submit_key})
    two = await intake.client.post(f"{BASE}/{declaration_id}/submit", headers={**headers, **submit_key})
    assert one.status_code == two.status_code == 200
    assert await outbox_types(intake_schema, declaration_id) == ["cn.zhicheng.intake.declaration.submitted.v3"]


async def test_same_idempotency_key_with_another_body_is_refused(intake: Intake) -> None:
    committee_id = await intake.open_committee()
    headers = {**intake.headers(), "Idempotency-Key": str(uuid.uuid4())}
    assert (await intake.client.post(BASE, json=applicant_body(committee_id), headers=headers)).status_code == 201
    response = await intake.client.post(BASE, json=applicant_body(committee_id), headers=headers)
    assert_problem(response, 409, "idempotency_key_reused")


async def test_invalid_id_number_is_a_clear_problem_and_stores_nothing(
    intake: Intake, intake_schema: CommonSettings
) -> None:
    committee_id = uuid.uuid4()
    body = applicant_body(committee_id)
    body["applicant"]["id_number"] = body["applicant"]["id_number"][:-1] + (
        "0" if body["applicant"]["id_number"][-1] != "0" else "1"
    )
    refused = await refused_and_nothing_stored(intake, intake_schema, body, 422, "validation_failed")
    assert refused["errors"][0]["field"] == "applicant.id_number"


async def test_future_dates_are_a_clear_problem_and_store_nothing(
    intake: Intake, intake_schema: CommonSettings
) -> None:
    committee_id = uuid.uuid4()
    body = applicant_body(committee_id)
    body["achievements"][0]["date"] = "2024-05-02"
    refused = await refused_and_nothing_stored(intake, intake_schema, body, 400, "invalid_declaration")
    assert [e["field"] for e in refused["errors"]] == ["achievements.0.date"]


async def test_unknown_series_is_a_clear_problem_and_stores_nothing(
    intake: Intake, intake_schema: CommonSettings
) -> None:
    committee_id = uuid.uuid4()
    body = applicant_body(committee_id)
    body["target"]["series"] = "alchemy"
    refused = await refused_and_nothing_stored(intake, intake_schema, body, 400, "invalid_declaration")
    assert refused["errors"][0]["code"] == "unknown_series"
    # The error lists the valid codes (issue 13): the series catalog's, as /api/v1/reference/series.
    assert refused["errors"][0]["facts"]["valid"] == load_series_catalog().codes()


async def test_attachment_over_the_size_limit_is_refused_and_nothing_is_stored(intake: Intake) -> None:
    headers = intake.headers()
    declaration_id = await open_draft(intake, headers)
    url = f"{BASE}/{declaration_id}/attachments"
    params = {"name": "证书.pdf", "kind": "achievement_proof"}

    too_big = await intake.client.post(
        url, params=params, content=b"x" * (MAX_ATTACHMENT + 1), headers={**headers, "Content-Type": "application/pdf"}
    )
    assert_problem(too_big, 413, "attachment_too_large")
    assert (await intake.client.get(url, headers=headers)).json() == []

    fits = await intake.client.post(
        url, params=params, content=b"%PDF-1.7 ok", headers={**headers, "Content-Type": "application/pdf"}
    )
    assert fits.status_code == 201, fits.text
    assert fits.json()["size"] == len(b"%PDF-1.7 ok")
    assert len(fits.json()["sha256"]) == 64


async def test_NA_5_verifiable_proofs_are_not_uploaded(intake: Intake) -> None:
    headers = intake.headers()
    declaration_id = await open_draft(intake, headers)
    response = await upload(intake.client, declaration_id, headers, "identity_document", "身份证.jpg", b"jpeg")
    refused = assert_problem(response, 409, "proof_not_required")
    assert refused["rule"] == "NA-5"
    assert refused["errors"][0]["field"] == "kind"
    # The kind by the catalog's name, not its code (issue 13, messages for display).
    assert refused["detail"] == "身份证件可通过证照、部门数据或网上核验，无需上传（告知承诺）"
    assert (await intake.client.get(f"{BASE}/{declaration_id}/attachments", headers=headers)).json() == []


async def test_RV_1_an_attachment_is_served_to_its_owner_and_the_regions_reviewers_with_its_digest(
    intake: Intake,
) -> None:
    owner = intake.headers()
    declaration_id = await open_draft(intake, owner)
    content = b"%PDF-1.7 degree certificate"
    uploaded = await upload(
        intake.client, declaration_id, owner, "achievement_proof", "学位证书.pdf", content, "application/pdf"
    )
    url = f"{BASE}/{declaration_id}/attachments/{uploaded.json()['id']}"

    mine = await intake.client.get(url, headers=owner)
    assert mine.status_code == 200, mine.text
    assert mine.content == content
    assert mine.headers["content-type"] == "application/pdf"
    assert mine.headers["digest"] == "sha-256=" + base64.b64encode(hashlib.sha256(content).digest()).decode()
    assert "filename*=UTF-8''%E5%AD%A6%E4%BD%8D%E8%AF%81%E4%B9%A6.pdf" in mine.headers["content-disposition"]

    reviewer = intake.headers(roles=("hr_reviewer",), subject="u-ty-reviewer")
    # A draft is the applicant's until submitted: its attachments too (issue 13).
    assert_problem(await intake.client.get(url, headers=reviewer), 404, "not_found")
    submitted = await submit(intake, declaration_id, owner)
    assert submitted.status_code == 200, submitted.text
    assert (await intake.client.get(url, headers=reviewer)).content == content
    auditor = intake.headers(roles=("auditor",), region=SHANXI)
    entries = (await intake.client.get(f"{BASE}/journal", params={"limit": 1000}, headers=auditor)).json()["items"]
    reads = [e for e in entries if e["action"] == "declaration.attachment_read" and e["record_id"] == declaration_id]
    assert [e["actor"] for e in reads] == ["u-ty-reviewer"]  # the owner's own reads are not journaled

    assert_problem(
        await intake.client.get(url, headers=intake.headers(roles=("hr_reviewer",), region=YUNCHENG)),
        403,
        "outside_jurisdiction",
    )
    assert_problem(await intake.client.get(url, headers=intake.headers()), 403, "not_owner")
    assert_problem(
        await intake.client.get(f"{BASE}/{declaration_id}/attachments/{uuid.uuid4()}", headers=owner),
        404,
        "attachment_not_found",
    )


async def test_an_attachment_changed_in_storage_is_refused_not_served(
    intake: Intake, intake_schema: CommonSettings
) -> None:
    owner = intake.headers()
    declaration_id = await open_draft(intake, owner)
    uploaded = await upload(
        intake.client,
        declaration_id,
        owner,
        "achievement_proof",
        "获奖证书.jpg",
        b"\xff\xd8\xff\xe0 original award scan",
        "image/jpeg",
    )
    assert uploaded.status_code == 201, uploaded.text
    attachment_id = uploaded.json()["id"]
    await run_sql(
        intake_schema,
        "intake",
        "UPDATE intake.attachment_contents SET content = :forged WHERE storage_key = :key",
        forged=b"\xff\xd8\xff\xe0 forged award scan",
        key=f"{declaration_id}/{attachment_id}",
    )
    response = await intake.client.get(f"{BASE}/{declaration_id}/attachments/{attachment_id}", headers=owner)
    assert assert_problem(response, 500, "attachment_unavailable")["title"] == "附件暂不可用"


async def test_EL_11_second_promotion_declaration_of_the_year_is_refused(intake: Intake) -> None:
    committee_id = await intake.open_committee()
    headers = intake.headers()
    body = applicant_body(committee_id)
    await submitted_draft(intake, body, headers)
    second = await draft(intake, body, headers)
    response = await submit(intake, second, headers)
    assert assert_problem(response, 409, "not_eligible")["rule"] == "EL-11"


async def test_historical_title_name_maps_onto_the_catalog(intake: Intake, intake_schema: CommonSettings) -> None:
    committee_id = await intake.open_committee()
    body = applicant_body(committee_id)
    body["current_title"].update(rank="senior", title_name="教授级高级工程师")
    body["target"]["rank"] = "senior"
    assert (await intake.client.post(BASE, json=body, headers=intake.headers())).status_code == 201

    wrong = applicant_body(uuid.uuid4())
    wrong["current_title"]["title_name"] = "高级工程师"  # associate senior, declared as intermediate
    response = await intake.client.post(BASE, json=wrong, headers=intake.headers())
    assert assert_problem(response, 400, "invalid_declaration")["errors"][0]["code"] == "title_rank_mismatch"


async def test_CM_4_suspended_committee_takes_no_declarations(intake: Intake) -> None:
    committee_id = await intake.open_committee()
    headers = intake.headers()
    declaration_id = await draft(intake, applicant_body(committee_id), headers)
    await intake.publish("committees.committee.suspended", {"committee_id": str(committee_id), "reason": "程序不完备"})

    async def suspended() -> bool:
        items = (await intake.client.get(f"{BASE}/windows", headers=headers)).json()["items"]
        return any(i["committee_id"] == str(committee_id) and i["status"] == "suspended" for i in items)

    await wait_until(suspended, timeout=10, what="the suspension in intake's projection")
    response = await submit(intake, declaration_id, headers)
    assert assert_problem(response, 409, "not_eligible")["rule"] == "CM-4"


@pytest.mark.parametrize(
    ("event", "data", "status"),
    [
        ("review.declaration.qualified", {"applicant_name": "张三", "series": "engineering"}, "qualified"),
        ("review.declaration.disqualified", {"reason": "材料造假", "rule_ids": ["IN-1"]}, "disqualified"),
        ("review.declaration.rejected", {"step": "unit", "reason": "不符合条件", "rule_ids": ["RV-1"]}, "rejected"),
    ],
)
async def test_review_decisions_move_the_declaration(
    intake: Intake, event: str, data: dict[str, Any], status: str
) -> None:
    committee_id = await intake.open_committee()
    headers = intake.headers()
    declaration_id = await submitted_draft(intake, applicant_body(committee_id), headers)

    await intake.publish(event, {"declaration_id": declaration_id, **data}, subject=declaration_id)
    await status_becomes(intake, declaration_id, headers, status)


async def test_EL_4_years_without_an_assessment_are_named_in_the_refusal(intake: Intake) -> None:
    committee_id = await intake.open_committee()
    headers = intake.headers()
    body = applicant_body(committee_id)
    # Title 2018-12-01, year 2024: in title 2019..2024 (6 years to 2024-12-31). 2020 and 2021 carry no
    # assessment; 2024 is assessed after the deadline. Counted by hand: 2019, 2022, 2023, 2024 = 4 < 5.
    body["assessments"] = [{"year": y, "grade": "qualified"} for y in (2018, 2019, 2022, 2023)]
    declaration_id = await draft(intake, body, headers)

    response = await submit(intake, declaration_id, headers)

    refused = assert_problem(response, 409, "not_eligible")
    assert refused["rule"] == "EL-4"
    (error,) = refused["errors"]
    assert error["facts"]["missing"] == [2020, 2021]
    assert error["facts"]["counted"] == 4
    assert "2020、2021年度未申报年度考核结果" in refused["detail"]


async def test_an_upload_content_type_over_128_characters_is_refused_and_nothing_is_stored(intake: Intake) -> None:
    headers = intake.headers()
    declaration_id = await open_draft(intake, headers)
    url = f"{BASE}/{declaration_id}/attachments"
    params = {"name": "证书.pdf", "kind": "achievement_proof"}
    long_type = "application/" + "x" * 117  # 129 characters: more than the column holds, on no allow-list
    refused = await intake.client.post(
        url, params=params, content=b"%PDF-1.7\n", headers={**headers, "Content-Type": long_type}
    )
    assert assert_problem(refused, 415, "attachment_type_not_allowed")
    assert (await intake.client.get(url, headers=headers)).json() == []


async def test_personal_data_the_reviewers_sealed_texts_of_v2_review_events_are_opened_into_the_history(
    intake: Intake,
) -> None:
    """review.declaration.returned/rejected v2 seal the reviewer's words (issue 12); intake opens them."""
    cipher: PiiCipher = intake.app.state.context.cipher
    committee_id = await intake.open_committee()
    headers = intake.headers()
    declaration_id = await submitted_draft(intake, applicant_body(committee_id), headers)
    sealed = cipher.encrypt("业绩证明不清晰，请补充项目名称")
    returned = {"items": [{"field": "achievements", "message_sealed": sealed}], "deadline": "2030-01-15", "step": "u"}
    await intake.publish_versioned("review.declaration.returned", 2, {"declaration_id": declaration_id, **returned})
    await status_becomes(intake, declaration_id, headers, "returned")
    shown = (await intake.client.get(f"{BASE}/{declaration_id}", headers=headers)).json()
    assert shown["correction_items"] == [{"field": "achievements", "message": "业绩证明不清晰，请补充项目名称"}]


async def test_personal_data_a_reviewer_text_sealed_under_another_key_is_not_applied(intake: Intake) -> None:
    committee_id = await intake.open_committee()
    headers = intake.headers()
    declaration_id = await submitted_draft(intake, applicant_body(committee_id), headers)
    rejected = {"step": "u", "reason_sealed": PiiCipher("another-deployment-key").encrypt("不符合条件"), "rule_ids": []}
    await intake.publish_versioned("review.declaration.rejected", 2, {"declaration_id": declaration_id, **rejected})
    # The next event about the declaration is applied once the unreadable one was set aside.
    qualified = {"declaration_id": declaration_id, "series": "engineering"}
    await intake.publish("review.declaration.qualified", qualified, subject=declaration_id)
    await status_becomes(intake, declaration_id, headers, "qualified")
    history = (await intake.client.get(f"{BASE}/{declaration_id}/history", headers=headers)).json()["items"]
    assert [h["status"] for h in history] == ["draft", "submitted", "qualified"]
