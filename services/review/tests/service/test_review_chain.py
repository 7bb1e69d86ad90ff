"""The review chain against real PostgreSQL and NATS: claims, signed decisions, returns, publicity,
objections, re-examination, disqualification and qualification."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

from zhicheng_common.auth import Principal
from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.pii import PiiCipher
from zhicheng_common.testing import assert_problem, wait_until
from zhicheng_review.repository import ReviewRepository

from .conftest import START, TAIYUAN, UNIT_KEY, XIAODIAN, YUNCHENG, Harness, submitted_data

CAL = WorkingDayCalendar()


def beijing_morning(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


async def to_publicity(h: Harness, review_id: uuid.UUID) -> None:
    response = await h.decide(review_id, "unit_reviewer")
    assert response.status_code == 201, response.text


async def open_publicity(h: Harness, *review_ids: uuid.UUID) -> dict[str, Any]:
    response = await h.client.post(
        "/api/v1/reviews/publicities",
        json={"review_ids": [str(r) for r in review_ids], "title": "2024年度职称申报人员单位内公示"},
        headers=h.headers("unit_reviewer"),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def file_objection(
    h: Harness, token: str, review_id: uuid.UUID, content: str, contact_name: str, contact_phone: str
) -> Any:
    """Anyone holding the publicity's public link objects to one entry (no sign-in)."""
    body = {
        "review_id": str(review_id),
        "content": content,
        "contact_name": contact_name,
        "contact_phone": contact_phone,
    }
    return await h.client.post(f"/api/v1/reviews/public/publicities/{token}/objections", json=body)


async def through_publicity(h: Harness, review_id: uuid.UUID) -> None:
    await to_publicity(h, review_id)
    publicity = await open_publicity(h, review_id)
    h.move_to(beijing_morning(date.fromisoformat(publicity["closes_on"])))
    assert (await h.run_jobs())["review.close_publicities"] >= 1


# --- chain start, queue, claims -----------------------------------------------------------------


async def test_CH_4_a_submitted_declaration_waits_at_unit_review_with_its_working_days(harness: Harness) -> None:
    review_id = await harness.submit()
    review = await harness.review(review_id)
    assert review["chain_id"] == "unit"
    assert review["step_key"] == "unit_review"
    assert review["status"] == "in_review"
    assert review["step_due"] == "2024-10-09"  # 5 working days across National Day
    response = await harness.client.get("/api/v1/reviews/queue?limit=500", headers=harness.headers("unit_reviewer"))
    assert response.status_code == 200
    mine = [item for item in response.json()["items"] if item["id"] == str(review_id)]
    assert mine
    assert mine[0]["working_days_left"] == 5


async def test_CH_4_the_queue_is_oldest_first(harness: Harness) -> None:
    first = await harness.submit()
    harness.advance_days(1)
    second = await harness.submit()
    response = await harness.client.get("/api/v1/reviews/queue?limit=500", headers=harness.headers("unit_reviewer"))
    ids = [item["id"] for item in response.json()["items"]]
    assert ids.index(str(first)) < ids.index(str(second))


async def test_a_submission_delivered_twice_starts_one_chain(harness: Harness) -> None:
    review_id = await harness.submit()
    review = await harness.review(review_id)
    again = submitted_data(declaration_id=review["declaration_id"], applicant_key="k", committee_id="")
    event_id = await harness.publish_intake("submitted", again, region=XIAODIAN)

    async def consumed() -> bool:
        rows = await harness.sql("SELECT 1 FROM review.inbox WHERE event_id = :id", id=uuid.UUID(event_id))
        return bool(rows)

    await wait_until(consumed, timeout=15, what="the second delivery consumed")
    rows = await harness.sql(
        "SELECT count(*) FROM review.reviews WHERE declaration_id = :id", id=uuid.UUID(review["declaration_id"])
    )
    assert rows[0][0] == 1


