"""Fixtures of the committees service tests: the migrated schema and the app driven in-process,
with a manual clock so tests move time instead of sleeping."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from zhicheng_committees.app import create_app
from zhicheng_committees.settings import MIGRATIONS_DIR, CommitteesSettings
from zhicheng_common.clock import ManualClock
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import InProcess, TestKeys, migrated, serving

SHANXI = "140000"
TAIYUAN = "140100"
YUNCHENG = "140800"
YUNNAN = "530000"
KUNMING = "530100"
# 1 March 2024, 09:00 in Beijing.
START = datetime(2024, 3, 1, 1, 0, tzinfo=UTC)
PREFIX = "/api/v1/committees"


@pytest.fixture(scope="session")
def committees_schema(zc_settings: CommonSettings) -> CommonSettings:
    return migrated(MIGRATIONS_DIR, zc_settings)


@dataclass
class Service(InProcess):
    keys: TestKeys

    def headers(self, roles: list[str], region: str) -> dict[str, str]:
        return self.keys.headers(roles=roles, region=region, subject=f"{roles[0]}-{region}")

    async def events(self, subject: str, type_suffix: str | None = None) -> list[dict[str, Any]]:
        """Outbox envelopes about ``subject`` (an aggregate id), oldest first, of one type if named."""
        envelopes = await self.outbox(subject)
        if type_suffix is not None:
            envelopes = [e for e in envelopes if e["type"] == f"cn.zhicheng.committees.{type_suffix}.v1"]
        return envelopes

    async def journal(self, record_id: str) -> list[tuple[str, str, list[str]]]:
        """``(action, actor, rule_ids)`` of the journal entries about ``record_id``, in order."""
        async with self.database.engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT action, actor, rule_ids FROM committees.journal WHERE record_id = :r ORDER BY id"),
                {"r": record_id},
            )
            return [(r.action, r.actor, list(r.rule_ids)) for r in rows]

    async def count(self, table: str) -> int:
        async with self.database.engine.connect() as conn:
            return int((await conn.execute(text(f"SELECT count(*) FROM committees.{table}"))).scalar_one())


@pytest.fixture
async def svc(committees_schema: CommonSettings, zc_keys: TestKeys) -> AsyncIterator[Service]:
    clock = ManualClock(START)
    app = create_app(committees_schema, CommitteesSettings(scheduler_enabled=False), clock=clock)
    async with serving(app, "http://committees.test") as client:
        yield Service(app, client, clock, zc_keys)


def filing_body(**overrides: Any) -> dict[str, Any]:
    """A valid filing of a senior engineering committee of Shanxi, formed per series."""
    body: dict[str, Any] = {
        "name": f"山西省工程技术高级职称评审委员会-{uuid.uuid4().hex[:6]}",
        "organizer_name": "山西省工业和信息化厅",
        "organizer_credit_code": "91140100MA0K0A0A0N",
        "region": SHANXI,
        "kind": "industry_department",
        "formation_basis": "per_series",
        "series": "engineering",
        "specialties": [],
        "levels": ["associate_senior", "senior"],
        "scope_regions": [SHANXI],
        "scope_ownership_kinds": [],
        "documents": [
            {"kind": "conditions", "title": "评审条件", "sha256": "a" * 64},
            {"kind": "rules", "title": "评审办法", "sha256": "b" * 64},
        ],
        "office": {
            "name": "评委会办公室",
            "address": "太原市小店区长风街1号",
            "contact_name": "王丽",
            "contact_phone": "0351-1234567",
        },
        "member_count": 25,
        "policy_pack": "shanxi-2024",
    }
    body.update(overrides)
    return body


def plan_body(**overrides: Any) -> dict[str, Any]:
    """A valid 2024 plan: notice on Mon 30 Sep, the 30th working day before the 15 Nov meeting (NA-14)."""
    body: dict[str, Any] = {
        "year": 2024,
        "levels": ["associate_senior", "senior"],
        "declaration_opens": "2024-08-01",
        "declaration_closes": "2024-08-31",
        "notice_date": "2024-09-30",
        "meetings": [{"meeting_date": "2024-11-15", "pre_meeting_filing_date": "2024-11-08"}],
    }
    body.update(overrides)
    return body


async def apply(svc: Service, body: dict[str, Any] | None = None, *, region: str = SHANXI) -> dict[str, Any]:
    response = await svc.client.post(
        f"{PREFIX}/filings", json=body or filing_body(), headers=svc.headers(["committee_office"], region)
    )
    assert response.status_code == 201, response.text
    filing: dict[str, Any] = response.json()
    return filing


async def decide(
    svc: Service, filing_id: str, *, approve: bool = True, region: str = SHANXI, roles: list[str] | None = None
) -> httpx.Response:
    return await svc.client.post(
        f"{PREFIX}/filings/{filing_id}/decision",
        json={"approve": approve, "opinion": "同意核准备案" if approve else "材料不全，不予核准"},
        headers=svc.headers(roles or ["hr_admin"], region),
    )


async def active_committee(svc: Service, body: dict[str, Any] | None = None, *, approver: str | None = None) -> str:
    """A committee applied for and approved (by default by the HR department of its region); returns its id."""
    filing = await apply(svc, body, region=(body or {}).get("region", SHANXI))
    response = await decide(svc, filing["id"], region=approver or (body or {}).get("region", SHANXI))
    assert response.status_code == 200, response.text
    committee_id: str = filing["committee_id"]
    return committee_id
