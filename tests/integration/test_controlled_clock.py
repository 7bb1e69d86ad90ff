"""The controlled clock on the running system (issue 11 §4, docs/clock.md).

All services run as processes with ``ZC_CLOCK=controlled``. A unit reviewer returns a declaration
for correction (RV-3, 5 working days in the pack); ``zhicheng clock advance`` moves the shared
time past the deadline, and intake's scheduler, woken by the move instead of its 60 s interval,
abandons the declaration; review follows from intake's event. Both states are read over the API.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.intake.tests.builders import CREDIT_CODE
from zhicheng_common.policy import load_pack
from zhicheng_common.testing import TestStack, wait_until

from .conftest import GATEWAY_URL, RunningSystem, delete_streams, isolated_env, start_system, stop_system
from .test_review_chain import PASSWORD, TAIYUAN, submit_through_intake, token

pytestmark = pytest.mark.integration

# Monday 2026-11-09, 09:00 in China: the deployment's day from the start (the committee's plan is
# published, the declaration submitted and returned on it; its plan year is then 2026, which the
# Shanxi pack covers).
RETURNED_ON = date(2026, 11, 9)
RETURNED_AT = "2026-11-09T09:00:00+08:00"
# RV-3, 5 working days after the return (the day of the return not counted); no holiday in that
# span of November 2026: Tue 10 (1), Wed 11 (2), Thu 12 (3), Fri 13 (4), [Sat 14, Sun 15], Mon 16 (5).
DEADLINE = date(2026, 11, 16)


@pytest.fixture(scope="module")
def clock_system(
    zc_stack: TestStack, zc_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningSystem]:
    """The system on the controlled clock; intake's abandon job keeps its 60 s interval on purpose."""
    env = isolated_env(zc_stack, zc_env, "clock")
    env["ZC_CLOCK"] = "controlled"
    running = start_system(env, Path(tmp_path_factory.mktemp("clock-system")) / "data")
    try:
        yield running
    finally:
        stop_system(running.process)
        delete_streams(env)


