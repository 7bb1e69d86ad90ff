"""Committees over the gateway: filing → approval → annual plan, and the events reaching another service.

The events are asserted in the JetStream stream, and then in the consumer of another service:
intake's projection of committees and plans, read at ``GET /api/v1/declarations/windows``.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date
from typing import Any

import asyncpg
import httpx
import nats
import pytest
from alembic import command

from zhicheng_committees.settings import MIGRATIONS_DIR as COMMITTEES_MIGRATIONS
from zhicheng_common.db import asyncpg_dsn
from zhicheng_common.migrations import alembic_config
from zhicheng_common.testing import wait_until

from .committees_api import open_senior_engineering_committee, plan_dates, today_in_china
from .conftest import GATEWAY_URL, RunningSystem

pytestmark = pytest.mark.integration

SHANXI = "140000"


def token(username: str, password: str) -> dict[str, str]:
    response = httpx.post(f"{GATEWAY_URL}/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def events_in_stream(system: RunningSystem, subjects: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Wait until each ``fact -> aggregate id`` has its event in the JetStream stream; return their data."""
    prefix = system.env["ZC_EVENTS_PREFIX"]
    nc = await nats.connect(system.env["ZC_NATS_URL"])
    found: dict[str, dict[str, Any]] = {}
    try:
        js = nc.jetstream()
        sub = await js.subscribe(f"{prefix}.committees.>", ordered_consumer=True)

        async def all_found() -> bool:
            try:
                message = await sub.next_msg(timeout=0.5)
            except TimeoutError:
                return len(found) == len(subjects)
            envelope = json.loads(message.data)
            fact = message.subject.removeprefix(f"{prefix}.committees.")
            if subjects.get(fact) == envelope["subject"]:
                found[fact] = envelope["data"]
            return len(found) == len(subjects)

        await wait_until(all_found, timeout=30, interval=0, what=f"events {sorted(subjects)} in the stream")
        await sub.unsubscribe()
    finally:
        await nc.close()
    return found


async def test_filing_approval_and_plan_over_the_gateway_reach_intake(system: RunningSystem) -> None:
    admin = system.admin_headers()  # the bootstrap province_admin + hr_admin of Shanxi (140000)
    office_name = f"office-{uuid.uuid4().hex[:8]}"
    system.create_user(
        admin,
        username=office_name,
        password="Office-2026-long",
        name="评委会办公室",
        roles=["committee_office"],
        region=SHANXI,
    )
    office = token(office_name, "Office-2026-long")
    async with httpx.AsyncClient(base_url=f"{GATEWAY_URL}/api/v1/committees", timeout=10) as client:
        filing_in = {
            "name": f"山西省工程技术中级职称评审委员会-{uuid.uuid4().hex[:4]}",
            "organizer_name": "山西省工业和信息化厅",
            "organizer_credit_code": "91140100MA0K0A0A0N",
            "region": SHANXI,
            "kind": "industry_department",
            "formation_basis": "per_series",
            "series": "engineering",
            "levels": ["intermediate"],
            "scope_regions": [SHANXI],
            "office": {
                "name": "评委会办公室",
                "address": "太原市",
                "contact_name": "王丽",
                "contact_phone": "0351-1234567",
            },
            "member_count": 15,
            "policy_pack": "shanxi-2024",
        }
        # NA-1 is enforced at the service behind the gateway: an even count is a 409 naming the rule.
        refused = await client.post("/filings", json={**filing_in, "member_count": 16}, headers=office)
        assert refused.status_code == 409, refused.text
        assert refused.json()["rule"] == "NA-1"

        response = await client.post("/filings", json=filing_in, headers=office)
        assert response.status_code == 201, response.text
        filing = response.json()
        committee_id = filing["committee_id"]

        response = await client.post(
            f"/filings/{filing['id']}/decision", json={"approve": True, "opinion": "同意核准备案"}, headers=admin
        )
        assert response.status_code == 200, response.text

        plan_in = plan_dates(today_in_china(), ["intermediate"])
        response = await client.post(f"/{committee_id}/plans", json=plan_in, headers=office)
        assert response.status_code == 201, response.text
        plan = response.json()
        response = await client.post(f"/plans/{plan['id']}/publication", headers=admin)
        assert response.status_code == 200, response.text

        # CM-4 through the gateway: an intermediate engineer of Taiyuan may go to this committee.
        response = await client.get(
            "/scope", params={"series": "engineering", "level": "intermediate", "region": "140105"}, headers=office
        )
        assert committee_id in {c["committee_id"] for c in response.json()["items"]}

    events = await events_in_stream(system, {"committee.approved": committee_id, "plan.published": plan["id"]})
    assert events["committee.approved"]["levels"] == ["intermediate"]
    assert events["plan.published"]["committee_id"] == committee_id

    # Intake's projection (another service) shows the open declaration window once it consumed the events.
    async with httpx.AsyncClient(base_url=GATEWAY_URL, timeout=10) as client:

        async def window_shown() -> bool:
            response = await client.get("/api/v1/declarations/windows", headers=office)
            return response.status_code == 200 and committee_id in response.text and plan["id"] in response.text

        await wait_until(window_shown, timeout=30, interval=0.5, what="intake's declaration window for the plan")


async def test_NA_14_validities_corrected_by_migration_reach_intakes_copy(system: RunningSystem) -> None:
    """``committees_valid_until_na14`` corrects a stored date; ``committees_valid_until_republish``
    publishes it, and intake's copy ends with it. Hand-worked (Shanxi: 3 years): approved on
    2024-03-01, the old count said 2027-02-28, NA-14 says 2027-03-01."""
    committee_id, _ = open_senior_engineering_committee(system, system.admin_headers())
    conn = await asyncpg.connect(asyncpg_dsn(system.env["ZC_DATABASE_URL"]))
    try:

        async def intake_copy() -> tuple[date, date] | None:
            row = await conn.fetchrow(
                "SELECT valid_from, valid_until FROM intake.committee_scopes WHERE committee_id = $1",
                uuid.UUID(committee_id),
            )
            return (row["valid_from"], row["valid_until"]) if row is not None else None

        await wait_until(intake_copy, timeout=30, what="intake's copy of the committee")
        # The state a committee approved before issue 13 is in: stored, sent and copied by the old count.
        old = (date(2024, 3, 1), date(2027, 2, 28))
        await conn.execute(
            "UPDATE committees.committees SET valid_from = $2, valid_until = $3 WHERE id = $1",
            uuid.UUID(committee_id),
            *old,
        )
        await conn.execute(
            "UPDATE committees.outbox SET envelope = jsonb_set(envelope, '{data,valid_until}', '\"2027-02-28\"')"
            " WHERE envelope->>'subject' = $1 AND subject = 'committees.committee.approved'",
            committee_id,
        )
        await conn.execute(
            "UPDATE intake.committee_scopes SET valid_from = $2, valid_until = $3 WHERE committee_id = $1",
            uuid.UUID(committee_id),
            *old,
        )

        config = alembic_config(COMMITTEES_MIGRATIONS, system.env["ZC_DATABASE_URL"])
        await asyncio.to_thread(command.downgrade, config, "committees_event_order")
        await asyncio.to_thread(command.upgrade, config, "head")

        async def corrected() -> bool:
            return await intake_copy() == (date(2024, 3, 1), date(2027, 3, 1))

        await wait_until(corrected, timeout=30, what="intake's copy with the NA-14 valid_until")
    finally:
        await conn.close()
