"""The province read model, fed by events published the way the producers do: stages and their
working days (NA-14), certificates and their status, the queries with jurisdiction in the SQL,
keyset pages, and every read of personal data journaled with the record's region."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import openpyxl
import pytest

from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys, assert_problem, jetstream, run_sql
from zhicheng_gateway.readmodel.workbook import XLSX

from .conftest import SHANXI, Gateway
from .feeds_helpers import issue_key
from .readmodel_helpers import Season, a_season, module_gateway

pytestmark = pytest.mark.service

JINCHENG, JINCHENG_COUNTY = "140500", "140502"
SHUOZHOU, SHUOZHOU_COUNTY = "140600", "140602"
QUERIES = "/api/v1/province"


def staff(zc_keys: TestKeys, region: str, role: str = "hr_admin") -> dict[str, str]:
    return zc_keys.headers(roles=[role], region=region, subject=f"staff-{region}")


@pytest.fixture(scope="module")
async def gateway(readmodel_schema: CommonSettings) -> AsyncIterator[Gateway]:
    """One gateway for the module: its durables keep their pulls between the tests."""
    async with module_gateway(readmodel_schema) as running:
        yield running


@pytest.fixture(scope="module")
async def season(gateway: Gateway, readmodel_schema: CommonSettings) -> AsyncIterator[dict[str, Any]]:
    async with jetstream(readmodel_schema) as js:
        yield await a_season(Season(js, readmodel_schema), JINCHENG, SHUOZHOU)


async def test_NA_14_a_declarations_stages_count_working_days_after_each_entry(
    gateway: Gateway, zc_keys: TestKeys, season: dict[str, Any]
) -> None:
    response = await gateway.client.get(
        f"{QUERIES}/declarations", params={"region": JINCHENG_COUNTY, "year": 2026}, headers=staff(zc_keys, JINCHENG)
    )
    assert response.status_code == 200, response.text
    by_id = {item["declaration_id"]: item for item in response.json()["items"]}
    d1 = by_id[season["d1"]]
    # 2 Mar (Mon) → 4 Mar: the 3rd and 4th; → 9 Mar: 5, 6, 9; → 12 Mar: 10-12; → 20 Mar: 13, 16-20; → 23 Mar: the 23rd.
    assert [(s["stage"], s["working_days"]) for s in d1["stages"]] == [
        ("submitted", 2),
        ("returned", 3),
        ("resubmitted", 3),
        ("qualified", 6),
        ("passed", 1),
        ("certified", None),
    ]
    assert (d1["stage"], d1["certificate_number"]) == ("certified", "ZC-1405-2026-0001")
    assert (d1["returned_count"], d1["result"]) == (1, "passed")
    d2 = by_id[season["d2"]]
    assert (d2["stage"], d2["due"], d2["overdue"]) == ("returned", "2026-03-10", True)


async def test_declarations_by_stage_overdue_and_committee_stay_within_the_city(
    gateway: Gateway, zc_keys: TestKeys, season: dict[str, Any]
) -> None:
    headers = staff(zc_keys, JINCHENG)
    overdue = await gateway.client.get(
        f"{QUERIES}/declarations", params={"overdue": "true", "committee_id": season["jc"]}, headers=headers
    )
    assert [d["declaration_id"] for d in overdue.json()["items"]] == [season["d2"]]
    # Shuozhou's committee, asked for by a Jincheng user: nothing (jurisdiction is in the WHERE).
    other = await gateway.client.get(f"{QUERIES}/declarations", params={"committee_id": season["sz"]}, headers=headers)
    assert other.json()["items"] == []
    province = await gateway.client.get(
        f"{QUERIES}/declarations",
        params={"stage": "not_passed", "committee_id": season["sz"]},
        headers=staff(zc_keys, SHANXI, "province_admin"),
    )
    assert [d["declaration_id"] for d in province.json()["items"]] == [season["d3"]]


async def test_certificates_by_name_resident_id_number_and_status_within_the_jurisdiction(
    gateway: Gateway, zc_keys: TestKeys, season: dict[str, Any], readmodel_schema: CommonSettings
) -> None:
    province = staff(zc_keys, SHANXI, "province_admin")
    by_id = await gateway.client.get(
        f"{QUERIES}/certificates", params={"resident_id": season["zhao"]}, headers=province
    )
    assert by_id.status_code == 200, by_id.text
    [revoked] = by_id.json()["items"]
    assert (revoked["certificate_number"], revoked["status"], revoked["holder_name"]) == (
        "ZC-1406-2026-0001",
        "revoked",
        "赵朔",
    )
    by_name = await gateway.client.get(f"{QUERIES}/certificates", params={"name": "王晋"}, headers=province)
    # Other modules' seasons name their holders alike: every answer is a 王晋, ours among them.
    assert "ZC-1405-2026-0001" in {c["certificate_number"] for c in by_name.json()["items"]}
    assert {c["holder_name"] for c in by_name.json()["items"]} == {"王晋"}
    # The Jincheng user asks for the Shuozhou holder by ID number and by certificate number: nothing.
    jincheng = staff(zc_keys, JINCHENG)
    for params in ({"resident_id": season["zhao"]}, {"certificate_number": "ZC-1406-2026-0001"}):
        response = await gateway.client.get(f"{QUERIES}/certificates", params=params, headers=jincheng)
        assert response.json()["items"] == []
    assert_problem(
        await gateway.client.get(
            f"{QUERIES}/certificates", params={"resident_id": "140502198505050110"}, headers=province
        ),
        400,
        "bad_resident_id",
    )
    # The reads were journaled in the records' regions.
    rows = await run_sql(
        readmodel_schema,
        "gateway",
        "SELECT record_region FROM gateway.journal WHERE action = 'readmodel.certificates.queried'"
        " AND record_id = 'ZC-1406-2026-0001'",
    )
    assert (SHUOZHOU_COUNTY,) in rows


async def test_certificate_pages_follow_the_keyset_cursor_in_order(
    gateway: Gateway, zc_keys: TestKeys, season: dict[str, Any]
) -> None:
    headers = staff(zc_keys, SHANXI, "province_admin")
    seen: list[str] = []
    cursor = None
    for _ in range(50):
        params: dict[str, Any] = {"sort": "certificate_number", "order": "asc", "limit": 1, "series": "engineering"}
        if cursor:
            params["after"] = cursor
        page = (await gateway.client.get(f"{QUERIES}/certificates", params=params, headers=headers)).json()
        seen += [c["certificate_number"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(set(seen))
    assert {"ZC-1405-2026-0001", "ZC-1406-2026-0001"} <= set(seen)
    wrong = await gateway.client.get(
        f"{QUERIES}/certificates",
        params={"sort": "obtained_on", "after": cursor or "bm90LWEtY3Vyc29y"},
        headers=headers,
    )
    assert wrong.status_code in (200, 400)
    assert_problem(
        await gateway.client.get(f"{QUERIES}/certificates", params={"after": "bm90LWEtY3Vyc29y"}, headers=headers),
        400,
        "bad_query_cursor",
    )


async def test_MT_5_statistics_per_city_count_and_rate_by_hand(
    gateway: Gateway, zc_keys: TestKeys, season: dict[str, Any]
) -> None:
    response = await gateway.client.get(
        f"{QUERIES}/statistics",
        params={"by": "committee", "year": 2026},
        headers=staff(zc_keys, SHANXI, "province_admin"),
    )
    assert response.status_code == 200, response.text
    rows = {row["key"]: row for row in response.json()["rows"]}
    jc, sz = rows[season["jc"]], rows[season["sz"]]
    assert (jc["declared"], jc["qualified"], jc["evaluated"], jc["passed"], jc["overdue"]) == (2, 1, 1, 1, 1)
    assert (jc["pass_rate"], jc["label"]) == (1.0, f"{JINCHENG} 工程系列中级评委会")
    assert (sz["declared"], sz["qualified"], sz["evaluated"], sz["passed"], sz["pass_rate"]) == (1, 1, 1, 0, 0.0)
    # Jincheng's submitted stage: 2 working days (d1) and 1 (d2, 2 → 3 Mar): median 1.5, p90 1.9.
    assert jc["stage_days"]["submitted"] == {"median": 1.5, "p90": 1.9}
    chart = response.json()["chart"]
    assert chart["dimension"] == "committee"
    assert f"{JINCHENG} 工程系列中级评委会" in chart["categories"]
    city = await gateway.client.get(
        f"{QUERIES}/statistics", params={"by": "city", "year": 2026}, headers=staff(zc_keys, JINCHENG)
    )
    assert [row["key"] for row in city.json()["rows"]] == [JINCHENG]


async def test_MT_5_the_statistics_workbook_has_a_sheet_per_dimension_with_native_charts(
    gateway: Gateway, zc_keys: TestKeys, season: dict[str, Any]
) -> None:
    response = await gateway.client.get(
        f"{QUERIES}/statistics.xlsx", params={"year": 2026}, headers=staff(zc_keys, JINCHENG)
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["全省", "按市", "按评委会", "按系列", "按级别", "按年度"]
    city = [list(row) for row in book["按市"].iter_rows(values_only=True)]
    assert city[0][:7] == ["分组", "申报", "资格审查通过", "参评", "评审通过", "通过率", "超期"]
    assert city[1][:7] == [JINCHENG, 2, 1, 1, 1, 1, 1]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        charts = [name for name in archive.namelist() if name.startswith("xl/charts/chart")]
    assert len(charts) == 2 * 6  # a bar and a line chart on each sheet


async def test_DA_1_collects_every_certificate_holder_of_the_jurisdiction(
    gateway: Gateway, zc_keys: TestKeys, season: dict[str, Any]
) -> None:
    response = await gateway.client.get(
        f"{QUERIES}/exports/da1", params={"year": 2026}, headers=staff(zc_keys, JINCHENG)
    )
    assert response.status_code == 200, response.text
    rows = response.json()["items"]
    assert [row["certificate_number"] for row in rows] == ["ZC-1405-2026-0001"]
    row = rows[0]
    assert (row["name"], row["gender"], row["practiced_specialty"], row["field"], row["title"]) == (
        "王晋",
        "female",
        "civil",
        "engineering",
        "工程师",
    )
    assert (row["employer_name"], row["channel"], row["region"]) == ("示例设计院", "unit", JINCHENG_COUNTY)
    # Highest education and major as d1 was submitted with them (v3).
    assert (row["highest_education"], row["major"]) == ("master", "结构工程")
    # The workbook of the year: the same row, in the collection's columns.
    response = await gateway.client.get(
        f"{QUERIES}/exports/da1.xlsx", params={"year": 2026}, headers=staff(zc_keys, JINCHENG)
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["职称信息采集"]
    assert [list(line) for line in book.active.iter_rows(values_only=True)] == [
        [
            "证书编号",
            "姓名",
            "性别",
            "最高学历",
            "所学专业",
            "现从事专业",
            "领域（系列）",
            "职称",
            "级别",
            "工作单位",
            "申报渠道",
            "年度",
            "地区",
        ],
        [
            "ZC-1405-2026-0001",
            "王晋",
            "女",
            "master",
            "结构工程",
            "civil",
            "engineering",
            "工程师",
            "intermediate",
            "示例设计院",
            "unit",
            2026,
            JINCHENG_COUNTY,
        ],
    ]
    # A direct recognition has no declaration, so neither.
    response = await gateway.client.get(
        f"{QUERIES}/exports/da1", params={"year": 2026}, headers=staff(zc_keys, SHUOZHOU)
    )
    [direct] = response.json()["items"]
    assert (direct["certificate_number"], direct["highest_education"], direct["major"]) == (
        "ZC-1406-2026-0001",
        None,
        None,
    )


async def test_DA_1_education_is_stored_sealed_and_a_v2_submission_still_projects(
    readmodel_schema: CommonSettings, season: dict[str, Any]
) -> None:
    rows = await run_sql(
        readmodel_schema,
        "gateway",
        "SELECT declaration_id::text, stage, education_sealed FROM gateway.rm_declarations"
        " WHERE declaration_id = ANY(CAST(:ids AS uuid[]))",
        ids=[season["d1"], season["d2"]],
    )
    stored = {declaration: (stage, sealed) for declaration, stage, sealed in rows}
    stage, sealed = stored[season["d1"]]
    assert stage == "certified"
    # Sealed as sent, never in clear.
    assert "结构工程" not in sealed
    assert "master" not in sealed
    # d2 was submitted as a v2 event (no education): projected all the same, education unknown.
    assert stored[season["d2"]] == ("returned", None)


async def test_DA_1_the_passed_list_of_a_committee_in_the_prescribed_columns(
    gateway: Gateway, zc_keys: TestKeys, season: dict[str, Any]
) -> None:
    response = await gateway.client.get(
        f"{QUERIES}/exports/passed.xlsx",
        params={"year": 2026, "committee_id": season["jc"]},
        headers=staff(zc_keys, JINCHENG),
    )
    assert response.status_code == 200, response.text
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [f"评委会 {JINCHENG}"]
    rows = [list(row) for row in book.active.iter_rows(values_only=True)]  # type: ignore[union-attr]
    assert rows == [
        [
            "序号",
            "姓名",
            "性别",
            "工作单位",
            "系列",
            "专业",
            "级别",
            "资格名称",
            "评审委员会",
            "确认文号",
            "取得资格时间",
            "证书编号",
        ],
        [
            1,
            "王晋",
            "女",
            "示例设计院",
            "engineering",
            "civil",
            "intermediate",
            "工程师",
            f"评委会 {JINCHENG}",
            "人社字〔2026〕05号",
            "2026-03-20",
            "ZC-1405-2026-0001",
        ],
    ]


async def test_DA_2_the_annual_report_counts_a_year_by_committee_series_and_level(
    gateway: Gateway, zc_keys: TestKeys, season: dict[str, Any]
) -> None:
    response = await gateway.client.get(
        f"{QUERIES}/exports/annual-report", params={"year": 2026}, headers=staff(zc_keys, JINCHENG)
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["totals"] == {"declared": 2, "qualified": 1, "evaluated": 1, "passed": 1, "pass_rate": 1.0}
    assert [row["key"] for row in report["by_committee"]] == [season["jc"]]
    assert report["certificates"] == [{"series": "engineering", "level": "intermediate", "issued": 1, "revoked": 0}]


async def test_an_agency_key_with_scope_query_reads_certificates_of_its_region_only(
    gateway: Gateway, zc_keys: TestKeys, season: dict[str, Any]
) -> None:
    admin = staff(zc_keys, JINCHENG)
    key = await issue_key(gateway, admin, region=JINCHENG, scopes=["query"])
    response = await gateway.client.get(f"{QUERIES}/agency/certificates", params={"limit": 200}, headers=key)
    assert response.status_code == 200, response.text
    numbers = {c["certificate_number"] for c in response.json()["items"]}
    assert "ZC-1405-2026-0001" in numbers
    assert "ZC-1406-2026-0001" not in numbers
    assert all(c["region"].startswith("1405") for c in response.json()["items"])
    verify_only = await issue_key(gateway, admin, region=JINCHENG, scopes=["verify"])
    assert_problem(
        await gateway.client.get(f"{QUERIES}/agency/certificates", headers=verify_only), 403, "scope_required"
    )
    # A person's token is not a key.
    assert (await gateway.client.get(f"{QUERIES}/agency/certificates", headers=admin)).status_code == 401
