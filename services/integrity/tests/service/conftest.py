"""Fixtures of the integrity service tests: the migrated schema and the app driven in-process,
with a manual clock (tests move time and run the scheduler once instead of sleeping)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from zhicheng_common.app import ServiceRuntime
from zhicheng_common.clock import ManualClock
from zhicheng_common.db import Database
from zhicheng_common.migrations import upgrade
from zhicheng_common.pii import PiiCipher
from zhicheng_common.problems import PROBLEM_MEDIA_TYPE
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys
from zhicheng_integrity.app import create_app
from zhicheng_integrity.settings import MIGRATIONS_DIR, IntegritySettings

T = TypeVar("T")

SHANXI = "140000"
TAIYUAN = "140100"
YUNCHENG = "140800"
# 2026-11-22 10:00 in Beijing.
START = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def resident_id(region: str = "140105") -> str:
    """A fresh valid resident ID number (GB 11643): random birth day (1960-1999) and sequence."""
    noise = uuid.uuid4().int
    birth = date(1960, 1, 1) + timedelta(days=noise % 14_600)
    first17 = f"{region}{birth:%Y%m%d}{(noise >> 20) % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def credit_code() -> str:
    """A fresh valid unified social credit code (GB 32100)."""
    body = "91140100" + "".join(_CREDIT_ALPHABET[b % 31] for b in uuid.uuid4().bytes[:9])
    total = sum(_CREDIT_ALPHABET.index(c) * w for c, w in zip(body, _CREDIT_WEIGHTS, strict=True))
    return body + _CREDIT_ALPHABET[(31 - total % 31) % 31]


def _in_thread(fn: Callable[[], T]) -> T:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


@pytest.fixture(scope="session")
def integrity_schema(zc_settings: CommonSettings) -> CommonSettings:
    _in_thread(lambda: upgrade(MIGRATIONS_DIR, zc_settings.database_url))
    return zc_settings


@dataclass
class Integrity:
    app: FastAPI
    client: httpx.AsyncClient
    clock: ManualClock
    database: Database
    cipher: PiiCipher

    async def run_scheduler(self) -> dict[str, int]:
        runtime: ServiceRuntime = self.app.state.runtime
        assert runtime.scheduler is not None
        return await runtime.scheduler.run_once()

    async def outbox(self, record_id: str) -> list[dict[str, Any]]:
        """The events recorded about ``record_id``, oldest first."""
        async with self.database.engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT type, envelope, published_at FROM integrity.outbox"
                        " WHERE envelope->>'subject' = :id ORDER BY id"
                    ),
                    {"id": record_id},
                )
            ).mappings()
            return [dict(row) for row in rows]

    async def journal(self, **where: str) -> list[dict[str, Any]]:
        clauses = " AND ".join(f"{column} = :{column}" for column in where) or "true"
        async with self.database.engine.connect() as conn:
            rows = (
                await conn.execute(text(f"SELECT * FROM integrity.journal WHERE {clauses} ORDER BY id"), where)
            ).mappings()
            return [dict(row) for row in rows]

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.database.engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()


@pytest.fixture
async def integrity(integrity_schema: CommonSettings) -> AsyncIterator[Integrity]:
    """The integrity service in-process on the session's database and NATS, its clock at ``START``."""
    clock = ManualClock(START)
    app = create_app(integrity_schema, IntegritySettings(scheduler_enabled=False), clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://integrity.test") as client:
            yield Integrity(app, client, clock, app.state.database, app.state.context.cipher)


@pytest.fixture
def province_admin(zc_keys: TestKeys) -> dict[str, str]:
    return zc_keys.headers(roles=["province_admin"], region=SHANXI, subject="shanxi-admin")


@pytest.fixture
def taiyuan_admin(zc_keys: TestKeys) -> dict[str, str]:
    return zc_keys.headers(roles=["hr_admin"], region=TAIYUAN, subject="taiyuan-admin")


@pytest.fixture
def yuncheng_admin(zc_keys: TestKeys) -> dict[str, str]:
    return zc_keys.headers(roles=["hr_admin"], region=YUNCHENG, subject="yuncheng-admin")


@pytest.fixture
def applicant_number() -> str:
    """The resident ID number the ``applicant`` account is bound to (its verified identity)."""
    return resident_id()


@pytest.fixture
def applicant(zc_keys: TestKeys, zc_settings: CommonSettings, applicant_number: str) -> dict[str, str]:
    """An applicant whose token carries the keyed hash of ``applicant_number`` (``zc_person_key``)."""
    person_key = PiiCipher(zc_settings.pii_key).keyed_hash(applicant_number)
    return zc_keys.headers(roles=["applicant"], region=TAIYUAN, subject="applicant-1", person_key=person_key)


def record_body(**overrides: Any) -> dict[str, Any]:
    """A valid falsified-materials record on a fresh person, barring declaring."""
    body: dict[str, Any] = {
        "subject_kind": "person",
        "subject_id_number": resident_id(),
        "subject_name": "张三",
        "kind": "falsified_materials",
        "facts": "申报材料中的论文录用通知系伪造",
        "evidence": [{"name": "核查报告.pdf", "media_type": "application/pdf", "size_bytes": 1024}],
        "deciding_authority": "太原市人力资源和社会保障局",
        "decision_date": "2026-11-20",
        "effects": {
            "bar_declaring": True,
            "bar_expert_draws": False,
            "revoke_certificate_number": None,
            "unit_sanction": None,
        },
    }
    body.update(overrides)
    return body


async def create_record(client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/integrity/records", json=record_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """``response`` is an RFC 9457 problem with this status and code; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["title"]
    return body
