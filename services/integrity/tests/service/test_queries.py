"""Reading records by subject, kind, region and year within jurisdiction; the subject's own view; reads journaled."""

from __future__ import annotations

import pytest

from zhicheng_common.testing import TestKeys, assert_problem, credit_code, resident_id

from .conftest import SHANXI, TAIYUAN, YUNCHENG, Integrity, create_record

pytestmark = pytest.mark.service


async def test_a_city_user_cannot_read_another_citys_records_and_every_read_is_journaled(
    integrity: Integrity, taiyuan_admin: dict[str, str], yuncheng_admin: dict[str, str], zc_keys: TestKeys
) -> None:
    number = resident_id()
    yuncheng = await create_record(integrity.client, yuncheng_admin, subject_id_number=number)
    taiyuan_reader = zc_keys.headers(roles=["hr_reviewer"], region=TAIYUAN, subject="taiyuan-reviewer")

    response = await integrity.client.get(f"/api/v1/integrity/records/{yuncheng['id']}", headers=taiyuan_reader)
    assert_problem(response, 403, "outside_jurisdiction")
    listed = await integrity.client.get("/api/v1/integrity/records?limit=200", headers=taiyuan_reader)
    assert listed.status_code == 200
    assert yuncheng["id"] not in {item["id"] for item in listed.json()["items"]}
    assert all(item["region"].startswith("1401") for item in listed.json()["items"])
    searched = await integrity.client.post(
        "/api/v1/integrity/records/search", json={"subject_id_number": number}, headers=taiyuan_reader
    )
    assert searched.status_code == 200
    assert searched.json() == []
    response = await integrity.client.get(
        "/api/v1/integrity/records", params={"region": YUNCHENG}, headers=taiyuan_reader
    )
    assert_problem(response, 403, "outside_jurisdiction")

    # Yuncheng's own clerk reads it; so does the province.
    own = await integrity.client.get(f"/api/v1/integrity/records/{yuncheng['id']}", headers=yuncheng_admin)
    assert own.status_code == 200
    province = zc_keys.headers(roles=["auditor"], region=SHANXI, subject="shanxi-auditor")
    assert (
        await integrity.client.get(f"/api/v1/integrity/records/{yuncheng['id']}", headers=province)
    ).status_code == 200

    reads = await integrity.journal(action="integrity.record.read", record_id=yuncheng["id"])
    assert [(e["actor"], e["region"]) for e in reads] == [("yuncheng-admin", YUNCHENG), ("shanxi-auditor", SHANXI)]
    taiyuan_entries = await integrity.journal(actor="taiyuan-reviewer")
    assert {e["action"] for e in taiyuan_entries} >= {"integrity.record.listed", "integrity.record.searched"}
    searched_entry = next(e for e in taiyuan_entries if e["action"] == "integrity.record.searched")
    assert searched_entry["data"]["subject_key"] == integrity.cipher.keyed_hash(number)
    assert number not in str(taiyuan_entries)


async def test_records_are_found_by_subject_kind_region_and_year(
    integrity: Integrity, taiyuan_admin: dict[str, str]
) -> None:
    number = resident_id()
    first = await create_record(integrity.client, taiyuan_admin, subject_id_number=number, decision_date="2025-03-01")
    second = await create_record(
        integrity.client,
        taiyuan_admin,
        subject_id_number=number,
        kind="expert_misconduct",
        effects={"bar_expert_draws": True},
        region="140105",
    )

    by_subject = await integrity.client.post(
        "/api/v1/integrity/records/search",
        json={"subject_kind": "person", "subject_id_number": number.lower()},
        headers=taiyuan_admin,
    )
    assert [r["id"] for r in by_subject.json()] == [first["id"], second["id"]]

    async def ids(**params: str | int) -> set[str]:
        response = await integrity.client.get(
            "/api/v1/integrity/records", params={"limit": 200, **params}, headers=taiyuan_admin
        )
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert second["id"] in await ids(kind="expert_misconduct")
    assert first["id"] not in await ids(kind="expert_misconduct")
    assert first["id"] in await ids(year=2025)
    assert second["id"] not in await ids(year=2025)
    assert await ids(region="140105") >= {second["id"]}
    assert first["id"] not in await ids(region="140105")