async def test_a_withdrawn_declaration_leaves_the_queue(harness: Harness) -> None:
    review_id = await harness.submit()
    declaration_id = (await harness.review(review_id))["declaration_id"]
    await harness.publish_intake("withdrawn", {"declaration_id": declaration_id})

    async def withdrawn() -> bool:
        return (await harness.review(review_id))["status"] == "withdrawn"

    await wait_until(withdrawn, timeout=15, what="withdrawn")
    response = await harness.client.get("/api/v1/reviews/queue?limit=500", headers=harness.headers("unit_reviewer"))
    assert str(review_id) not in [item["id"] for item in response.json()["items"]]
    problem = assert_problem(await harness.decide(review_id, "unit_reviewer"), 409, "review_not_waiting")
    assert problem["detail"] == "该申报当前状态为“已撤回”，不能作出审核决定"  # the status's name, not its code


async def test_two_reviewers_claiming_the_same_declaration_one_wins_the_other_gets_409(harness: Harness) -> None:
    review_id = await harness.submit()
    url = f"/api/v1/reviews/{review_id}/claim"
    first, second = await asyncio.gather(
        harness.client.post(url, headers=harness.headers("unit_reviewer", subject="u-a")),
        harness.client.post(url, headers=harness.headers("unit_reviewer", subject="u-b")),
    )
    statuses = sorted([first.status_code, second.status_code])
    assert statuses == [200, 409], (first.text, second.text)
    loser = first if first.status_code == 409 else second
    assert_problem(loser, 409, "already_claimed")
    winner = (first if first.status_code == 200 else second).json()["claimed_by"]
    # The loser cannot decide either.
    other = "u-b" if winner == "u-a" else "u-a"
    response = await harness.client.post(
        f"/api/v1/reviews/{review_id}/decisions",
        json={"step_key": "unit_review", "outcome": "pass", "opinion": "同意", "signer_unit": "单位"},
        headers=harness.headers("unit_reviewer", subject=other),
    )
    assert_problem(response, 409, "already_claimed")


async def test_a_supervisor_releases_a_claim_another_reviewer_may_not(harness: Harness) -> None:
    review_id = await harness.submit()
    url = f"/api/v1/reviews/{review_id}/claim"
    assert (await harness.client.post(url, headers=harness.headers("unit_reviewer", subject="u-a"))).status_code == 200
    response = await harness.client.delete(url, headers=harness.headers("unit_reviewer", subject="u-b"))
    assert_problem(response, 403, "role_required")
    response = await harness.client.delete(url, headers=harness.headers("supervisor", region=TAIYUAN))
    assert response.status_code == 200
    assert response.json()["claimed_by"] is None
    assert (await harness.client.post(url, headers=harness.headers("unit_reviewer", subject="u-b"))).status_code == 200


async def test_a_reviewer_of_the_wrong_role_gets_403(harness: Harness) -> None:
    review_id = await harness.submit()
    assert_problem(
        await harness.client.post(f"/api/v1/reviews/{review_id}/claim", headers=harness.headers("hr_reviewer")),
        403,
        "role_required",
    )
    assert_problem(await harness.decide(review_id, "dept_reviewer"), 403, "role_required")
    assert (await harness.review(review_id))["step_key"] == "unit_review"


async def test_the_queue_statistics_and_re_examination_routes_admit_only_their_roles(harness: Harness) -> None:
    """review's auth aliases: the role these routes need does not depend on a record, so the route checks it."""
    review_id = await harness.submit()
    queue = await harness.client.get("/api/v1/reviews/queue", headers=harness.headers("applicant"))
    assert_problem(queue, 403, "role_required")
    statistics = await harness.client.get("/api/v1/reviews/statistics", headers=harness.headers("applicant"))
    assert_problem(statistics, 403, "role_required")
    asked = await harness.client.post(
        "/api/v1/reviews/reexaminations",
        json={"review_id": str(review_id), "reason": "认为审核结论有误"},
        headers=harness.headers("unit_reviewer"),
    )
    assert_problem(asked, 403, "role_required")
    assert (
        await harness.client.get("/api/v1/reviews/queue", headers=harness.headers("unit_reviewer"))
    ).status_code == 200
    allowed = await harness.client.get("/api/v1/reviews/statistics", headers=harness.headers("auditor"))
    assert allowed.status_code == 200, allowed.text


