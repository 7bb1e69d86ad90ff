"""Fixtures of the certificates service tests: the migrated schema on a database of its own, the app
in-process on the test stack (real PostgreSQL and NATS), a manual clock, and intake's, committees'
and integrity's events published on JetStream the way those services publish them."""

from __future__ import annotations

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
    results_confirmed,
    sealed_submission,
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
        data = sealed_submission(self.cipher, declaration_id=declaration_id, name=name, gender=gender, number=number)
        await self.publish("intake.declaration.submitted", data, subject=str(declaration_id), version=2)
        holder = {"name": name, "gender": gender, "resident_id": number}
        return {**holder, "declaration_id": declaration_id, "applicant_key": data["applicant_key"]}

    async def holder_known(self, declaration_id: uuid.UUID) -> None:
        await self.until(
            "SELECT 1 FROM certificates.holders WHERE declaration_id = :d", "holder projected", d=declaration_id
        )


results_data = results_confirmed


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
