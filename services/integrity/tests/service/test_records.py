"""Entering records: defaults from the policy pack, the effects published as events, bad input refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import assert_problem, credit_code, on_stream, resident_id

from .conftest import TAIYUAN, YUNCHENG, Integrity, create_record, record_body

pytestmark = pytest.mark.service

DECIDED = "cn.zhicheng.integrity.record.decided.v1"


async def refused_and_unchanged(
    integrity: Integrity, headers: dict[str, str], body: dict[str, Any], status: int, code: str
) -> dict[str, Any]:
    """Post a record: refused with this problem, and records, outbox and history unchanged."""
    before = await counts(integrity)
    response = await integrity.client.post("/api/v1/integrity/records", json=body, headers=headers)
    problem = assert_problem(response, status, code)
    assert await counts(integrity) == before
    return problem


async def counts(integrity: Integrity) -> tuple[int, int, int]:
    """Records, outbox rows and history rows entered over HTTP: what a refused request must leave unchanged.

    (Records that review's events open meanwhile, e.g. from other tests of the session, do not count.)
    """
    return (
        await integrity.scalar("SELECT count(*) FROM integrity.records WHERE source = 'manual'"),
        await integrity.scalar("SELECT count(*) FROM integrity.outbox"),
        await integrity.scalar(
            "SELECT count(*) FROM integrity.record_changes c JOIN integrity.records r ON r.id = c.record_id"
            " WHERE r.source = 'manual'"
        ),
    )


async def unit_record(
    integrity: Integrity, headers: dict[str, str], name: str, kind: str, sanction: str, **fields: Any
) -> dict[str, Any]:
    """A record on a unit (a fresh credit code) with the unit sanction ``sanction``."""
    return await create_record(
        integrity.client,
        headers,
        subject_kind="unit",
        subject_id_number=credit_code(),
        subject_name=name,
        kind=kind,
        effects={"unit_sanction": sanction},
        **fields,
    )


async def test_IN_2_NA_13_record_defaults_to_three_years_from_the_pack_and_masks_the_id(
    integrity: Integrity, taiyuan_admin: dict[str, str]
) -> None:
    number = resident_id()
    record = await create_record(integrity.client, taiyuan_admin, subject_id_number=number)

    assert record["status"] == "decided"
    assert record["in_force"] is True
    assert record["valid_from"] == "2026-11-20"
    assert record["valid_until"] == "2029-11-20"  # 3 years, bound included (NA-14)
    assert record["region"] == TAIYUAN  # the clerk's own region by default
    assert record["source"] == "manual"
    assert record["policy_pack"] == "shanxi-2024"
    assert {"EL-20", "IN-1", "IN-2", "NA-13"} <= set(record["rule_ids"])
    assert record["subject_id_masked"] == number[:6] + "********" + number[-4:]
    assert number not in json.dumps(record)
    stored = await integrity.scalar(
        "SELECT subject_id_encrypted FROM integrity.records WHERE id = :id", id=record["id"]
    )
    assert number not in stored
    assert integrity.cipher.decrypt(stored) == number


async def test_EL_20_decided_record_is_published_with_the_contract_fields_within_a_second(
    integrity: Integrity, taiyuan_admin: dict[str, str], zc_settings: CommonSettings, nats_js: Any
) -> None:
    number = resident_id()
    record = await create_record(integrity.client, taiyuan_admin, subject_id_number=number)

    rows = await integrity.outbox(record["id"])
    assert [row["type"] for row in rows] == [DECIDED]
    data = rows[0]["envelope"]["data"]
    assert rows[0]["envelope"]["region"] == TAIYUAN
    assert data["record_id"] == record["id"]
    assert data["subject_kind"] == "person"
    assert data["subject_key"] == integrity.cipher.keyed_hash(number)
    assert data["kind"] == "falsified_materials"
    assert data["effects"] == {
        "bar_declaring": True,
        "bar_expert_draws": False,
        "revoke_certificate_number": None,
        "unit_sanction": None,
    }
    assert (data["valid_from"], data["valid_until"]) == ("2026-11-20", "2029-11-20")
    assert "EL-20" in data["rule_ids"]

    # The relay publishes it to JetStream at once (woken by NOTIFY).
    await on_stream(
        nats_js, zc_settings, "integrity.record.decided", lambda e: e["data"]["record_id"] == record["id"], timeout=5
    )


async def test_IN_1_falsification_names_the_certificate_to_revoke_and_the_expert_to_exclude(
    integrity: Integrity, taiyuan_admin: dict[str, str]
) -> None:
    effects = {"bar_declaring": True, "bar_expert_draws": True, "revoke_certificate_number": "SX2024GJ000123"}
    record = await create_record(integrity.client, taiyuan_admin, kind="plagiarism", effects=effects)

    data = (await integrity.outbox(record["id"]))[0]["envelope"]["data"]
    assert data["effects"]["revoke_certificate_number"] == "SX2024GJ000123"
    assert data["effects"]["bar_expert_draws"] is True
    assert "IN-1" in data["rule_ids"]


async def test_CM_10_committee_violation_publishes_the_unit_sanction_for_committees(
    integrity: Integrity, taiyuan_admin: dict[str, str]
) -> None:
    committee_id = "0193a5b2-7c1e-7d3a-9f4e-2b6c8d0e1f23"
    record = await unit_record(
        integrity,
        taiyuan_admin,
        "太原市某评审委员会组建单位",
        "committee_violation",
        "suspension",
        facts="评审程序不完整，未按规定抽取专家",
        committee_id=committee_id,
    )

    data = (await integrity.outbox(record["id"]))[0]["envelope"]["data"]
    assert data["subject_kind"] == "unit"
    assert data["effects"]["unit_sanction"] == "suspension"
    assert data["committee_id"] == committee_id
    assert "CM-10" in data["rule_ids"]


async def test_IN_3_unit_failing_to_review_is_recorded_with_its_sanction_step(
    integrity: Integrity, taiyuan_admin: dict[str, str]
) -> None:
    record = await unit_record(integrity, taiyuan_admin, "太原市某医院", "unit_failed_review", "rectification")
    assert record["effects"]["unit_sanction"] == "rectification"
    assert "IN-3" in record["rule_ids"]


async def test_unknown_subject_kind_is_a_problem_naming_the_field_and_nothing_changes(
    integrity: Integrity, taiyuan_admin: dict[str, str]
) -> None:
    body = record_body(subject_kind="company")
    problem = await refused_and_unchanged(integrity, taiyuan_admin, body, 422, "validation_failed")
    assert [e["field"] for e in problem["errors"]] == ["subject_kind"]


@pytest.mark.parametrize(
    ("subject_kind", "number"),
    [("person", "140105198001011234"), ("person", "14010519800101"), ("unit", "91140100MA0K000000")],
)
async def test_malformed_id_number_is_a_problem_naming_the_field_and_nothing_changes(
    integrity: Integrity, taiyuan_admin: dict[str, str], subject_kind: str, number: str
) -> None:
    kind = "falsified_materials" if subject_kind == "person" else "unit_failed_review"
    body = record_body(subject_kind=subject_kind, subject_id_number=number, kind=kind, effects={})
    problem = await refused_and_unchanged(integrity, taiyuan_admin, body, 422, "validation_failed")
    assert [e["field"] for e in problem["errors"]] == ["subject_id_number"]
    assert "校验码" in problem["errors"][0]["message"] or "18位" in problem["errors"][0]["message"]


async def test_validity_end_before_start_is_a_problem_and_nothing_changes(
    integrity: Integrity, taiyuan_admin: dict[str, str]
) -> None:
    body = record_body(decision_date="2026-11-20", valid_until="2026-11-19")
    problem = await refused_and_unchanged(integrity, taiyuan_admin, body, 422, "validation_failed")
    assert [e["field"] for e in problem["errors"]] == ["valid_until"]


async def test_IN_2_validity_beyond_the_packs_period_is_refused_with_the_rule(
    integrity: Integrity, taiyuan_admin: dict[str, str]
) -> None:
    body = record_body(valid_until="2029-11-21")
    problem = await refused_and_unchanged(integrity, taiyuan_admin, body, 409, "validity_too_long")
    assert problem["rule"] == "IN-2"
    assert problem["errors"][0]["field"] == "valid_until"


async def test_a_shorter_validity_may_be_decided(integrity: Integrity, taiyuan_admin: dict[str, str]) -> None:
    record = await create_record(integrity.client, taiyuan_admin, valid_until="2027-11-20")
    assert record["valid_until"] == "2027-11-20"


async def test_effects_that_do_not_fit_the_subject_are_refused_naming_each_field(
    integrity: Integrity, taiyuan_admin: dict[str, str]
) -> None:
    body = record_body(
        subject_kind="unit",
        subject_id_number=credit_code(),
        kind="falsified_materials",
        effects={"bar_declaring": True, "revoke_certificate_number": "X1"},
    )
    problem = await refused_and_unchanged(integrity, taiyuan_admin, body, 400, "record_inconsistent")
    assert {e["field"] for e in problem["errors"]} == {
        "kind",
        "effects.bar_declaring",
        "effects.revoke_certificate_number",
    }


async def test_CM_10_committee_violation_without_a_sanction_is_refused(
    integrity: Integrity, taiyuan_admin: dict[str, str]
) -> None:
    body = record_body(subject_kind="unit", subject_id_number=credit_code(), kind="committee_violation", effects={})
    response = await integrity.client.post("/api/v1/integrity/records", json=body, headers=taiyuan_admin)
    problem = assert_problem(response, 409, "sanction_required")
    assert problem["rule"] == "CM-10"


async def test_only_hr_administrators_enter_records_and_only_in_their_jurisdiction(
    integrity: Integrity, taiyuan_admin: dict[str, str], applicant: dict[str, str]
) -> None:
    before = await counts(integrity)
    response = await integrity.client.post("/api/v1/integrity/records", json=record_body(), headers=applicant)
    assert_problem(response, 403, "role_required")
    response = await integrity.client.post(
        "/api/v1/integrity/records", json=record_body(region=YUNCHENG), headers=taiyuan_admin
    )
    assert_problem(response, 403, "outside_jurisdiction")
    response = await integrity.client.post("/api/v1/integrity/records", json=record_body())
    assert_problem(response, 401, "token_missing")
    assert await counts(integrity) == before


async def test_a_decision_dated_after_today_is_refused(integrity: Integrity, taiyuan_admin: dict[str, str]) -> None:
    problem = await refused_and_unchanged(
        integrity, taiyuan_admin, record_body(decision_date="2026-11-23"), 400, "record_inconsistent"
    )
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [("decision_date", "decision_in_future")]
