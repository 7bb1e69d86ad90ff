"""Fixtures of intake's service tests: the migrated schema, the app in-process on the test stack
(real PostgreSQL and NATS), a manual clock, and committees' and integrity's events published on
JetStream the way their services publish them."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.intake.tests.builders import committee_event, declaration_body, plan_event, resident_id
from zhicheng_common.clock import ManualClock
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_common.migrations import upgrade
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys, TestStack, create_database, wait_until
from zhicheng_intake.app import create_app
from zhicheng_intake.settings import MIGRATIONS_DIR, IntakeSettings

TAIYUAN = "140100"
SHANXI = "140000"
# 2024-05-01 10:00 in Beijing: inside the factories' declaration window.
START = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
MAX_ATTACHMENT = 64 * 1024


@pytest.fixture(scope="session")
def intake_schema(zc_stack: TestStack, zc_settings: CommonSettings) -> CommonSettings:
    """Intake migrated on a database of its own, with a stream of its own: these tests' rows and
    events never meet other tests' (the gateway's tests keep an intake process on the session's)."""
    with ThreadPoolExecutor(1) as pool:
        url = pool.submit(lambda: create_database(zc_stack, "intake_service")).result()
        pool.submit(lambda: upgrade(MIGRATIONS_DIR, url)).result()
    return zc_settings.model_copy(update={"database_url": url, "events_prefix": f"{zc_settings.events_prefix}in"})


@dataclass
class Intake:
    app: FastAPI
    client: httpx.AsyncClient
    clock: ManualClock
    keys: TestKeys
    js: Any
    prefix: str

    def headers(
        self, *, roles: tuple[str, ...] = ("applicant",), region: str = TAIYUAN, subject: str = "", **bindings: Any
    ) -> dict[str, str]:
        """A token; ``unit_key=…`` / ``committees=[…]`` bind a clerk to a unit or committees (issue 12)."""
        return self.keys.headers(
            roles=list(roles), region=region, subject=subject or f"u-{uuid.uuid4().hex[:8]}", **bindings
        )

    async def publish(self, name: str, data: dict[str, Any], *, subject: str = "") -> None:
        """Publish ``data`` as event ``<service>.<entity>.<fact>`` the way its producer does."""
        event = CloudEvent(
            id=str(uuid.uuid4()),
            source=f"/zhicheng/{name.split('.')[0]}",
            type=f"cn.zhicheng.{name}.v1",
            subject=subject or str(uuid.uuid4()),
            time=datetime.now(UTC),
            data=data,
            region=SHANXI,
        )
        await self.js.publish(
            f"{self.prefix}.{name}", event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id}
        )

    async def open_committee(self, **changes: Any) -> uuid.UUID:
        """An approved committee with an open 2024 window, seen in intake's projection."""
        committee_id = uuid.uuid4()
        await self.publish("committees.committee.approved", committee_event(committee_id, **changes))
        await self.publish(
            "committees.plan.published",
            plan_event(committee_id, levels=changes.get("levels", ["intermediate", "associate_senior", "senior"])),
        )
        headers = self.headers()

        async def visible() -> bool:
            response = await self.client.get("/api/v1/declarations/windows", headers=headers)
            return any(
                item["committee_id"] == str(committee_id) and item["windows"] for item in response.json()["items"]
            )

        await wait_until(visible, timeout=10, what="committee and plan in intake's projection")
        return committee_id


def applicant_body(committee_id: uuid.UUID, **changes: Any) -> dict[str, Any]:
    """A valid declaration for a fresh applicant (random ID number) to ``committee_id``."""
    birth = date(1975, 1, 1) + timedelta(days=random.randrange(0, 365 * 15))
    body = declaration_body(**changes)
    body["applicant"]["birth_date"] = birth.isoformat()
    body["applicant"]["id_number"] = resident_id(birth, random.randrange(0, 1000))
    body["target"]["committee_id"] = str(committee_id)
    return body


@pytest.fixture(scope="module")
async def intake(
    intake_schema: CommonSettings, zc_keys: TestKeys, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Intake]:
    import nats

    clock = ManualClock(START)
    settings = IntakeSettings(
        attachment_max_bytes=MAX_ATTACHMENT,
        scheduler_enabled=False,
    )
    app = create_app(intake_schema, settings, clock=clock)
    nc = await nats.connect(intake_schema.nats_url)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
                yield Intake(app, client, clock, zc_keys, nc.jetstream(), intake_schema.events_prefix)
    finally:
        await nc.close()


@pytest.fixture(autouse=True)
def _reset_clock(intake: Intake) -> None:
    intake.clock.set(START)


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = json.loads(response.text)
    assert body["code"] == code, body
    return body
