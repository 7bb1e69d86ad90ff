"""Reference data through the gateway (issue 13): public, cacheable, versioned, unknown codes listed."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from zhicheng_common.policy import available_packs, load_pack
from zhicheng_common.problems import PROBLEM_MEDIA_TYPE
from zhicheng_common.reference import catalog_version
from zhicheng_common.series import load_series_catalog
from zhicheng_common.settings import CommonSettings
from zhicheng_gateway.app import create_app
from zhicheng_gateway.settings import GatewaySettings

BASE = "/api/v1/reference"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    keys = tmp_path_factory.mktemp("reference")
    return TestClient(create_app(CommonSettings(keys_dir=keys), GatewaySettings()))


def test_series_list_every_catalogued_series_with_titles_and_specialties_without_a_token(client: TestClient) -> None:
    response = client.get(f"{BASE}/series")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [s["code"] for s in body["items"]] == load_series_catalog().codes()
    engineering = next(s for s in body["items"] if s["code"] == "engineering")
    assert engineering["name"] == "工程技术"
    assert {"rank": "senior", "rank_name": "正高级", "title": "正高级工程师"} in engineering["titles"]
    assert {"code": "electrical", "name": "电气工程"} in engineering["specialties"]


def test_levels_hold_their_ranks_with_chinese_names(client: TestClient) -> None:
    items = client.get(f"{BASE}/levels").json()["items"]
    assert [(level["code"], level["name"]) for level in items] == [
        ("junior", "初级"),
        ("intermediate", "中级"),
        ("associate_senior", "副高级"),
        ("senior", "正高级"),
    ]
    assert items[0]["ranks"] == [{"code": "clerk", "name": "员级"}, {"code": "assistant", "name": "助理级"}]


@pytest.mark.parametrize(
    ("path", "code", "name"),
    [
        ("ownership-kinds", "private_enterprise", "非公有制经济组织"),
        ("channels", "industry_association", "行业协会、学会"),
        ("attachment-kinds", "achievement_proof", "业绩成果材料"),
        ("employment-statuses", "dispatched", "劳务派遣"),
        ("sanction-kinds", "major_demerit", "记大过"),
        ("skill-levels", "senior_technician", "高级技师"),
        ("continuing-education-kinds", "professional", "专业科目"),
        ("committee-statuses", "withdrawn", "已收回评审权"),
        ("review-steps", "committee_office_review", "评委会办事机构审核"),
        ("review-statuses", "returned", "退回补正"),
    ],
)
def test_code_lists_name_each_code(client: TestClient, path: str, code: str, name: str) -> None:
    body = client.get(f"{BASE}/{path}").json()
    assert {"code": code, "name": name} in body["items"]
    assert body["version"] == catalog_version()


def test_answers_carry_an_etag_and_a_matching_if_none_match_is_304(client: TestClient) -> None:
    first = client.get(f"{BASE}/series")
    etag = first.headers["etag"]
    assert etag == f'"{catalog_version()}"'
    assert first.headers["cache-control"] == "public, max-age=3600"
    again = client.get(f"{BASE}/series", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert client.get(f"{BASE}/series", headers={"If-None-Match": '"stale"'}).status_code == 200


def _unknown(response: Any, status: int, code: str) -> list[str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    body = response.json()
    assert body["code"] == code
    valid: list[str] = body["errors"][0]["facts"]["valid"]
    return valid


def test_an_unknown_series_lists_the_valid_codes(client: TestClient) -> None:
    valid = _unknown(client.get(f"{BASE}/series/economy"), 404, "unknown_series")
    assert valid == load_series_catalog().codes()
    assert client.get(f"{BASE}/series/economics").json()["name"] == "经济"


def test_a_pack_shows_its_public_values_with_rule_ids_and_is_versioned_by_its_values(client: TestClient) -> None:
    packs = client.get(f"{BASE}/policy-packs").json()["items"]
    assert [p["id"] for p in packs] == available_packs()
    response = client.get(f"{BASE}/policy-packs/shanxi-2024")
    assert response.status_code == 200, response.text
    body = response.json()
    validity = body["parameters"]["committee_filing_validity_years"]
    pack = load_pack("shanxi-2024").parameters.committee_filing_validity_years
    assert (validity["value"], validity["rule"], validity["also"]) == (pack.value, "CM-2", ["NA-1"])
    assert validity["description"]
    assert response.headers["etag"] == f'"{body["version"]}"'
    # Each pack has its own version: the values differ, so do the ETags.
    other = client.get(f"{BASE}/policy-packs/yunnan-2023")
    assert other.headers["etag"] != response.headers["etag"]
    valid = _unknown(client.get(f"{BASE}/policy-packs/shanxi-2025"), 404, "unknown_policy_pack")
    assert valid == available_packs()


def test_the_review_chain_of_a_channel_and_level(client: TestClient) -> None:
    response = client.get(
        f"{BASE}/policy-packs/shanxi-2024/review-chain", params={"channel": "employer", "level": "senior"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["chain"], body["rule"]) == ("unit", "CH-1")
    assert [s["key"] for s in body["steps"]] == [
        "unit_review",
        "unit_publicity",
        "department_review",
        "city_hr_review",
        "committee_office_review",
    ]
    assert body["publicity_working_days"] == load_pack("shanxi-2024").parameters.publicity_working_days.value
    association = client.get(
        f"{BASE}/policy-packs/shanxi-2024/review-chain", params={"channel": "industry_association", "level": "senior"}
    ).json()
    assert (association["chain"], association["rule"]) == ("association", "CH-2")
    valid = _unknown(
        client.get(f"{BASE}/policy-packs/shanxi-2024/review-chain", params={"channel": "school", "level": "senior"}),
        422,
        "unknown_channel",
    )
    assert "employer" in valid
    valid = _unknown(
        client.get(f"{BASE}/policy-packs/shanxi-2024/review-chain", params={"channel": "employer", "level": "top"}),
        422,
        "unknown_level",
    )
    assert valid == ["junior", "intermediate", "associate_senior", "senior"]


def test_the_reference_routes_are_documented_public_with_examples(client: TestClient) -> None:
    document = client.get("/api/v1/gateway/openapi.json").json()
    paths = [p for p in document["paths"] if p.startswith(BASE)]
    assert len(paths) == 17, paths
    for path in paths:
        operation = document["paths"][path]["get"]
        assert operation["security"] == [], path
        assert "application/json" in operation["responses"]["200"]["content"], path
    sanctions = document["paths"][f"{BASE}/sanction-kinds"]["get"]["responses"]["200"]["content"]
    assert sanctions["application/json"]["example"]["items"] == [{"code": "demerit", "name": "记过"}]
    schemas = document["components"]["schemas"]
    assert schemas["CodeName"]["examples"] == [{"code": "employer", "name": "用人单位"}]
    assert schemas["SeriesRef"]["examples"][0]["code"] == "engineering"


def test_the_new_code_lists_are_linked_from_the_index_cached_and_versioned_like_the_others(client: TestClient) -> None:
    links = client.get(BASE).json()["links"]
    assert links["sanction_kinds"] == f"{BASE}/sanction-kinds"
    assert links["review_steps"] == f"{BASE}/review-steps"
    first = client.get(f"{BASE}/skill-levels")
    assert first.json()["items"] == [
        {"code": "senior_worker", "name": "高级工"},
        {"code": "technician", "name": "技师"},
        {"code": "senior_technician", "name": "高级技师"},
    ]
    assert first.headers["etag"] == f'"{catalog_version()}"'
    assert first.headers["cache-control"] == "public, max-age=3600"
    again = client.get(f"{BASE}/skill-levels", headers={"If-None-Match": first.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")
