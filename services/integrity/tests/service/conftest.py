"""Fixtures of the integrity service tests: the migrated schema and the app driven in-process,
with a manual clock (tests move time and run the scheduler once instead of sleeping)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from zhicheng_common.clock import ManualClock
from zhicheng_common.pii import PiiCipher
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import InProcess, TestKeys, migrated, resident_id, serving
from zhicheng_integrity.app import create_app
from zhicheng_integrity.settings import MIGRATIONS_DIR, IntegritySettings

SHANXI = "140000"
TAIYUAN = "140100"
YUNCHENG = "140800"
# 2026-11-22 10:00 in Beijing.
START = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def integrity_schema(zc_settings: CommonSettings) -> CommonSettings:
    return migrated(MIGRATIONS_DIR, zc_settings)


@dataclass
class Integrity(InProcess):
    cipher: PiiCipher

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


@pytest.fixture
async def integrity(integrity_schema: CommonSettings) -> AsyncIterator[Integrity]:
    """The integrity service in-process on the session's database and NATS, its clock at ``START``."""
    clock = ManualClock(START)
    app = create_app(integrity_schema, IntegritySettings(scheduler_enabled=False), clock=clock)
    async with serving(app, "http://integrity.test") as client:
        yield Integrity(app, client, clock, app.state.context.cipher)


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
