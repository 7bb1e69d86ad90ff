"""A declaration from submission to ``qualified`` through every step of its review chain, with all
services running as processes and driven over the gateway.

An applicant declares and submits through intake, to a committee its office filed and the
province approved over the gateway, whose plan opened the window (committees_api).
The 5 working days of the unit publicity cannot pass in a test, so the test moves the publicity's
last open day to yesterday in the system's database; the review's own scheduler then closes it
(RV-6: open through the end of its last day, closed at the earliest on the day after).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from services.intake.tests.builders import CREDIT_CODE, declaration_body, resident_id
from zhicheng_common.db import asyncpg_dsn
from zhicheng_common.testing import TestStack, wait_until

from .committees_api import open_senior_engineering_committee
from .conftest import GATEWAY_URL, RunningSystem, delete_streams, isolated_env, start_system, stop_system

pytestmark = pytest.mark.integration

TAIYUAN = "140100"
SHANXI = "140000"
PASSWORD = "Review-chain-2026!"


@pytest.fixture(scope="module")
def review_system(
    zc_stack: TestStack, zc_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningSystem]:
    """The system with the review's public publicity routes open at the gateway and a fast scheduler."""
    env = isolated_env(zc_stack, zc_env, "review")
    env["ZC_GATEWAY_PUBLIC_PATH_PREFIXES"] = '["/api/v1/reviews/public"]'
    env["ZC_REVIEW_PUBLICITY_JOB_INTERVAL_SECONDS"] = "1"
    running = start_system(env, Path(tmp_path_factory.mktemp("review-system")) / "data")
    try:
        yield running
    finally:
        stop_system(running.process)
        delete_streams(env)


def token(username: str) -> dict[str, str]:
    response = httpx.post(f"{GATEWAY_URL}/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def submit_through_intake(
    system: RunningSystem, admin: dict[str, str], suffix: str, *, today: date | None = None
) -> tuple[str, str, str]:
    """An applicant declares and submits over the gateway; returns (declaration id, its region,
    its committee's id). The employer is the unit of credit code ``CREDIT_CODE``."""
    committee_id, year = open_senior_engineering_committee(system, admin, today=today)
    system.create_user(
        admin, username=f"applicant.{suffix}", password=PASSWORD, roles=["applicant"], region=TAIYUAN, name="张三"
    )
    applicant = token(f"applicant.{suffix}")
    birth = date(1984, 3, 9)
    body = declaration_body()
    body["applicant"]["birth_date"] = birth.isoformat()
    body["applicant"]["id_number"] = resident_id(birth, int(uuid.uuid4().int % 1000))
    body["target"].update(year=year, committee_id=committee_id)
    body["assessments"] = [{"year": y, "grade": "qualified"} for y in range(year - 6, year)]
    body["continuing_education"] = []
    async with httpx.AsyncClient(base_url=GATEWAY_URL, timeout=10.0) as client:

        async def window_open() -> bool:
            items = (await client.get("/api/v1/declarations/windows", headers=applicant)).json()["items"]
            return any(i["committee_id"] == committee_id and i["windows"] for i in items)

        await wait_until(window_open, timeout=15, what="the committee's window in intake")
        created = await client.post("/api/v1/declarations", json=body, headers=applicant)
        assert created.status_code == 201, created.text
        declaration = created.json()
        submitted = await client.post(f"/api/v1/declarations/{declaration['id']}/submit", headers=applicant)
        assert submitted.status_code == 200, submitted.text
    return str(declaration["id"]), str(body["applicant"]["employer"]["region"]), committee_id


