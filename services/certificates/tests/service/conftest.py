"""Fixtures of the certificates service tests: the migrated schema on a database of its own, the app
in-process on the test stack (real PostgreSQL and NATS), a manual clock, and intake's, committees'
and integrity's events published on JetStream the way those services publish them."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

# The CJK font fixture of the unit tests (installs fonts-wqy-microhei when missing).
from services.certificates.tests.unit.conftest import cjk_font  # noqa: F401
from zhicheng_certificates.app import create_app
from zhicheng_certificates.settings import MIGRATIONS_DIR, CertificatesSettings
from zhicheng_common.clock import ManualClock
from zhicheng_common.migrations import upgrade
from zhicheng_common.pii import PiiCipher
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import (
    InProcess,
    TestKeys,
    TestStack,
    create_database,
    in_thread,
    publish_event,
    resident_id,
    serving_with_js,
    wait_until,
)

SHANXI = "140000"
TAIYUAN = "140100"
# Thursday 2026-12-03, 10:00 in Beijing.
START = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def certificates_schema(zc_stack: TestStack, zc_settings: CommonSettings) -> CommonSettings:
    """The certificates schema migrated on a database of its own, with a stream prefix of its own."""
    url = in_thread(lambda: create_database(zc_stack, "certificates_service"))
    in_thread(lambda: upgrade(MIGRATIONS_DIR, url))
    return zc_settings.model_copy(update={"database_url": url, "events_prefix": f"{zc_settings.events_prefix}ce"})


@dataclass
class Certs(InProcess):
    keys: TestKeys
    js: Any
    prefix: str
    cipher: PiiCipher

    def headers(self, *roles: str, region: str = SHANXI, subject: str = "", **kw: Any) -> dict[str, str]:
        return self.keys.headers(
            roles=list(roles or ("hr_admin",)), region=region, subject=subject or f"u-{uuid.uuid4().hex[:8]}", **kw
        )

    async def publish(
        self, name: str, data: dict[str, Any], *, subject: str, region: str = SHANXI, version: int = 1
    ) -> str:
        return await publish_event(self.js, self.prefix, name, data, subject=subject, region=region, version=version)

    async def execute(self, sql: str, **params: Any) -> None:
        async with self.database.engine.begin() as conn:
            await conn.execute(text(sql), params)

    async def until(self, sql: str, what: str, **params: Any) -> Any:
        return await wait_until(lambda: self.scalar(sql, **params), timeout=15, what=what)

    async def submitted(
        self, *, name: str = "欧阳明华", gender: str = "male", number: str | None = None
    ) -> dict[str, Any]:
        """intake.declaration.submitted v2 with ``holder_sealed``; returns the declaration's facts."""
        declaration_id = uuid.uuid4()
        number = number or resident_id()
        holder = {"name": name, "gender": gender, "resident_id": number}
        data = {
            "declaration_id": str(declaration_id),
            "applicant_key": self.cipher.keyed_hash(number),
            "applicant_name_sealed": self.cipher.encrypt(name),
            "holder_sealed": self.cipher.encrypt(json.dumps(holder, ensure_ascii=False)),
            "year": 2026,
            "series": "engineering",
            "specialty": "electrical",
            "level": "senior",
            "rank": "senior",
            "committee_id": str(uuid.uuid4()),
            "kind": "normal",
            "channel": "normal",
            "employer_name": "山西省电力勘测设计院",
            "region": TAIYUAN,
        }
        await self.publish("intake.declaration.submitted", data, subject=str(declaration_id), version=2)
        return {**holder, "declaration_id": declaration_id, "applicant_key": data["applicant_key"]}

    async def holder_known(self, declaration_id: uuid.UUID) -> None:
        await self.until(
            "SELECT 1 FROM certificates.holders WHERE declaration_id = :d", "holder projected", d=declaration_id
        )


def results_data(
    passed: list[dict[str, Any]], *, confirmation_id: uuid.UUID | None = None, **changes: Any
) -> dict[str, Any]:
    """committees.results.confirmed v1 (docs/event-contracts.md) of a senior engineering meeting in Shanxi."""
    data: dict[str, Any] = {
        "confirmation_id": str(confirmation_id or uuid.uuid4()),
        "meeting_id": str(uuid.uuid4()),
        "committee_id": "5b0e9f3c-1c1d-4b7e-9a51-0c7f2d6e8a01",
        "committee_name": "山西省工程技术系列高级职称评审委员会",
        "plan_id": str(uuid.uuid4()),
        "year": 2026,
        "region": SHANXI,
        "policy_pack": "shanxi-2024",
        "approving_authority": "山西省人力资源和社会保障厅",
        "document_number": "晋人社职字〔2026〕12号",
        "confirmed_on": "2026-12-01",
        "title_obtained_on": "2026-11-20",
        "reexamination_id": None,
        "passed": [
            {
                "declaration_id": str(p["declaration_id"]),
                "applicant_key": p["applicant_key"],
                "applicant_name_sealed": "",
                "series": "engineering",
                "specialty": "electrical",
                "level": "senior",
                "title_name": "正高级工程师",
            }
            for p in passed
        ],
        "not_passed": [],
    }
    data.update(changes)
    return data


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Another app of the service (other settings or keys) started on the same stack, and a client of it."""
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://c.test") as client,
    ):
        yield client


def make_app(settings: CommonSettings, clock: ManualClock, **changes: Any) -> FastAPI:
    return create_app(settings, CertificatesSettings(**changes), clock=clock)


@pytest.fixture(scope="module")
async def certs(certificates_schema: CommonSettings, zc_keys: TestKeys) -> AsyncIterator[Certs]:
    clock = ManualClock(START)
    app = make_app(certificates_schema, clock)
    async with serving_with_js(app, "http://certificates.test", certificates_schema) as (client, js):
        yield Certs(app, client, clock, zc_keys, js, certificates_schema.events_prefix, app.state.context.cipher)


@pytest.fixture(autouse=True)
def _reset_clock(certs: Certs) -> None:
    certs.clock.set(START)


FIXTURES = Path(__file__).parent.parent / "unit" / "fixtures"
