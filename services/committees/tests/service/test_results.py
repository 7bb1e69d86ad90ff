"""A meeting's results: publicity counted on NA-14 working days (NA-11), objections (RV-6), the
confirmation by the filing department with ``committees.results.confirmed`` (each passed applicant
once, also when repeated), re-examination (NA-12), the meeting file (CM-11, NA-10), pass rates (MT-5).

The meeting is the sitting helper's: Fri 11 Oct 2024, 9 experts all attending, three applicants
A, B, C. Round 1: A 6 yes / 2 no / 1 abstain (⌈2/3 × 9⌉ = 6: passes), B 5 / 3 / 1 (fails), C 9 yes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from zhicheng_common.pii import PiiCipher
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import assert_problem, pdf_text

from .conftest import PREFIX, SHANXI, Service
from .sitting import Sitting, voting
from .test_meetings import at

pytestmark = pytest.mark.service

NAMES = ["张三", "李四", "王五"]  # A, B, C
PUBLICIZED = date(2024, 10, 14)  # Monday after the meeting
LAST_DAY = date(2024, 10, 21)  # Tue 15 (1), Wed 16 (2), Thu 17 (3), Fri 18 (4), Mon 21 Oct (5)
CONFIRMATION = {
    "approving_authority": "山西省人力资源和社会保障厅",
    "document_number": "晋人社职字〔2024〕35号",
    "document_date": "2024-10-22",
}


@pytest.fixture
def prefix(zc_settings: CommonSettings) -> str:
    return zc_settings.events_prefix


def choices_of(expert: int, a: str, b: str, c: str) -> dict[str, str]:
    """Expert ``expert`` (0-8): A yes for 0-5, no for 6-7, abstain 8; B yes 0-4, no 5-7, abstain 8; C yes."""
    return {
        a: "yes" if expert < 6 else ("no" if expert < 8 else "abstain"),
        b: "yes" if expert < 5 else ("no" if expert < 8 else "abstain"),
        c: "yes",
    }


async def decided(svc: Service, js: Any, prefix: str, cipher: PiiCipher) -> Sitting:
    """The meeting voted (round 1 as above) and closed; the names sealed as review's v2 event seals them."""
    s = await voting(svc, js, prefix, panel=9, applicants=3)
    await seal_names(svc, s, cipher)
    response = await s.open_round()
    assert response.status_code == 201, response.text
    a, b, c = s.applicants
    for i, expert in enumerate(s.experts):
        response = await s.cast(1, expert, choices_of(i, a, b, c))
        assert response.status_code == 201, response.text
    assert (await s.close_round(1)).status_code == 200
    response = await svc.client.post(f"{s.url}/closing", headers=s.office())
    assert response.status_code == 200, response.text
    return s


async def seal_names(svc: Service, s: Sitting, cipher: PiiCipher) -> None:
    """The applicants' names as ``review.declaration.qualified`` v2 carries them (sealed, ZC_PII_KEY);
    the sitting helper's events carry a placeholder."""
    async with svc.database.engine.begin() as conn:
        for declaration_id, name in zip(s.applicants, NAMES, strict=True):
            await conn.execute(
                text(
                    "UPDATE committees.qualified_declarations SET applicant_name_sealed = :n WHERE declaration_id = :d"
                ),
                {"n": cipher.encrypt(name), "d": declaration_id},
            )


@pytest.fixture
def cipher(zc_settings: CommonSettings) -> PiiCipher:
    return PiiCipher(zc_settings.pii_key)


async def publicize(svc: Service, s: Sitting) -> dict[str, Any]:
    svc.clock.set(at(PUBLICIZED))
    response = await svc.client.post(f"{s.url}/results/publicity", headers=s.office())
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def confirm(svc: Service, s: Sitting, **overrides: str) -> Any:
    return await svc.client.post(
        f"{s.url}/results/confirmation",
        json={**CONFIRMATION, **overrides},
        headers=svc.headers(["hr_admin"], SHANXI),
    )


