"""A meeting end to end over the gateway (issue 15): from a drawn panel to confirmed results.

On the controlled clock (docs/clock.md), starting Monday 9 November 2026: an applicant declares to a
senior engineering committee the province approved; review's chain qualifies the declaration (the
clock moves past the unit publicity); the office files a pool of 25 experts (NA-1), each linked to their
own gateway account, pre-files the meeting (CM-8) and draws the panel, which two drawers and a
supervisor sign (EX-1). On the meeting day the experts sign in with their own tokens, the meeting
opens (MT-1), the review group of 3 writes (MT-2), the secret ballot gives 17 yes, 6 no, 2 abstain
(⌈2/3 × 25⌉ = 17 needed: passes, NA-7); the results are publicized, the clock moves to the day the
publicity may close (NA-11), the provincial HR department confirms twice: one
``committees.results.confirmed`` with the applicant once; the meeting file's PDF lists the counts.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.intake.tests.builders import CREDIT_CODE, resident_id
from zhicheng_common.db import asyncpg_dsn
from zhicheng_common.pii import PiiCipher
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestStack, credit_code, pdf_text, wait_until

from .conftest import (
    GATEWAY_URL,
    RunningSystem,
    delete_streams,
    isolated_env,
    set_clock_before_start,
    start_system,
    stop_system,
)
from .test_expert_pool import _expert, _file_pool
from .test_review_chain import PASSWORD, SHANXI, TAIYUAN, submit_through_intake, token

pytestmark = pytest.mark.integration

START = "2026-11-09T09:00:00+08:00"  # Monday; the plan's year is 2026
PUBLICITY_OVER = "2026-11-17T09:00:00+08:00"  # unit publicity of 9 Nov open through Mon 16 Nov
COMMITTEES = "/api/v1/committees"
EXPERTS = "/api/v1/experts"
VOTES = ["yes"] * 17 + ["no"] * 6 + ["abstain"] * 2  # 25 attending: ⌈2/3 × 25⌉ = ⌈16.67⌉ = 17 yes needed


@pytest.fixture(scope="module")
def meeting_system(
    zc_stack: TestStack, zc_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningSystem]:
    """The system on the controlled clock, review's publicity job every second."""
    env = isolated_env(zc_stack, zc_env, "meeting")
    env["ZC_CLOCK"] = "controlled"
    env["ZC_REVIEW_PUBLICITY_JOB_INTERVAL_SECONDS"] = "1"
    set_clock_before_start(env, START)
    running = start_system(env, Path(tmp_path_factory.mktemp("meeting-system")) / "data")
    try:
        yield running
    finally:
        stop_system(running.process)
        delete_streams(env)


def user(
    system: RunningSystem, admin: dict[str, str], role: str, region: str = SHANXI, **bindings: object
) -> tuple[str, dict[str, str]]:
    """A new account of ``role`` with its bindings (issue 12): its id (the token subject) and a token
    issued after the binding, so it carries it."""
    name = f"{role}.{uuid.uuid4().hex[:8]}"
    created = system.create_user(admin, username=name, password=PASSWORD, roles=[role], region=region, name=role)
    if bindings:
        system.bind_user(admin, created, **bindings)
    return str(created["id"]), token(name)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def qualify(system: RunningSystem, client: httpx.AsyncClient, admin: dict[str, str]) -> tuple[str, str]:
    """A declaration through every step of its chain; returns (declaration id, committee id)."""
    suffix = uuid.uuid4().hex[:6]
    declaration_id, _, committee_id = await submit_through_intake(system, admin, suffix, today=date(2026, 11, 9))
    headers = {
        "unit_reviewer": user(system, admin, "unit_reviewer", TAIYUAN, unit_credit_code=CREDIT_CODE)[1],
        "dept_reviewer": user(system, admin, "dept_reviewer", TAIYUAN)[1],
        "hr_reviewer": user(system, admin, "hr_reviewer", TAIYUAN)[1],
        "committee_office": user(system, admin, "committee_office", committees=[committee_id])[1],
    }

    async def review() -> dict[str, Any] | None:
        response = await client.get(f"/api/v1/reviews/declarations/{declaration_id}", headers=headers["unit_reviewer"])
        return response.json() if response.status_code == 200 else None

    async def passed_by(role: str) -> None:
        current = await wait_until(review, timeout=30, what="the review")
        step = {"step_key": current["step_key"]}
        ok(await client.post(f"/api/v1/reviews/{current['id']}/claim", json=step, headers=headers[role]))
        body = {**step, "outcome": "pass", "opinion": "材料真实完整，同意推荐。", "signer_unit": f"{role} 单位"}
        ok(await client.post(f"/api/v1/reviews/{current['id']}/decisions", json=body, headers=headers[role]), 201)

    await passed_by("unit_reviewer")
    waiting = await review()
    assert waiting is not None
    assert waiting["step_key"] == "unit_publicity"
    body = {"review_ids": [waiting["id"]], "title": "单位内公示"}
    ok(await client.post("/api/v1/reviews/publicities", json=body, headers=headers["unit_reviewer"]), 201)
    ok(await client.put("/api/v1/system/clock", json={"to": PUBLICITY_OVER}, headers=admin))

    async def at_department() -> bool:
        current = await review()
        return bool(current and current["step_key"] == "department_review")

    await wait_until(at_department, timeout=30, what="the unit publicity closed by review's job")
    for role in ("dept_reviewer", "hr_reviewer", "committee_office"):
        await passed_by(role)
    final = await review()
    assert final is not None
    assert final["status"] == "qualified"
    return declaration_id, committee_id


