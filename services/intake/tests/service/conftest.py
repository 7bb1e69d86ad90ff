"""Fixtures of intake's service tests: the migrated schema, the app in-process on the test stack
(real PostgreSQL and NATS), a manual clock, and committees' and integrity's events published on
JetStream the way their services publish them."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.intake.tests.builders import committee_event, declaration_body, plan_event, resident_id
from zhicheng_common.clock import ManualClock
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import (
    InProcess,
    TestKeys,
    TestStack,
    create_database,
    in_thread,
    migrated,
    publish_event,
    serving_with_js,
    wait_until,
)
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
    url = in_thread(lambda: create_database(zc_stack, "intake_service"))
    own = zc_settings.model_copy(update={"database_url": url, "events_prefix": f"{zc_settings.events_prefix}in"})
    return migrated(MIGRATIONS_DIR, own)


@dataclass
class Intake(InProcess):
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
        await publish_event(self.js, self.prefix, name, data, subject=subject or str(uuid.uuid4()), region=SHANXI)

    async def publish_versioned(self, name: str, version: int, data: dict[str, Any]) -> None:
        """Publish ``data`` as version ``version`` of event ``name`` (e.g. review's v2, texts sealed)."""
        subject = str(data.get("declaration_id") or uuid.uuid4())
        await publish_event(self.js, self.prefix, name, data, subject=subject, region=SHANXI, version=version)

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


BASE = "/api/v1/declarations"


async def draft(intake: Intake, body: dict[str, Any], headers: dict[str, str]) -> str:
    """Create a draft of ``body``; returns its id."""
    response = await intake.client.post(BASE, json=body, headers=headers)
    assert response.status_code == 201, response.text
    declaration_id: str = response.json()["id"]
    return declaration_id


async def open_draft(intake: Intake, headers: dict[str, str]) -> str:
    """A draft of a fresh applicant to a newly opened committee; returns its id."""
    committee_id = await intake.open_committee()
    return await draft(intake, applicant_body(committee_id), headers)


async def upload(
    client: httpx.AsyncClient,
    declaration_id: str,
    headers: dict[str, str],
    kind: str,
    name: str,
    content: bytes,
    media_type: str | None = None,
) -> httpx.Response:
    """Upload one attachment (``media_type`` is its Content-Type, none sent when ``None``); the answer as it comes."""
    if media_type is not None:
        headers = {**headers, "Content-Type": media_type}
    url = f"{BASE}/{declaration_id}/attachments"
    return await client.post(url, params={"name": name, "kind": kind}, content=content, headers=headers)


async def submit(intake: Intake, declaration_id: str, headers: dict[str, str]) -> httpx.Response:
    """Submit a draft; the answer as it comes (a test of a refusal reads it)."""
    return await intake.client.post(f"{BASE}/{declaration_id}/submit", headers=headers)


async def submitted_draft(intake: Intake, body: dict[str, Any], headers: dict[str, str]) -> str:
    """A draft of ``body``, submitted and accepted; returns its id."""
    declaration_id = await draft(intake, body, headers)
    response = await submit(intake, declaration_id, headers)
    assert response.status_code == 200, response.text
    return declaration_id


async def status_becomes(intake: Intake, declaration_id: str, headers: dict[str, str], status: str) -> None:
    """Wait (bounded) until the declaration shows ``status``, e.g. after an event was consumed."""

    async def moved() -> bool:
        response = await intake.client.get(f"{BASE}/{declaration_id}", headers=headers)
        return bool(response.json()["status"] == status)

    await wait_until(moved, timeout=10, what=f"declaration {status}")


@pytest.fixture(scope="module")
async def intake(
    intake_schema: CommonSettings, zc_keys: TestKeys, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Intake]:
    clock = ManualClock(START)
    settings = IntakeSettings(attachment_max_bytes=MAX_ATTACHMENT, scheduler_enabled=False)
    app = create_app(intake_schema, settings, clock=clock)
    async with serving_with_js(app, "http://intake.test", intake_schema) as (client, js):
        yield Intake(app, client, clock, zc_keys, js, intake_schema.events_prefix)


@pytest.fixture(autouse=True)
def _reset_clock(intake: Intake) -> None:
    intake.clock.set(START)