async def test_a_reviewer_outside_the_declarations_jurisdiction_gets_403(harness: Harness) -> None:
    review_id = await harness.submit(region=XIAODIAN)
    response = await harness.client.post(
        f"/api/v1/reviews/{review_id}/claim", headers=harness.headers("unit_reviewer", region=YUNCHENG)
    )
    assert_problem(response, 403, "outside_jurisdiction")
    assert_problem(await harness.decide(review_id, "unit_reviewer", region=YUNCHENG), 403, "outside_jurisdiction")
    response = await harness.client.get(f"/api/v1/reviews/{review_id}", headers=harness.headers("supervisor", YUNCHENG))
    assert_problem(response, 403, "outside_jurisdiction")
    response = await harness.client.get(
        "/api/v1/reviews/queue?limit=500", headers=harness.headers("unit_reviewer", YUNCHENG)
    )
    assert str(review_id) not in [item["id"] for item in response.json()["items"]]


# --- signatures ---------------------------------------------------------------------------------


async def test_CH_4_the_signature_on_a_stored_decision_verifies_and_fails_once_the_opinion_is_edited(
    harness: Harness,
) -> None:
    review_id = await harness.submit()
    response = await harness.decide(review_id, "unit_reviewer")
    assert response.status_code == 201, response.text
    decision = response.json()
    assert decision["signer_role"] == "unit_reviewer"
    assert decision["signer_unit"] == "某某单位"
    assert decision["signature"]
    assert decision["key_id"]
    url = f"/api/v1/reviews/decisions/{decision['id']}/verification"
    assert (await harness.client.get(url, headers=harness.admin)).json()["valid"] is True
    await harness.sql("UPDATE review.decisions SET opinion = '不同意' WHERE id = :id", id=uuid.UUID(decision["id"]))
    assert (await harness.client.get(url, headers=harness.admin)).json()["valid"] is False
    jwks = (await harness.client.get("/api/v1/reviews/public/keys")).json()
    assert jwks["keys"][0]["kid"] == decision["key_id"]


async def test_CH_4_the_journal_records_who_decided_when_and_the_opinion(harness: Harness) -> None:
    review_id = await harness.submit()
    decision = (await harness.decide(review_id, "unit_reviewer")).json()
    rows = await harness.sql(
        "SELECT actor, role, reason, rule_ids FROM review.journal WHERE record_id = :id", id=decision["id"]
    )
    assert rows
    assert rows[0][0] == "u-unit_reviewer-140105"
    assert rows[0][1] == "unit_reviewer"
    assert rows[0][2] == "材料真实完整，同意推荐。"
    assert "CH-4" in rows[0][3]


# --- returns and corrections (RV-1..RV-5, NA-5) -------------------------------------------------


async def test_RV_3_a_return_lists_every_item_with_a_deadline_and_the_resubmission_resumes_at_that_step(
    harness: Harness,
) -> None:
    review_id = await harness.submit()
    await through_publicity(harness, review_id)
    assert (await harness.review(review_id))["step_key"] == "department_review"
    harness.move_to(beijing_morning(date(2024, 10, 9)))
    items = [
        {"field": "achievements.paper_1", "message": "论文检索证明缺失"},
        {"field": "post.appointment", "message": "聘任文件未盖章"},
    ]
    response = await harness.decide(review_id, "dept_reviewer", "return", items=items)
    assert response.status_code == 201, response.text
    # 5 working days after 9 Oct 2024: 10, 11, 12 (make-up Saturday), 14, 15 Oct.
    assert response.json()["correction_deadline"] == "2024-10-15"
    assert CAL.working_days_between(date(2024, 10, 9), date(2024, 10, 15)) == 5
    declaration_id = (await harness.review(review_id))["declaration_id"]
    returned = [e for e in await harness.outbox("review.declaration.returned") if e["subject"] == declaration_id]
    event = returned[0]
    assert set(event["data"]) == {"declaration_id", "items", "deadline", "step", "deadline_provisional"}
    assert event["data"]["deadline_provisional"] is False
    # The reviewer's words travel sealed (issue 12, v2): opened with the PII key they read as typed.
    cipher = PiiCipher(harness.settings.pii_key)
    assert event["type"] == "cn.zhicheng.review.declaration.returned.v2"
    assert "论文检索证明缺失" not in json.dumps(event["data"], ensure_ascii=False)
    opened = [{"field": i["field"], "message": cipher.decrypt(i["message_sealed"])} for i in event["data"]["items"]]
    assert opened == items
    assert event["data"]["deadline"] == "2024-10-15"
    assert event["data"]["step"] == "department_review"
    review = await harness.review(review_id)
    assert review["status"] == "returned"
    assert review["correction_deadline"] == "2024-10-15"

    await harness.publish_intake(
        "resubmitted", {"declaration_id": review["declaration_id"], "corrected_fields": ["achievements.paper_1"]}
    )

    async def resumed() -> bool:
        current = await harness.review(review_id)
        return current["status"] == "in_review" and current["step_key"] == "department_review"

    await wait_until(resumed, timeout=15, what="resumed at the returning step")