async def test_NA_11_results_confirmed_carry_each_passed_applicant_once_also_when_the_confirmation_is_repeated(
    svc: Service, nats_js: Any, prefix: str, cipher: PiiCipher
) -> None:
    s = await decided(svc, nats_js, prefix, cipher)
    a, b, c = s.applicants
    results = await publicize(svc, s)
    assert (results["opened_on"], results["open_through"], results["closes_on"]) == (
        "2024-10-14",
        "2024-10-21",
        "2024-10-22",
    )
    assert (results["evaluated_count"], results["passed_count"]) == (3, 2)
    [publicized] = await svc.events(s.meeting_id, "results.publicized")
    assert publicized["data"]["open_through"] == "2024-10-21"
    assert (publicized["data"]["passed_count"], publicized["data"]["evaluated_count"]) == (2, 3)

    # NA-11: on the last day of the publicity the results cannot be confirmed yet; nothing changes.
    svc.clock.set(at(LAST_DAY))
    assert_problem(await confirm(svc, s, document_date="2024-10-21"), 409, "publicity_too_short", "NA-11")
    assert await svc.events(s.meeting_id, "results.confirmed") == []

    svc.clock.set(at(date(2024, 10, 22)))
    first = await confirm(svc, s)
    assert first.status_code == 200, first.text
    again = await confirm(svc, s)
    assert again.status_code == 200, again.text
    assert again.json()["confirmation_id"] == first.json()["confirmation_id"]
    [event] = await svc.events(s.meeting_id, "results.confirmed")
    data = event["data"]
    assert data["confirmation_id"] == first.json()["confirmation_id"]
    assert [p["declaration_id"] for p in data["passed"]] == [a, c]
    assert data["not_passed"] == [b]
    assert data["reexamination_id"] is None
    assert (data["approving_authority"], data["document_number"]) == (
        "山西省人力资源和社会保障厅",
        "晋人社职字〔2024〕35号",
    )
    assert (data["confirmed_on"], data["title_obtained_on"], data["year"]) == ("2024-10-22", "2024-10-22", 2024)
    assert data["committee_id"] == s.committee_id
    assert data["committee_name"].startswith("山西省工程技术高级职称评审委员会")
    passed_a = data["passed"][0]
    assert (passed_a["series"], passed_a["specialty"], passed_a["level"]) == ("engineering", "electrical", "senior")
    assert passed_a["title_name"] == "正高级工程师"
    assert passed_a["applicant_key"] == "k" * 64
    assert cipher.decrypt(passed_a["applicant_name_sealed"]) == "张三"
    assert "张三" not in str(event)
    # Another document number for the confirmed results is refused, and sends nothing.
    assert_problem(await confirm(svc, s, document_number="晋人社职字〔2024〕99号"), 409, "results_already_confirmed")
    assert len(await svc.events(s.meeting_id, "results.confirmed")) == 1


async def test_NA_11_RV_6_an_upheld_objection_withholds_the_pass_and_an_open_one_blocks_the_confirmation(
    svc: Service, nats_js: Any, prefix: str, cipher: PiiCipher
) -> None:
    s = await decided(svc, nats_js, prefix, cipher)
    a, b, c = s.applicants
    await publicize(svc, s)
    url = f"{s.url}/results/objections"
    # B did not pass: the publicity does not list them.
    assert_problem(
        await svc.client.post(url, json={"declaration_id": b, "content": "异议"}, headers=s.office()),
        409,
        "not_publicized_as_passed",
        "NA-11",
    )
    svc.clock.set(at(LAST_DAY))  # objections are taken through the end of the last day
    response = await svc.client.post(
        url, json={"declaration_id": a, "content": "业绩材料与实际不符"}, headers=s.office()
    )
    assert response.status_code == 201, response.text
    [objection] = response.json()["objections"]
    assert objection["status"] == "open"
    svc.clock.set(at(date(2024, 10, 22)))
    assert_problem(
        await svc.client.post(url, json={"declaration_id": c, "content": "迟到的异议"}, headers=s.office()),
        409,
        "publicity_closed",
        "NA-11",
    )
    assert_problem(await confirm(svc, s), 409, "objections_unresolved", "NA-11")
    resolved = await svc.client.patch(
        f"{url}/{objection['id']}",
        json={"outcome": "upheld", "resolution": "经核查，异议成立"},
        headers=s.office(),
    )
    assert resolved.status_code == 200, resolved.text
    assert {r["declaration_id"]: r["passed"] for r in resolved.json()["applicants"]} == {a: False, b: False, c: True}
    confirmed = await confirm(svc, s)
    assert confirmed.status_code == 200, confirmed.text
    [event] = await svc.events(s.meeting_id, "results.confirmed")
    assert [p["declaration_id"] for p in event["data"]["passed"]] == [c]
    assert event["data"]["not_passed"] == sorted([a, b])

    rates = await svc.client.get(
        f"{PREFIX}/pass-rates", params={"committee_id": s.committee_id}, headers=svc.headers(["hr_admin"], SHANXI)
    )
    assert rates.status_code == 200, rates.text
    # 3 evaluated, 1 passed after the upheld objection: 33.333… → 33.33 (MT-5).
    assert rates.json()["items"] == [
        {
            "year": 2024,
            "committee_id": s.committee_id,
            "series": "engineering",
            "level": "senior",
            "evaluated": 3,
            "passed": 1,
            "rate_percent": "33.33",
        }
    ]


