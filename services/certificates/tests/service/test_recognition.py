"""Direct recognition by HR staff: initial determination (EL-10), qualification by the correspondence
table (EL-16, NA-18), high-level talents and postdocs (EL-14), transfer evaluation superseding the
old certificate (EL-8)."""

from __future__ import annotations

from typing import Any

import pytest

from zhicheng_common.testing import assert_problem, resident_id

from .conftest import Certs

pytestmark = pytest.mark.service

ROUTE = "/api/v1/certificates/recognitions"


def body(basis: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "basis": basis,
        "holder": {"name": "李华", "gender": "female", "resident_id": resident_id()},
        "obtained_on": "2026-10-15",
        "approving_authority": "山西省人力资源和社会保障厅",
        "document_number": "晋人社职字〔2026〕31号",
    }
    data.update(changes)
    return data


async def _recognize(certs: Certs, data: dict[str, Any]) -> dict[str, Any]:
    response = await certs.client.post(ROUTE, json=data, headers=certs.headers())
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_EL_16_NA_18_a_qualification_is_recognized_as_the_title_the_table_gives(certs: Certs) -> None:
    created = await _recognize(certs, body("qualification_correspondence", qualification="first_class_constructor"))
    # The shipped table: 一级建造师 → engineering, civil_construction, intermediate (工程师), from 2019-01-01.
    assert (created["series"], created["specialty"], created["level"], created["title_name"]) == (
        "engineering",
        "civil_construction",
        "intermediate",
        "工程师",
    )
    assert created["basis"] == "qualification_correspondence"
    assert created["committee_id"] is None
    unknown = await certs.client.post(
        ROUTE, json=body("qualification_correspondence", qualification="pilot_licence"), headers=certs.headers()
    )
    assert_problem(unknown, 409, "qualification_not_corresponding", rule="EL-16")
    before_table = await certs.client.post(
        ROUTE,
        json=body("qualification_correspondence", qualification="first_class_constructor", obtained_on="2018-12-31"),
        headers=certs.headers(),
    )
    assert_problem(before_table, 409, "qualification_not_corresponding", rule="EL-16")


async def test_EL_10_initial_determination_gives_a_junior_or_intermediate_title_by_30_november(certs: Certs) -> None:
    created = await _recognize(
        certs,
        body(
            "initial_determination",
            series="engineering",
            specialty="electrical",
            rank="assistant",
            obtained_on="2026-11-30",
        ),
    )
    assert (created["level"], created["title_name"]) == ("junior", "助理工程师")
    late = await certs.client.post(
        ROUTE,
        json=body(
            "initial_determination",
            series="engineering",
            specialty="electrical",
            rank="assistant",
            obtained_on="2026-12-01",
        ),
        headers=certs.headers(),
    )
    assert_problem(late, 409, "initial_determination_late", rule="EL-10")
    too_high = await certs.client.post(
        ROUTE,
        json=body("initial_determination", series="engineering", specialty="electrical", rank="associate_senior"),
        headers=certs.headers(),
    )
    assert_problem(too_high, 409, "level_not_recognizable", rule="EL-10")


async def test_EL_14_postdocs_are_recognized_associate_senior_talents_up_to_senior(certs: Certs) -> None:
    postdoc = await _recognize(
        certs,
        body(
            "talent",
            talent_kind="enterprise_postdoc",
            series="engineering",
            specialty="mechanical",
            rank="associate_senior",
        ),
    )
    assert (postdoc["level"], postdoc["title_name"]) == ("associate_senior", "高级工程师")
    talent = await _recognize(
        certs,
        body("talent", talent_kind="high_level_talent", series="engineering", specialty="mechanical", rank="senior"),
    )
    assert talent["title_name"] == "正高级工程师"
    refused = await certs.client.post(
        ROUTE,
        json=body(
            "talent", talent_kind="enterprise_postdoc", series="engineering", specialty="mechanical", rank="senior"
        ),
        headers=certs.headers(),
    )
    assert_problem(refused, 409, "level_not_recognizable", rule="EL-14")