async def test_RV_3_a_return_without_items_is_refused_and_nothing_changes(harness: Harness) -> None:
    review_id = await harness.submit()
    assert_problem(
        await harness.decide(review_id, "unit_reviewer", "return", items=[]), 409, "correction_items_required", "RV-3"
    )
    review = await harness.review(review_id)
    assert review["status"] == "in_review"
    assert review["step_key"] == "unit_review"
    assert await harness.sql("SELECT 1 FROM review.decisions WHERE review_id = :id", id=review_id) == []


async def test_NA_5_a_return_asking_again_for_online_verifiable_proof_is_refused(harness: Harness) -> None:
    review_id = await harness.submit()
    items = [{"field": "education_verification", "message": "请提供学信网认证报告"}]
    assert_problem(
        await harness.decide(review_id, "unit_reviewer", "return", items=items), 409, "proof_not_to_be_asked", "NA-5"
    )
    assert (await harness.review(review_id))["status"] == "in_review"


async def test_RV_3_an_overdue_correction_turns_the_review_abandoned_through_intake_exactly_once(
    harness: Harness,
) -> None:
    review_id = await harness.submit()
    items = [{"field": "post.appointment", "message": "聘任文件未盖章"}]
    assert (await harness.decide(review_id, "unit_reviewer", "return", items=items)).status_code == 201
    declaration_id = (await harness.review(review_id))["declaration_id"]
    # Intake owns the deadline and says so twice (e.g. two replicas): the chain ends once.
    first = await harness.publish_intake("abandoned", {"declaration_id": declaration_id})
    second = await harness.publish_intake("abandoned", {"declaration_id": declaration_id})

    async def abandoned() -> bool:
        return (await harness.review(review_id))["status"] == "abandoned"

    await wait_until(abandoned, timeout=15, what="abandoned")

    async def both_applied() -> bool:
        rows = await harness.sql(
            "SELECT count(*) FROM review.inbox WHERE consumer = 'review-intake' AND event_id IN (:first, :second)",
            first=uuid.UUID(first),
            second=uuid.UUID(second),
        )
        return bool(rows[0][0] >= 2)

    await wait_until(both_applied, timeout=15, what="both events consumed")
    entries = await harness.sql(
        "SELECT count(*) FROM review.journal WHERE record_id = :id AND action = 'review.abandoned'", id=str(review_id)
    )
    assert entries[0][0] == 1


async def test_RV_4_city_hr_returns_a_non_conforming_declaration_and_never_amends_it(harness: Harness) -> None:
    review_id = await harness.submit()
    await through_publicity(harness, review_id)
    assert (await harness.decide(review_id, "dept_reviewer")).status_code == 201
    assert (await harness.review(review_id))["step_key"] == "city_hr_review"
    response = await harness.decide(review_id, "hr_reviewer", amendments={"education": "本科"})
    assert_problem(response, 409, "amendment_not_allowed", "RV-4")
    assert (await harness.review(review_id))["step_key"] == "city_hr_review"
    items = [{"field": "education", "message": "学历与证书不符"}]
    assert (await harness.decide(review_id, "hr_reviewer", "return", items=items)).status_code == 201
    assert (await harness.review(review_id))["status"] == "returned"


async def test_RV_5_a_department_batch_forwarded_after_its_deadline_is_refused(harness: Harness) -> None:
    review_id = await harness.submit()
    await through_publicity(harness, review_id)
    review = await harness.review(review_id)
    due = date.fromisoformat(review["step_due"])
    assert due == CAL.add_working_days(date.fromisoformat(review["step_since"]), 5)
    harness.move_to(beijing_morning(CAL.add_working_days(due, 1)))
    assert_problem(await harness.decide(review_id, "dept_reviewer"), 409, "batch_late", "RV-5")
    assert (await harness.review(review_id))["step_key"] == "department_review"


