"""Experts entered one by one and in bulk (CSV, xlsx), terms (EX-3), catalogs (NA-2), accounts, export."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid

import pytest
from openpyxl import Workbook, load_workbook

from .conftest import TAIYUAN, Experts, csv_file, csv_row, expert_body, problem, resident_id, wrong_check_digit

pytestmark = pytest.mark.service

IMPORTS = "/api/v1/experts/experts/imports"


async def test_an_expert_is_stored_with_identifiers_encrypted_and_their_keyed_hashes(experts: Experts) -> None:
    number = resident_id()
    spouse = resident_id()
    created = await experts.create(resident_id=number, relationships=[{"kind": "spouse", "other_resident_id": spouse}])
    assert created["resident_id_key"] == experts.cipher.keyed_hash(number)
    assert created["resident_id_masked"] == number[:6] + "********" + number[-4:]
    assert created["title_name"] == "正高级工程师"  # the series' title of the rank held
    assert created["relationships"] == [
        {"kind": "spouse", "other_key": experts.cipher.keyed_hash(spouse), "note": None}
    ]
    stored = await experts.scalar(
        "SELECT resident_id_encrypted FROM experts.experts WHERE id = :i", i=uuid.UUID(created["id"])
    )
    assert number not in stored
    assert experts.cipher.decrypt(stored) == number
    again = await experts.client.post(
        "/api/v1/experts/experts", json=expert_body(resident_id=number), headers=experts.headers()
    )
    problem(again, 409, "expert_exists")


async def test_one_person_entered_eight_times_at_once_is_stored_once_and_the_others_get_409(experts: Experts) -> None:
    """Entries racing past the "already in the pool" check meet the unique index: 409, never 500."""
    body = expert_body(resident_id=resident_id())
    responses = await asyncio.gather(
        *(experts.client.post("/api/v1/experts/experts", json=body, headers=experts.headers()) for _ in range(8))
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 7
    for response in responses:
        if response.status_code == 409:
            problem(response, 409, "expert_exists")


async def test_EX_3_a_term_longer_than_the_packs_three_years_is_refused(experts: Experts) -> None:
    # A term from 2025-01-01 of 3 years ends on 2027-12-31 (NA-14); one more day is too long.
    response = await experts.client.post(
        "/api/v1/experts/experts",
        json=expert_body(terms=[{"starts_on": "2025-01-01", "ends_on": "2028-01-01"}]),
        headers=experts.headers(),
    )
    body = problem(response, 409, "term_too_long")
    assert body["rule"] == "EX-3"
    assert "2027-12-31" in body["detail"]
    assert body["errors"][0]["field"] == "terms.0"


async def test_NA_2_series_specialty_and_title_come_from_the_catalog(experts: Experts) -> None:
    response = await experts.client.post(
        "/api/v1/experts/experts",
        json=expert_body(specialties=["basket_weaving"], title_name="高级工程师"),
        headers=experts.headers(),
    )
    body = problem(response, 400, "expert_invalid")
    assert {(e["field"], e["code"]) for e in body["errors"]} == {
        ("specialties.0", "unknown_specialty"),
        ("title_name", "title_rank_mismatch"),  # 高级工程师 is associate_senior, not senior
    }


async def test_import_with_a_wrong_id_check_digit_on_row_7_names_row_7_and_stores_nothing(experts: Experts) -> None:
    rows = [csv_row() for _ in range(8)]
    # Rows 2..9 of the file (row 1 is the header): the sixth expert is on row 7.
    rows[5]["resident_id"] = wrong_check_digit(rows[5]["resident_id"])
    keys = [experts.cipher.keyed_hash(r["resident_id"]) for r in rows]
    response = await experts.client.post(
        IMPORTS, content=csv_file(rows), headers={**experts.headers(), "Content-Type": "text/csv"}
    )
    body = problem(response, 422, "import_rows_invalid")
    assert [(e["field"], e["facts"]) for e in body["errors"]] == [("rows.7.resident_id", {"row": 7})]
    assert "第7行" in body["detail"]
    assert "校验码" in body["errors"][0]["message"]
    stored = await experts.scalar("SELECT count(*) FROM experts.experts WHERE resident_id_key = ANY(:keys)", keys=keys)
    assert stored == 0


async def test_import_of_the_valid_rows_only_when_asked(experts: Experts) -> None:
    rows = [csv_row() for _ in range(8)]
    rows[5]["resident_id"] = wrong_check_digit(rows[5]["resident_id"])
    rows[2]["term_end"] = "2028-07-01"  # row 4: a term from 2025-07-01 ends by 2028-06-30 (EX-3)
    response = await experts.client.post(
        f"{IMPORTS}?accept_valid_rows=true",
        content=csv_file(rows),
        headers={**experts.headers(), "Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["rows"], report["valid_rows"], report["stored"]) == (8, 6, 6)
    assert [(e["row"], e["field"], e["code"]) for e in report["errors"]] == [
        (4, "terms.0", "term_too_long"),
        (7, "resident_id", "value_error"),
    ]
    read = await experts.client.get(f"/api/v1/experts/experts/{report['expert_ids'][0]}", headers=experts.headers())
    assert read.json()["specialties"] == ["mechanical", "electrical"]
    assert read.json()["ownership_kind"] == "state_owned_enterprise"  # 国有企业 in the file


async def test_import_from_xlsx_and_a_repeated_person_in_the_same_file(experts: Experts) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        [
            "姓名",
            "身份证号",
            "工作单位",
            "统一社会信用代码",
            "单位性质",
            "职称系列",
            "专业",
            "职称级别",
            "行政区划",
            "聘期开始",
            "聘期结束",
        ]
    )
    first = csv_row()
    twice = csv_row(resident_id=first["resident_id"])
    for row in (first, twice):
        sheet.append(
            [
                row[k]
                for k in (
                    "name",
                    "resident_id",
                    "unit_name",
                    "unit_credit_code",
                    "ownership_kind",
                    "series",
                    "specialties",
                    "rank_held",
                    "region",
                    "term_start",
                    "term_end",
                )
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    response = await experts.client.post(
        IMPORTS,
        content=buffer.getvalue(),
        headers={
            **experts.headers(),
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
    )
    body = problem(response, 422, "import_rows_invalid")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("rows.3.resident_id", "duplicate_row")]


async def test_import_of_another_type_or_an_unreadable_file(experts: Experts) -> None:
    wrong_type = await experts.client.post(
        IMPORTS, content=b"%PDF-1.7", headers={**experts.headers(), "Content-Type": "application/pdf"}
    )
    problem(wrong_type, 415, "import_type_not_supported")
    no_columns = await experts.client.post(
        IMPORTS, content="姓名\n张三\n".encode(), headers={**experts.headers(), "Content-Type": "text/csv"}
    )
    assert "身份证号" in problem(no_columns, 422, "import_unreadable")["detail"]


async def test_export_masks_identifiers_and_is_for_staff_only(experts: Experts) -> None:
    number = resident_id()
    await experts.create(resident_id=number, series="engineering", name="赵六")
    response = await experts.client.get(
        "/api/v1/experts/experts/export?format=csv&series=engineering", headers=experts.headers("auditor")
    )
    assert response.status_code == 200, response.text
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][:2] == ["姓名", "身份证号"]
    assert [number[:6] + "********" + number[-4:]] == [line[1] for line in lines[1:] if line[0] == "赵六"][:1]
    assert number not in response.text
    xlsx = await experts.client.get("/api/v1/experts/experts/export?format=xlsx", headers=experts.headers("supervisor"))
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert next(sheet.iter_rows(values_only=True))[0] == "姓名"
    denied = await experts.client.get("/api/v1/experts/experts/export", headers=experts.headers("applicant"))
    problem(denied, 403, "role_required")


async def test_an_expert_signs_in_with_the_linked_account(experts: Experts) -> None:
    created = await experts.create()
    subject = f"expert-{uuid.uuid4().hex[:6]}"
    linked = await experts.client.put(
        f"/api/v1/experts/experts/{created['id']}/account", json={"account_subject": subject}, headers=experts.headers()
    )
    assert linked.json()["account_subject"] == subject
    mine = await experts.client.get("/api/v1/experts/experts/me", headers=experts.headers("expert", subject=subject))
    assert mine.json()["id"] == created["id"]
    other = await experts.create()
    taken = await experts.client.put(
        f"/api/v1/experts/experts/{other['id']}/account", json={"account_subject": subject}, headers=experts.headers()
    )
    problem(taken, 409, "account_already_linked")
    nobody = await experts.client.get("/api/v1/experts/experts/me", headers=experts.headers("expert"))
    problem(nobody, 404, "no_expert_record")


async def test_staff_act_only_within_their_region(experts: Experts) -> None:
    created = await experts.create(region=TAIYUAN)
    yuncheng = experts.headers("committee_office", region="140800")
    problem(
        await experts.client.get(f"/api/v1/experts/experts/{created['id']}", headers=yuncheng),
        403,
        "outside_jurisdiction",
    )
    response = await experts.client.post("/api/v1/experts/experts", json=expert_body(), headers=yuncheng)
    problem(response, 403, "outside_jurisdiction")


async def test_an_import_file_may_be_larger_than_an_ordinary_request(experts: Experts) -> None:
    # 6,500 rows (about 170 bytes each) pass the 1 MiB limit of an ordinary body; the import has
    # the upload allowance.
    numbers: set[str] = set()
    while len(numbers) < 6500:  # random numbers may repeat in 6,500 draws; the file must not
        numbers.add(resident_id())
    rows = [csv_row(resident_id=number) for number in sorted(numbers)]
    data = csv_file(rows)
    assert len(data) > 1024 * 1024
    response = await experts.client.post(
        f"{IMPORTS}?accept_valid_rows=true", content=data, headers={**experts.headers(), "Content-Type": "text/csv"}
    )
    assert response.status_code == 201, response.text[:300]
    assert response.json()["stored"] == 6500


async def test_EX_3_a_change_is_checked_as_an_entry_and_a_status_change_is_journaled(experts: Experts) -> None:
    created = await experts.create()
    url = f"/api/v1/experts/experts/{created['id']}"
    too_long = await experts.client.patch(
        url, json={"terms": [{"starts_on": "2028-01-01", "ends_on": "2031-01-01"}]}, headers=experts.headers()
    )
    assert problem(too_long, 409, "term_too_long")["rule"] == "EX-3"
    changed = await experts.client.patch(
        url,
        json={
            "terms": [
                {"starts_on": "2025-01-01", "ends_on": "2027-12-31"},
                {"starts_on": "2028-01-01", "ends_on": "2030-12-31"},
            ],
            "specialties": ["electrical", "computer"],
        },
        headers=experts.headers(),
    )
    assert [t["ends_on"] for t in changed.json()["terms"]] == ["2027-12-31", "2030-12-31"]
    assert changed.json()["specialties"] == ["electrical", "computer"]
    suspended = await experts.client.put(
        f"{url}/status", json={"status": "suspended", "reason": "本人申请暂停一年"}, headers=experts.headers()
    )
    assert suspended.json()["status"] == "suspended"
    reason = await experts.scalar(
        "SELECT reason FROM experts.journal WHERE record_id = :r AND action = 'expert.status_changed'", r=created["id"]
    )
    assert reason == "本人申请暂停一年"