def pem(key: Ed25519PrivateKey) -> str:
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return public.decode()


async def test_NA_7_NA_11_CM_11_a_meeting_from_a_drawn_panel_to_confirmed_results_over_the_gateway(
    meeting_system: RunningSystem,
) -> None:
    system = meeting_system
    admin = system.admin_headers()
    async with httpx.AsyncClient(base_url=GATEWAY_URL, timeout=20.0) as client:
        ok(await client.put("/api/v1/system/clock", json={"to": START, "force": True}, headers=admin))
        declaration_id, committee_id = await qualify(system, client, admin)

        # The office, two drawers of the office and a supervisor (EX-1); HR of the province.
        _, office = user(system, admin, "committee_office", committees=[committee_id])
        drawers = [user(system, admin, "committee_office", committees=[committee_id]) for _ in range(2)]
        _, supervisor = user(system, admin, "supervisor")
        _, hr = user(system, admin, "hr_admin")

        # 25 experts of another unit than the applicant's, each linked to their own account.
        experts: list[tuple[str, dict[str, str]]] = []
        for i in range(25):
            body = {
                **_expert(resident_id(date(1965, 1 + i % 12, 3 + i // 12), 500 + i)),
                "unit_credit_code": credit_code("12140000"),
            }
            expert_id = ok(await client.post(f"{EXPERTS}/experts", json=body, headers=office), 201)["id"]
            account_id, headers = user(system, admin, "expert")
            link = {"account_subject": account_id}
            ok(await client.put(f"{EXPERTS}/experts/{expert_id}/account", json=link, headers=office))
            experts.append((expert_id, headers))
        _file_pool(office, committee_id, [e for e, _ in experts])

        plans = ok(await client.get(f"{COMMITTEES}/{committee_id}/plans", headers=office))
        meeting = plans[0]["meetings"][0]
        meeting_id, meeting_date = meeting["id"], meeting["meeting_date"]
        url = f"{COMMITTEES}/meetings/{meeting_id}"
        ok(await client.post(f"{url}/pre-meeting-filing", json={"applicant_count": 1}, headers=office))

        draws = f"{EXPERTS}/committees/{committee_id}/meetings/{meeting_id}/draws"
        quota = {"size": 25, "quotas": [{"specialty": "electrical", "members": 25, "alternates": 0}]}

        refusals: list[str] = []

        async def committed() -> dict[str, Any] | None:
            response = await client.post(draws, json=quota, headers=office)
            refusals.append(response.text)
            return response.json() if response.status_code == 201 else None

        try:
            draw = await wait_until(committed, timeout=30, what="the pre-filed meeting in experts")
        except AssertionError as timeout:
            raise AssertionError(refusals[-1]) from timeout
        seed = {"external_seed": "2026-11-17 04 09 15 22 30"}
        ok(await client.post(f"{EXPERTS}/draws/{draw['draw_id']}/seed", json=seed, headers=supervisor))
        for headers in [drawers[0][1], drawers[1][1], supervisor]:
            key = Ed25519PrivateKey.generate()
            payload = ok(await client.get(f"{EXPERTS}/draws/{draw['draw_id']}/signing-payload", headers=headers))
            signature = {"public_key_pem": pem(key), "signature": key.sign(payload["payload"].encode()).hex()}
            ok(await client.post(f"{EXPERTS}/draws/{draw['draw_id']}/signatures", json=signature, headers=headers), 201)

        # The meeting day.
        ok(await client.put("/api/v1/system/clock", json={"to": f"{meeting_date}T09:00:00+08:00"}, headers=admin))
        arrangement = {"venue": "太原市小店区长风街1号", "remote": False, "forms": ["material_review", "defence"]}

        async def arranged() -> bool:
            sitting = ok(await client.put(f"{url}/arrangement", json=arrangement, headers=office))
            return bool(sitting["applicants"] == [declaration_id] and len(sitting["panel"]) == 25)

        await wait_until(arranged, timeout=30, what="the qualified applicant and the signed panel in committees")
        for _, headers in experts:
            ok(await client.post(f"{url}/sign-in", headers=headers))
        ok(await client.post(f"{url}/opening", json={"chair": experts[0][0]}, headers=office))
        group = {declaration_id: [e for e, _ in experts[:3]]}
        ok(await client.put(f"{url}/groups", json={"groups": group}, headers=office))
        for _expert_id, headers in experts[:3]:
            opinion = {"declaration_id": declaration_id, "score": 88, "text": "业绩突出，同意通过。"}
            ok(await client.post(f"{url}/opinions", json=opinion, headers=headers), 201)
        ok(await client.post(f"{url}/rounds", json={}, headers=office), 201)
        for (_, headers), vote in zip(experts, VOTES, strict=True):
            ok(
                await client.post(f"{url}/rounds/1/ballots", json={"choices": {declaration_id: vote}}, headers=headers),
                201,
            )
        ok(await client.post(f"{url}/rounds/1/closing", headers=office))
        ok(await client.post(f"{url}/closing", headers=office))

        results = ok(await client.post(f"{url}/results/publicity", headers=office), 201)
        assert (results["evaluated_count"], results["passed_count"]) == (1, 1)
        ok(
            await client.put(
                "/api/v1/system/clock", json={"to": f"{results['closes_on']}T09:00:00+08:00"}, headers=admin
            )
        )
        confirmation = {
            "approving_authority": "山西省人力资源和社会保障厅",
            "document_number": "晋人社职字〔2026〕35号",
            "document_date": results["closes_on"],
        }

        async def confirmed() -> httpx.Response | None:
            # Committees follows the clock's move within a second (docs/clock.md); until it does, its
            # today is still the meeting's day and a document dated closes_on is refused as future.
            response = await client.post(f"{url}/results/confirmation", json=confirmation, headers=hr)
            return None if response.status_code == 422 and "document_date" in response.text else response

        first = ok(await wait_until(confirmed, timeout=30, what="committees on the moved clock"))
        again = ok(await client.post(f"{url}/results/confirmation", json=confirmation, headers=hr))
        assert again["confirmation_id"] == first["confirmation_id"]

        conn = await asyncpg.connect(asyncpg_dsn(system.env["ZC_DATABASE_URL"]))
        try:
            rows = await conn.fetch(
                "SELECT envelope FROM committees.outbox WHERE envelope->>'subject' = $1 AND envelope->>'type' = $2",
                meeting_id,
                "cn.zhicheng.committees.results.confirmed.v1",
            )
        finally:
            await conn.close()
        assert len(rows) == 1
        data = json.loads(rows[0]["envelope"])["data"]
        assert [p["declaration_id"] for p in data["passed"]] == [declaration_id]
        assert data["passed"][0]["title_name"] == "高级工程师"  # the example declares for 副高级 (associate_senior)
        assert (
            PiiCipher(system.env.get("ZC_PII_KEY") or CommonSettings().pii_key).decrypt(
                data["passed"][0]["applicant_name_sealed"]
            )
            == "张三"
        )

        pdf = await client.get(f"{url}/file.pdf", headers=hr)
        assert pdf.status_code == 200, pdf.text
        assert "张三：赞成17票，反对6票，弃权2票，未投0票；计票人数25，须赞成17票，通过" in pdf_text(pdf.content)