async def test_RV_1_a_reviewer_rejects_a_declaration_that_does_not_meet_the_conditions(harness: Harness) -> None:
    review_id = await harness.submit()
    response = await harness.decide(review_id, "unit_reviewer", "reject", opinion="任职年限不足")
    assert response.status_code == 201
    assert (await harness.review(review_id))["status"] == "rejected"
    declaration_id = (await harness.review(review_id))["declaration_id"]
    rejected = [e for e in await harness.outbox("review.declaration.rejected") if e["subject"] == declaration_id]
    assert rejected
    assert rejected[0]["data"]["rule_ids"] == ["RV-1"]
    # The reviewer's reason travels sealed (issue 12, v2).
    assert "任职年限不足" not in json.dumps(rejected[0]["data"], ensure_ascii=False)
    assert PiiCipher(harness.settings.pii_key).decrypt(rejected[0]["data"]["reason_sealed"]) == "任职年限不足"


# --- publicity and objections (RV-6, NA-6, NA-11) -----------------------------------------------


async def test_NA_6_RV_6_a_publicity_with_no_objections_closes_the_day_after_the_5th_working_day(
    harness: Harness,
) -> None:
    review_id = await harness.submit()
    await to_publicity(harness, review_id)
    publicity = await open_publicity(harness, review_id)
    # Opened Thu 26 Sep 2024: 27 Sep, 29 Sep (make-up), 30 Sep, 8 Oct, 9 Oct = 5 working days.
    assert publicity["opened_on"] == "2024-09-26"
    assert publicity["open_through"] == "2024-10-09"
    assert publicity["closes_on"] == "2024-10-10"
    for day in (date(2024, 9, 30), date(2024, 10, 7), date(2024, 10, 8), date(2024, 10, 9)):
        harness.move_to(beijing_morning(day))
        await harness.run_jobs()
        assert (await harness.review(review_id))["status"] == "in_publicity", day
    response = await harness.client.post(
        f"/api/v1/reviews/publicities/{publicity['id']}/close", headers=harness.headers("unit_reviewer")
    )
    assert_problem(response, 409, "publicity_too_short", "RV-6")
    harness.move_to(beijing_morning(date(2024, 10, 10)))
    await harness.run_jobs()
    review = await harness.review(review_id)
    assert review["status"] == "in_review"
    assert review["step_key"] == "department_review"
    detail = await harness.client.get(f"/api/v1/reviews/publicities/{publicity['id']}", headers=harness.admin)
    assert detail.json()["status"] == "closed"
    assert detail.json()["review_ids"] == [str(review_id)]
    assert (await harness.run_jobs())["review.close_publicities"] == 0  # closed once


async def test_RV_6_a_publicity_with_an_unresolved_objection_cannot_close(harness: Harness) -> None:
    review_id = await harness.submit()
    await to_publicity(harness, review_id)
    publicity = await open_publicity(harness, review_id)
    token = publicity["token"]
    notice = await harness.client.get(f"/api/v1/reviews/public/publicities/{token}")
    assert notice.status_code == 200
    assert notice.json()["entries"][0]["review_id"] == str(review_id)
    objection = await file_objection(harness, token, review_id, "申报人论文存在抄袭", "李四", "13800000000")
    assert objection.status_code == 201, objection.text
    stored = await harness.sql(
        "SELECT contact_phone_enc FROM review.objections WHERE id = :id", id=uuid.UUID(objection.json()["id"])
    )
    assert "13800000000" not in stored[0][0]

    harness.move_to(beijing_morning(date(2024, 10, 10)))
    await harness.run_jobs()
    assert (await harness.review(review_id))["status"] == "in_publicity"
    close = await harness.client.post(
        f"/api/v1/reviews/publicities/{publicity['id']}/close", headers=harness.headers("unit_reviewer")
    )
    assert_problem(close, 409, "objections_unresolved", "RV-6")
    listed = await harness.client.get(
        f"/api/v1/reviews/publicities/{publicity['id']}/objections", headers=harness.headers("unit_reviewer")
    )
    assert listed.json()[0]["contact_phone"] == "13800000000"

    resolved = await harness.client.patch(
        f"/api/v1/reviews/objections/{objection.json()['id']}",
        json={"resolution": "dismissed", "reasons": "经核查论文为本人独立完成", "signer_unit": "某某单位"},
        headers=harness.headers("unit_reviewer"),
    )
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "dismissed"
    await harness.run_jobs()
    assert (await harness.review(review_id))["step_key"] == "department_review"