def zhicheng_clock(system: RunningSystem, *args: str) -> str:
    """``zhicheng clock …`` as an operator runs it against this deployment."""
    env = {**os.environ, **system.env}
    result = subprocess.run(
        [sys.executable, "-m", "zhicheng_common.cli", "clock", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


async def test_advancing_the_clock_past_a_return_deadline_abandons_the_declaration_in_intake_and_review(
    clock_system: RunningSystem,
) -> None:
    admin = clock_system.admin_headers()
    suffix = uuid.uuid4().hex[:6]
    unit_reviewer = clock_system.create_user(
        admin, username=f"unit.{suffix}", password=PASSWORD, roles=["unit_reviewer"], region=TAIYUAN, name="单位审核员"
    )
    # The reviewer acts for the applicant's employer (issue 12: a unit reviewer reaches its unit only).
    clock_system.bind_user(admin, unit_reviewer, unit_credit_code=CREDIT_CODE)
    reviewer = token(f"unit.{suffix}")
    async with httpx.AsyncClient(base_url=GATEWAY_URL, timeout=10.0) as client:
        # The operator route sets the shared time (forced: the day may be behind the real one).
        moved = await client.put("/api/v1/system/clock", json={"to": RETURNED_AT, "force": True}, headers=admin)
        assert moved.status_code == 200, moved.text
        assert moved.json()["mode"] == "controlled"
        assert moved.json()["now"].startswith("2026-11-09T01:00")  # 09:00 in China is 01:00 UTC
        # The first move creates the bucket: services look for it every 0.5 s, then watch it.
        await asyncio.sleep(2.0)
    declaration_id, _, _ = await submit_through_intake(clock_system, admin, suffix, today=RETURNED_ON)
    applicant = token(f"applicant.{suffix}")

    async with httpx.AsyncClient(base_url=GATEWAY_URL, timeout=10.0) as client:

        async def review() -> dict[str, Any] | None:
            response = await client.get(f"/api/v1/reviews/declarations/{declaration_id}", headers=reviewer)
            return response.json() if response.status_code == 200 else None

        async def intake() -> dict[str, Any]:
            response = await client.get(f"/api/v1/declarations/{declaration_id}", headers=applicant)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        current = await wait_until(review, timeout=30, what="the review chain started")

        step = {"step_key": current["step_key"]}
        claimed = await client.post(f"/api/v1/reviews/{current['id']}/claim", json=step, headers=reviewer)
        assert claimed.status_code == 200, claimed.text
        returned = await client.post(
            f"/api/v1/reviews/{current['id']}/decisions",
            json={
                **step,
                "outcome": "return",
                "opinion": "学历证书扫描件不清晰，请补正。",
                "signer_unit": "太原市某某电力有限公司人事部",
                "items": [{"field": "education.certificate", "message": "学历证书扫描件不清晰，请重新上传"}],
            },
            headers=reviewer,
        )
        assert returned.status_code == 201, returned.text

        async def returned_in_intake() -> dict[str, Any] | None:
            body = await intake()
            return body if body["status"] == "returned" else None

        declaration = await wait_until(returned_in_intake, timeout=30, what="returned in intake")
        pack = load_pack(declaration["policy_pack"])  # the pack the declaration is counted under
        assert pack.parameters.correction_deadline_working_days.value == 5  # RV-3, as DEADLINE assumes
        assert declaration["correction_deadline"] == DEADLINE.isoformat()  # counted from the controlled day

        # Mon 2026-11-16 09:00: the last day to correct, still in time (RV-3: abandoned only after it).
        assert "2026-11-16T09:00" in zhicheng_clock(clock_system, "advance", "7d")
        await asyncio.sleep(3.0)
        assert (await intake())["status"] == "returned"

        async def still_returned_in_review() -> bool:
            return bool((await review() or {}).get("status") == "returned")

        # The review's read can miss once while review follows the clock's move (CI on the
        # external servers read nothing there); "returned" it must be, and abandoned it never turns back.
        await wait_until(still_returned_in_review, timeout=30, what="still returned in review")

        # Tue 2026-11-17 09:00: past the deadline. Intake's abandon job runs every 60 s; the move
        # wakes it, so the declaration is abandoned well within that.
        assert "2026-11-17T09:00" in zhicheng_clock(clock_system, "advance", "1d")

        async def abandoned_in_intake() -> bool:
            return bool((await intake())["status"] == "abandoned")

        async def abandoned_in_review() -> bool:
            return bool((await review() or {}).get("status") == "abandoned")

        await wait_until(abandoned_in_intake, timeout=20, what="abandoned in intake (RV-3)")
        await wait_until(abandoned_in_review, timeout=20, what="abandoned in review (RV-3)")
        shown = await client.get("/api/v1/system/clock", headers=admin)
        assert shown.status_code == 200
        assert shown.json()["now"].startswith("2026-11-17T01:0")
        assert shown.json()["revision"] == 3  # set, advance 7d, advance 1d


async def test_the_operator_route_refuses_bad_moves_with_problems(clock_system: RunningSystem) -> None:
    admin = clock_system.admin_headers()
    suffix = uuid.uuid4().hex[:6]
    clock_system.create_user(
        admin, username=f"hr.{suffix}", password=PASSWORD, roles=["hr_reviewer"], region=TAIYUAN, name="人社审核员"
    )
    async with httpx.AsyncClient(base_url=GATEWAY_URL, timeout=10.0) as client:
        before = (await client.get("/api/v1/system/clock", headers=admin)).json()

        backwards = await client.put("/api/v1/system/clock", json={"advance": "-P1D"}, headers=admin)
        assert backwards.status_code == 409, backwards.text
        assert backwards.headers["content-type"].startswith("application/problem+json")
        assert backwards.json()["code"] == "clock_backwards"

        both = await client.put(
            "/api/v1/system/clock", json={"advance": "P1D", "to": "2027-01-01T00:00:00+08:00"}, headers=admin
        )
        assert both.status_code == 422, both.text
        assert both.headers["content-type"].startswith("application/problem+json")
        assert both.json()["code"] == "validation_failed"
        naive = await client.put("/api/v1/system/clock", json={"to": "2027-01-01T00:00:00"}, headers=admin)
        assert naive.status_code == 422, naive.text

        not_operator = await client.put("/api/v1/system/clock", json={"advance": "P1D"}, headers=token(f"hr.{suffix}"))
        assert not_operator.status_code == 403, not_operator.text
        assert not_operator.headers["content-type"].startswith("application/problem+json")
        anonymous = await client.put("/api/v1/system/clock", json={"advance": "P1D"})
        assert anonymous.status_code == 401

        after = (await client.get("/api/v1/system/clock", headers=admin)).json()
        assert after["revision"] == before["revision"]  # nothing refused moved the clock