async def test_EL_8_a_transfer_gives_the_same_level_in_the_new_series_and_supersedes_the_old_one(certs: Certs) -> None:
    holder = {"name": "王强", "gender": "male", "resident_id": resident_id()}
    old = await _recognize(
        certs, body("qualification_correspondence", qualification="first_class_constructor", holder=holder)
    )
    early = await certs.client.post(
        ROUTE,
        json=body(
            "transfer", holder=holder, series="economics", specialty="business", rank="intermediate",
            supersedes=old["number"], new_post_since="2026-01-01",
        ),
        headers=certs.headers(),
    )  # fmt: skip
    # 2026-01-01 → 2026-10-15: not yet one whole year in the new post (transfer_min_years_in_new_post = 1).
    assert_problem(early, 409, "transfer_too_early", rule="EL-8")
    new = await _recognize(
        certs,
        body(
            "transfer", holder=holder, series="economics", specialty="business", rank="intermediate",
            supersedes=old["number"], new_post_since="2025-10-15",
        ),
    )  # fmt: skip
    assert (new["basis"], new["supersedes"], new["level"], new["title_name"]) == (
        "transfer",
        old["number"],
        "intermediate",
        "经济师",
    )
    previous = await certs.client.get(f"/api/v1/certificates/certificates/{old['number']}", headers=certs.headers())
    assert (previous.json()["status"], previous.json()["superseded_by"]) == ("superseded", new["number"])
    answer = await certs.client.post(
        "/api/v1/certificates/public/verifications/by-number", json={"number": old["number"], "holder_name": "王强"}
    )
    status = next(c for c in answer.json()["checks"] if c["name"] == "status")
    assert (status["outcome"], status["code"]) == ("failed", "certificate_superseded")
    event = await certs.scalar(
        "SELECT envelope->'data'->>'superseded_by' FROM certificates.outbox"
        " WHERE envelope->>'type' = 'cn.zhicheng.certificates.certificate.superseded.v1' AND envelope->>'subject' = :n",
        n=old["number"],
    )
    assert event == new["number"]
    someone_else = await certs.client.post(
        ROUTE,
        json=body(
            "transfer", series="accounting", specialty="accounting", rank="intermediate",
            supersedes=new["number"], new_post_since="2025-01-01",
        ),
        headers=certs.headers(),
    )  # fmt: skip
    assert_problem(someone_else, 409, "transfer_not_holder", rule="EL-8")


async def test_a_recognition_outside_the_callers_region_or_by_an_applicant_is_refused(certs: Certs) -> None:
    data = body("qualification_correspondence", qualification="first_class_constructor", region="530000")
    assert_problem(await certs.client.post(ROUTE, json=data, headers=certs.headers()), 403, "outside_jurisdiction")
    mine = body("qualification_correspondence", qualification="first_class_constructor")
    assert_problem(await certs.client.post(ROUTE, json=mine, headers=certs.headers("applicant")), 403, "role_required")
    bad_id = body("qualification_correspondence", qualification="first_class_constructor")
    bad_id["holder"]["resident_id"] = "110105194912310021"
    assert_problem(await certs.client.post(ROUTE, json=bad_id, headers=certs.headers()), 422, "validation_failed")


async def test_a_nul_character_in_the_holders_name_is_422_nul_character_and_issues_nothing(certs: Certs) -> None:
    """docs/bad-input.md: NUL never reaches PostgreSQL (it cannot store it in text); the guard answers."""
    data = body("qualification_correspondence", qualification="first_class_constructor")
    data["holder"]["name"] = "李\u0000华"
    before = await certs.scalar("SELECT count(*) FROM certificates.certificates")
    response = await certs.client.post(ROUTE, json=data, headers=certs.headers())
    refused = assert_problem(response, 422, "nul_character")
    assert refused["detail"] == "文本中不得含有空字符（U+0000）"
    assert await certs.scalar("SELECT count(*) FROM certificates.certificates") == before