async def test_a_declaration_goes_from_submission_to_qualified_through_every_step(review_system: RunningSystem) -> None:
    admin = review_system.admin_headers()
    suffix = uuid.uuid4().hex[:6]
    people = {
        "unit_reviewer": TAIYUAN,
        "dept_reviewer": TAIYUAN,
        "hr_reviewer": TAIYUAN,
        "committee_office": SHANXI,
    }
    users = {
        role: review_system.create_user(
            admin, username=f"{role}.{suffix}", password=PASSWORD, roles=[role], region=region, name=f"{role} 审核员"
        )
        for role, region in people.items()
    }
    declaration_id, region, committee_id = await submit_through_intake(review_system, admin, suffix)
    # The unit reviewer acts for the applicant's employer, the office for the committee (issue 12).
    review_system.bind_user(admin, users["unit_reviewer"], unit_credit_code=CREDIT_CODE)
    review_system.bind_user(admin, users["committee_office"], committees=[committee_id])
    headers = {role: token(f"{role}.{suffix}") for role in people}
    assert region == TAIYUAN  # the reviewers above cover it
    client = httpx.AsyncClient(base_url=GATEWAY_URL, timeout=10.0)

    async def review() -> dict[str, Any] | None:
        response = await client.get(f"/api/v1/reviews/declarations/{declaration_id}", headers=headers["unit_reviewer"])
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def at(step: str, status: str = "in_review") -> dict[str, Any] | None:
        current = await review()
        return current if current and current["step_key"] == step and current["status"] == status else None

    async def decide(role: str) -> None:
        current = await review()
        assert current is not None
        step = {"step_key": current["step_key"]}  # a claim and a decision name the step they are for
        claim = await client.post(f"/api/v1/reviews/{current['id']}/claim", json=step, headers=headers[role])
        assert claim.status_code == 200, claim.text
        response = await client.post(
            f"/api/v1/reviews/{current['id']}/decisions",
            json={**step, "outcome": "pass", "opinion": "材料真实完整，同意推荐。", "signer_unit": f"{role} 单位"},
            headers=headers[role],
        )
        assert response.status_code == 201, response.text

    async with client:
        first = await wait_until(lambda: at("unit_review"), timeout=30, what="the chain started")
        queue = await client.get("/api/v1/reviews/queue?limit=500", headers=headers["unit_reviewer"])
        assert first["id"] in [item["id"] for item in queue.json()["items"]]
        await decide("unit_reviewer")

        waiting = await at("unit_publicity")
        assert waiting is not None
        opened = await client.post(
            "/api/v1/reviews/publicities",
            json={"review_ids": [waiting["id"]], "title": "单位内公示"},
            headers=headers["unit_reviewer"],
        )
        assert opened.status_code == 201, opened.text
        publicity = opened.json()
        notice = await client.get(f"/api/v1/reviews/public/publicities/{publicity['token']}")  # no token: public
        assert notice.status_code == 200, notice.text
        assert notice.json()["entries"][0]["applicant_name"] == "张三"

        # Five working days pass (see the module docstring).
        conn = await asyncpg.connect(asyncpg_dsn(review_system.env["ZC_DATABASE_URL"]))
        try:
            await conn.execute(
                "UPDATE review.publicities SET open_through = opened_on - 1 WHERE id = $1", uuid.UUID(publicity["id"])
            )
        finally:
            await conn.close()
        await wait_until(lambda: at("department_review"), timeout=30, what="the publicity closed by itself")

        await decide("dept_reviewer")
        assert await at("city_hr_review") is not None
        await decide("hr_reviewer")
        assert await at("committee_office_review") is not None
        await decide("committee_office")
        final = await review()
        assert final is not None
        assert final["status"] == "qualified"

        decisions = await client.get(f"/api/v1/reviews/{final['id']}/decisions", headers=headers["committee_office"])
        assert [d["step_key"] for d in decisions.json()["items"]] == [
            "unit_review",
            "department_review",
            "city_hr_review",
            "committee_office_review",
        ]
        for decision in decisions.json()["items"]:
            check = await client.get(
                f"/api/v1/reviews/decisions/{decision['id']}/verification", headers=headers["committee_office"]
            )
            assert check.json()["valid"] is True