async def test_RV_6_an_upheld_objection_returns_the_declaration_and_the_rest_of_the_batch_moves_on(
    harness: Harness,
) -> None:
    objected, other = await harness.submit(), await harness.submit()
    await to_publicity(harness, objected)
    await to_publicity(harness, other)
    publicity = await open_publicity(harness, objected, other)
    objection = await file_objection(harness, publicity["token"], objected, "业绩不实", "王五", "0351-1234567")
    upheld = await harness.client.patch(
        f"/api/v1/reviews/objections/{objection.json()['id']}",
        json={
            "resolution": "upheld",
            "reasons": "业绩证明与实际不符",
            "action": "return",
            "items": [{"field": "achievements.project_1", "message": "请提供真实的项目验收材料"}],
            "signer_unit": "某某单位",
        },
        headers=harness.headers("unit_reviewer"),
    )
    assert upheld.status_code == 200, upheld.text
    assert (await harness.review(objected))["status"] == "returned"
    harness.move_to(beijing_morning(date.fromisoformat(publicity["closes_on"])))
    await harness.run_jobs()
    assert (await harness.review(other))["step_key"] == "department_review"
    assert (await harness.review(objected))["status"] == "returned"


async def test_NA_11_objections_after_the_publicity_closed_are_refused(harness: Harness) -> None:
    review_id = await harness.submit()
    await through_publicity(harness, review_id)
    # The publicity of this review (other tests open publicities on other days).
    publicity_row = await harness.sql(
        "SELECT p.token FROM review.publicities p JOIN review.reviews r ON r.publicity_id = p.id WHERE r.id = :id",
        id=review_id,
    )
    token = publicity_row[0][0]
    response = await file_objection(harness, token, review_id, "x", "赵六", "13900000000")
    assert_problem(response, 409, "publicity_closed", "RV-6")


async def test_an_objection_without_contact_details_is_a_422_naming_the_field(harness: Harness) -> None:
    review_id = await harness.submit()
    await to_publicity(harness, review_id)
    publicity = await open_publicity(harness, review_id)
    response = await harness.client.post(
        f"/api/v1/reviews/public/publicities/{publicity['token']}/objections",
        json={"review_id": str(review_id), "content": "x"},
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} >= {"contact_name", "contact_phone"}


# --- falsification, re-examination, qualification, statistics ------------------------------------


async def test_IN_1_falsification_found_in_review_disqualifies_and_asks_integrity(harness: Harness) -> None:
    review_id = await harness.submit()
    response = await harness.decide(
        review_id, "unit_reviewer", "disqualify", opinion="伪造学历证书", facts="学历证书编号经学信网核验不存在"
    )
    assert response.status_code == 201, response.text
    review = await harness.review(review_id)
    assert review["status"] == "disqualified"
    requested = [
        e for e in await harness.outbox("review.integrity.requested") if e["subject"] == review["declaration_id"]
    ]
    assert requested[0]["type"] == "cn.zhicheng.review.integrity.requested.v2"
    assert requested[0]["data"]["rule_ids"] == ["IN-1"]
    assert requested[0]["data"]["applicant_key"]
    # The reviewer's account of the facts travels sealed, never in clear (issue 12).
    assert "学历证书编号经学信网核验不存在" not in json.dumps(requested[0]["data"], ensure_ascii=False)
    sealed = requested[0]["data"]["facts_sealed"]
    assert PiiCipher(harness.settings.pii_key).decrypt(sealed) == "学历证书编号经学信网核验不存在"
    disqualified = [
        e for e in await harness.outbox("review.declaration.disqualified") if e["subject"] == review["declaration_id"]
    ]
    assert set(disqualified[0]["data"]) == {"declaration_id", "reason_sealed", "rule_ids"}
    assert PiiCipher(harness.settings.pii_key).decrypt(disqualified[0]["data"]["reason_sealed"]) == "伪造学历证书"