async def test_the_subject_sees_their_own_records_wherever_decided_and_the_read_is_journaled(
    integrity: Integrity, yuncheng_admin: dict[str, str], zc_keys: TestKeys
) -> None:
    number = resident_id()
    record = await create_record(integrity.client, yuncheng_admin, subject_id_number=number)
    me = zc_keys.headers(
        roles=["applicant"], region=TAIYUAN, subject="applicant-zhang", person_key=integrity.cipher.keyed_hash(number)
    )

    response = await integrity.client.post(
        "/api/v1/integrity/my-records", json={"subject_id_number": number}, headers=me
    )
    assert response.status_code == 200, response.text
    assert [r["id"] for r in response.json()] == [record["id"]]
    assert response.json()[0]["subject_id_masked"] != number
    entries = await integrity.journal(actor="applicant-zhang", action="integrity.record.read_by_subject")
    assert entries[-1]["data"]["record_ids"] == [record["id"]]


async def test_staff_roles_only_read_records_and_subjects_only_their_own(
    integrity: Integrity, applicant: dict[str, str], taiyuan_admin: dict[str, str]
) -> None:
    record = await create_record(integrity.client, taiyuan_admin)
    response = await integrity.client.get(f"/api/v1/integrity/records/{record['id']}", headers=applicant)
    assert_problem(response, 403, "role_required")
    response = await integrity.client.post(
        "/api/v1/integrity/my-records", json={"subject_id_number": resident_id()}, headers=taiyuan_admin
    )
    assert_problem(response, 403, "role_required")


async def test_an_unknown_record_is_a_404_problem(integrity: Integrity, taiyuan_admin: dict[str, str]) -> None:
    response = await integrity.client.get(
        "/api/v1/integrity/records/0193a5b2-7c1e-7d3a-9f4e-000000000000", headers=taiyuan_admin
    )
    assert_problem(response, 404, "record_not_found")


async def test_issue12_own_records_refuse_a_number_that_is_not_the_callers_and_reveal_nothing(
    integrity: Integrity, taiyuan_admin: dict[str, str], zc_keys: TestKeys
) -> None:
    """Issue 12: an applicant typing someone else's number gets one 403, record or not; nothing journaled as read."""
    applicant = zc_keys.headers(
        roles=["applicant"],
        region=TAIYUAN,
        subject="applicant-li",
        person_key=integrity.cipher.keyed_hash(resident_id()),
    )
    someone = resident_id()
    await create_record(integrity.client, taiyuan_admin, subject_id_number=someone)
    nobody = resident_id()  # no record at all

    with_record = await integrity.client.post(
        "/api/v1/integrity/my-records", json={"subject_id_number": someone}, headers=applicant
    )
    without_record = await integrity.client.post(
        "/api/v1/integrity/my-records", json={"subject_id_number": nobody}, headers=applicant
    )
    first = assert_problem(with_record, 403, "not_own_subject")
    second = assert_problem(without_record, 403, "not_own_subject")
    # Same answer whether a record exists or not (trace ids aside).
    assert {k: v for k, v in first.items() if k != "trace_id"} == {k: v for k, v in second.items() if k != "trace_id"}
    # An account with no verified identity reads nothing either, even with the record's own number.
    unbound = zc_keys.headers(roles=["applicant"], region=TAIYUAN, subject="applicant-unbound")
    response = await integrity.client.post(
        "/api/v1/integrity/my-records", json={"subject_id_number": someone}, headers=unbound
    )
    assert_problem(response, 403, "not_own_subject")
    assert await integrity.journal(action="integrity.record.read_by_subject", actor="applicant-li") == []


async def test_issue12_a_unit_account_reads_only_its_own_units_records(
    integrity: Integrity, taiyuan_admin: dict[str, str], zc_keys: TestKeys
) -> None:
    """Issue 12: a unit account bound to one credit code cannot read another unit's records."""
    ours, theirs = credit_code(), credit_code()
    body = {
        "subject_kind": "unit",
        "kind": "unit_failed_review",
        "subject_name": "某某公司",
        "effects": {"unit_sanction": "rectification"},
    }
    mine = await create_record(integrity.client, taiyuan_admin, subject_id_number=ours, **body)
    await create_record(integrity.client, taiyuan_admin, subject_id_number=theirs, **body)
    unit = zc_keys.headers(
        roles=["unit_reviewer"], region=TAIYUAN, subject="unit-hr", unit_key=integrity.cipher.keyed_hash(ours)
    )

    own = await integrity.client.post(
        "/api/v1/integrity/my-records", json={"subject_kind": "unit", "subject_id_number": ours}, headers=unit
    )
    assert own.status_code == 200, own.text
    assert [r["id"] for r in own.json()] == [mine["id"]]
    other = await integrity.client.post(
        "/api/v1/integrity/my-records", json={"subject_kind": "unit", "subject_id_number": theirs}, headers=unit
    )
    assert_problem(other, 403, "not_own_subject")