async def test_NA_12_a_re_examination_that_changes_a_result_is_confirmed_anew_for_that_applicant(
    svc: Service, nats_js: Any, prefix: str, cipher: PiiCipher
) -> None:
    s = await decided(svc, nats_js, prefix, cipher)
    a, b, c = s.applicants
    await publicize(svc, s)
    url = f"{s.url}/results/reexaminations"
    assert_problem(
        await svc.client.post(url, json={"declaration_id": b, "reason": "申请复查"}, headers=s.office()),
        409,
        "results_not_confirmed",
        "NA-12",
    )
    svc.clock.set(at(date(2024, 10, 22)))
    assert (await confirm(svc, s)).status_code == 200
    created = await svc.client.post(url, json={"declaration_id": b, "reason": "计票有误，申请复查"}, headers=s.office())
    assert created.status_code == 201, created.text
    item = f"{url}/{created.json()['id']}"
    handling = await svc.client.patch(item, json={"handler": "hr-handler-1"}, headers=s.office())
    assert handling.json()["status"] == "handling"
    hr = svc.headers(["hr_admin"], SHANXI)
    assert_problem(
        await svc.client.patch(item, json={"outcome": "changed", "passed": False}, headers=hr),
        409,
        "result_not_changed",
        "NA-12",
    )
    # The office may name a handler but not decide: the filing department decides.
    assert_problem(
        await svc.client.patch(item, json={"outcome": "changed", "passed": True}, headers=s.office()),
        403,
        "approval_authority_required",
    )
    decided_ = await svc.client.patch(
        item, json={"outcome": "changed", "passed": True, "outcome_text": "经复查，改为通过"}, headers=hr
    )
    assert decided_.status_code == 200, decided_.text
    assert (decided_.json()["status"], decided_.json()["passed"]) == ("decided", True)
    first, second = await svc.events(s.meeting_id, "results.confirmed")
    assert [p["declaration_id"] for p in first["data"]["passed"]] == [a, c]
    assert second["data"]["reexamination_id"] == created.json()["id"]
    assert second["data"]["confirmation_id"] == decided_.json()["confirmation_id"]
    assert [p["declaration_id"] for p in second["data"]["passed"]] == [b]
    assert cipher.decrypt(second["data"]["passed"][0]["applicant_name_sealed"]) == "李四"
    assert second["data"]["not_passed"] == []
    assert_problem(await svc.client.patch(item, json={"outcome": "upheld"}, headers=hr), 409, "reexamination_decided")
    rates = await svc.client.get(
        f"{PREFIX}/pass-rates", params={"committee_id": s.committee_id, "year": 2024}, headers=hr
    )
    assert [(r["evaluated"], r["passed"], r["rate_percent"]) for r in rates.json()["items"]] == [(3, 3, "100.00")]


async def test_NA_10_CM_11_the_meeting_file_is_the_offices_until_publicized_and_its_pdf_lists_the_counts(
    svc: Service, nats_js: Any, prefix: str, cipher: PiiCipher
) -> None:
    s = await decided(svc, nats_js, prefix, cipher)
    auditor = svc.headers(["auditor"], SHANXI)
    assert_problem(
        await svc.client.get(f"{s.url}/file.pdf", headers=auditor), 403, "meeting_file_confidential", "NA-10"
    )
    own = await svc.client.get(f"{s.url}/file.pdf", headers=s.office())
    assert own.status_code == 200, own.text
    assert own.headers["content-type"] == "application/pdf"
    await publicize(svc, s)
    svc.clock.set(at(date(2024, 10, 22)))
    assert (await confirm(svc, s)).status_code == 200
    shared = await svc.client.get(f"{s.url}/file.pdf", headers=auditor)
    assert shared.status_code == 200, shared.text
    text_ = pdf_text(shared.content)
    assert "张三：赞成6票，反对2票，弃权1票，未投0票；计票人数9，须赞成6票，通过" in text_
    assert "李四：赞成5票，反对3票，弃权1票，未投0票；计票人数9，须赞成6票，未通过" in text_
    assert "王五：赞成9票，反对0票，弃权0票，未投0票；计票人数9，须赞成6票，通过" in text_
    assert "专家抽取名单" not in text_  # the draw list is the office's only
    office = pdf_text((await svc.client.get(f"{s.url}/file.pdf", headers=s.office())).content)
    assert "专家抽取名单" in office
    assert s.experts[0] in office
    workbook = await svc.client.get(f"{s.url}/file.xlsx", headers=svc.headers(["hr_admin"], SHANXI))
    assert workbook.status_code == 200
    assert workbook.content[:2] == b"PK"  # a zip: the xlsx container
    # Kept with the meeting: the archived copies, one per audience and format.
    assert await svc.count("meeting_files") >= 4