async def test_NA_12_an_applicant_asks_for_re_examination_which_is_assigned_decided_and_sent_back(
    harness: Harness,
) -> None:
    review_id = await harness.submit()
    decision = (await harness.decide(review_id, "unit_reviewer", "reject", opinion="业绩不足")).json()
    applicant = harness.headers("applicant", subject="u-applicant")
    someone_else = harness.headers("applicant", subject="u-another-applicant")
    assert_problem(
        await harness.client.post(
            "/api/v1/reviews/reexaminations",
            json={"review_id": str(review_id), "decision_id": decision["id"], "reason": "代他人申请复查"},
            headers=someone_else,
        ),
        403,
        "not_own_declaration",
    )
    created = await harness.client.post(
        "/api/v1/reviews/reexaminations",
        json={"review_id": str(review_id), "decision_id": decision["id"], "reason": "业绩材料已齐全，申请复查"},
        headers=applicant,
    )
    assert created.status_code == 201, created.text
    url = f"/api/v1/reviews/reexaminations/{created.json()['id']}"
    assert_problem(
        await harness.client.patch(url, json={"assignee": "u-x"}, headers=harness.headers("unit_reviewer")),
        403,
        "role_required",
    )
    supervisor = harness.headers("supervisor", region=TAIYUAN, subject="u-sup")
    assigned = await harness.client.patch(url, json={"assignee": "u-sup"}, headers=supervisor)
    assert assigned.json()["status"] == "assigned"
    decided = await harness.client.patch(
        url, json={"outcome": "upheld", "outcome_text": "经复查，原审核意见正确"}, headers=supervisor
    )
    assert decided.json()["status"] == "decided"
    seen = await harness.client.get(url, headers=applicant)
    assert seen.json()["outcome"] == "upheld"
    declaration_id = (await harness.review(review_id))["declaration_id"]
    events = [e for e in await harness.outbox("review.reexamination.decided") if e["subject"] == declaration_id]
    assert events
    assert events[0]["data"]["outcome"] == "upheld"
    assert "outcome_text" not in events[0]["data"]  # sealed (issue 12, v2)
    assert PiiCipher(harness.settings.pii_key).decrypt(events[0]["data"]["outcome_text_sealed"])


async def test_RV_1_the_committee_office_passing_the_last_step_qualifies_the_declaration(harness: Harness) -> None:
    review_id = await harness.submit()
    await through_publicity(harness, review_id)
    assert (await harness.decide(review_id, "dept_reviewer")).status_code == 201
    assert (await harness.decide(review_id, "hr_reviewer")).status_code == 201
    assert (await harness.decide(review_id, "committee_office")).status_code == 201
    review = await harness.review(review_id)
    assert review["status"] == "qualified"
    qualified = [
        e for e in await harness.outbox("review.declaration.qualified") if e["subject"] == review["declaration_id"]
    ]
    assert set(qualified[0]["data"]) == {
        "declaration_id",
        "committee_id",
        "applicant_key",
        "applicant_name_sealed",
        "year",
        "series",
        "specialty",
        "level",
        "rank",
        "kind",
        "employer_name",
        "unit_key",
        "region",
    }
    # The name travels sealed only (issue 15: results and certificates name the person).
    assert "applicant_name" not in qualified[0]["data"]
    assert PiiCipher(harness.settings.pii_key).decrypt(qualified[0]["data"]["applicant_name_sealed"]) == "张三"
    assert qualified[0]["data"]["employer_name"] == "太原市某某电力有限公司"
    # Intake's keyed hash of the unit passes through, for the experts' same-unit recusal (NA-9).
    assert qualified[0]["data"]["unit_key"] == UNIT_KEY
    assert qualified[0]["data"]["region"] == XIAODIAN
    assert qualified[0]["region"] == XIAODIAN
    decisions = await harness.client.get(f"/api/v1/reviews/{review_id}/decisions", headers=harness.admin)
    assert [d["step_key"] for d in decisions.json()["items"]] == [
        "unit_review",
        "department_review",
        "city_hr_review",
        "committee_office_review",
    ]


async def test_statistics_count_waiting_overdue_and_working_days_spent_per_step(harness: Harness) -> None:
    region = "140106"  # a district of its own, so other tests do not count
    waiting = await harness.submit(region=region)
    done = await harness.submit(region=region)
    harness.move_to(beijing_morning(date(2024, 10, 8)))  # 4 working days later
    assert (await harness.decide(done, "unit_reviewer", region=region)).status_code == 201
    harness.move_to(beijing_morning(date(2024, 10, 10)))  # unit review due 9 Oct: overdue
    response = await harness.client.get("/api/v1/reviews/statistics", headers=harness.headers("supervisor", region))
    assert response.status_code == 200
    steps = {s["step_key"]: s for s in response.json()["steps"]}
    assert steps["unit_review"]["waiting"] == 1
    assert steps["unit_review"]["overdue"] == 1
    assert steps["unit_review"]["completed"] == 1
    assert steps["unit_review"]["median_working_days"] == 4.0
    assert steps["unit_publicity"]["waiting"] == 1
    assert waiting != done
    assert START.date() == date(2024, 9, 26)


async def test_statistics_aggregate_in_sql_one_row_per_span_not_per_stay(harness: Harness) -> None:
    """Issue 12: statistics do not load every stay; the database groups closed stays by span."""
    region = "140121"  # 清徐县: no other test in the session writes declarations there
    reviews = [await harness.submit(region=region) for _ in range(3)]
    harness.move_to(beijing_morning(date(2024, 10, 8)))  # 4 working days after 26 September
    for review_id in reviews:
        assert (await harness.decide(review_id, "unit_reviewer", region=region)).status_code == 201
    supervisor = Principal(subject="u-sup", roles=frozenset({"supervisor"}), region=region, name="监督")
    async with harness.app.state.database.unit_of_work() as session:
        spans = await ReviewRepository(session).closed_spans(supervisor)
        open_counts = await ReviewRepository(session).open_visit_counts(supervisor, date(2024, 10, 8))
    assert spans == [("unit_review", date(2024, 9, 26), date(2024, 10, 8), 3)]  # 3 stays, 1 row
    assert open_counts == {"unit_publicity": (3, 0)}
    response = await harness.client.get("/api/v1/reviews/statistics", headers=harness.headers("supervisor", region))
    steps = {s["step_key"]: s for s in response.json()["steps"]}
    assert (steps["unit_review"]["completed"], steps["unit_review"]["median_working_days"]) == (3, 4.0)
    assert steps["unit_publicity"]["waiting"] == 3


async def test_personal_data_the_applicant_name_sealed_in_the_submitted_event_is_shown_to_clerks(
    harness: Harness,
) -> None:
    """v2 of intake.declaration.submitted seals the name; review opens it for its clerk views."""
    review_id = await harness.submit(applicant_name="张三丰测试")
    assert (await harness.review(review_id))["applicant_name"] == "张三丰测试"
    stored = await harness.sql("SELECT applicant_name FROM review.reviews WHERE id = :id", id=review_id)
    assert stored == [("张三丰测试",)]


async def test_personal_data_a_v1_submitted_event_with_the_name_in_clear_is_still_accepted(harness: Harness) -> None:
    review_id = await harness.submit(applicant_name="李四光测试", in_clear=True)
    assert (await harness.review(review_id))["applicant_name"] == "李四光测试"


async def test_personal_data_a_name_sealed_under_another_key_is_dead_lettered_not_stored(harness: Harness) -> None:
    declaration_id = uuid.uuid4()
    data = {
        "declaration_id": str(declaration_id),
        "applicant_key": "k-other-key",
        "applicant_name_sealed": PiiCipher("another-deployment-key").encrypt("王五"),
        "year": 2024,
        "series": "engineering",
        "specialty": "electrical",
        "level": "intermediate",
        "channel": "employer",
        "region": XIAODIAN,
    }
    await harness.publish_intake("submitted", data, region=XIAODIAN)
    # The durable applies intake's events in order: once the next submission has started its chain,
    # the unreadable one was set aside (dead-lettered), not retried in a loop or stored nameless.
    await harness.submit()
    assert await harness.review_of(declaration_id) is None
