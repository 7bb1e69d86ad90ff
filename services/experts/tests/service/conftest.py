"""Fixtures of the experts service tests: the migrated schema on a database of its own, the app
in-process on the test stack (real PostgreSQL and NATS), a manual clock, and committees', review's
and integrity's events published on JetStream the way those services publish them."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from zhicheng_common.clock import ManualClock
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_common.migrations import upgrade
from zhicheng_common.pii import PiiCipher
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import (
    InProcess,
    TestKeys,
    TestStack,
    assert_problem,
    create_database,
    credit_code,
    resident_id,
    serving_with_js,
    wait_until,
)
from zhicheng_experts.app import create_app
from zhicheng_experts.settings import MIGRATIONS_DIR, ExpertsSettings

SHANXI = "140000"
TAIYUAN = "140100"
# Monday 2026-03-02, 10:00 in Beijing.
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def wrong_check_digit(number: str) -> str:
    """The same number with another check character (so only the check digit is wrong)."""
    last = "10X98765432"
    return number[:17] + last[(last.index(number[17]) + 1) % 11]


def expert_body(**changes: Any) -> dict[str, Any]:
    """A valid senior electrical engineer of a public institution in Taiyuan, one term 2025-2027."""
    body: dict[str, Any] = {
        "name": "王建国",
        "resident_id": resident_id(),
        "unit_name": "山西省电力勘测设计院",
        "unit_credit_code": credit_code(),
        "ownership_kind": "public_institution",
        "series": "engineering",
        "specialties": ["electrical"],
        "rank_held": "senior",
        "region": TAIYUAN,
        "terms": [{"starts_on": "2025-01-01", "ends_on": "2027-12-31"}],
    }
    body.update(changes)
    return body


def csv_file(rows: list[dict[str, str]]) -> bytes:
    """A CSV import with the Chinese headings offices use."""
    headings = {
        "name": "姓名",
        "resident_id": "身份证号",
        "unit_name": "工作单位",
        "unit_credit_code": "统一社会信用代码",
        "ownership_kind": "单位性质",
        "series": "职称系列",
        "specialties": "专业",
        "rank_held": "职称级别",
        "region": "行政区划",
        "term_start": "聘期开始",
        "term_end": "聘期结束",
    }
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(headings))
    out.write(",".join(headings.values()) + "\n")
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def csv_row(**changes: str) -> dict[str, str]:
    row = {
        "name": "李华",
        "resident_id": resident_id(),
        "unit_name": "太原重型机械集团有限公司",
        "unit_credit_code": credit_code(),
        "ownership_kind": "国有企业",
        "series": "engineering",
        "specialties": "mechanical；electrical",
        "rank_held": "正高级",
        "region": TAIYUAN,
        "term_start": "2025-07-01",
        "term_end": "2028-06-30",
    }
    row.update(changes)
    return row


def committee_data(committee_id: uuid.UUID, **changes: Any) -> dict[str, Any]:
    """``committees.committee.approved`` of a senior engineering committee of Shanxi, per series."""
    data: dict[str, Any] = {
        "committee_id": str(committee_id),
        "filing_id": str(uuid.uuid4()),
        "name": "山西省工程技术系列高级职称评审委员会",
        "kind": "government_hr",
        "formation_basis": "per_series",
        "series": "engineering",
        "specialties": ["electrical", "mechanical"],
        "levels": ["associate_senior", "senior"],
        "scope_regions": [SHANXI],
        "scope_ownership_kinds": ["public_institution", "state_owned_enterprise"],
        "policy_pack": "shanxi-2024",
        "valid_from": "2025-01-01",
        "valid_until": "2027-12-31",
        "region": SHANXI,
        "organizer_name": "山西省人力资源和社会保障厅",
        "member_count": 25,
        "status": "active",
    }
    data.update(changes)
    return data


@pytest.fixture(scope="session")
def experts_schema(zc_stack: TestStack, zc_settings: CommonSettings) -> CommonSettings:
    """The experts schema migrated on a database of its own, with a stream prefix of its own."""
    with ThreadPoolExecutor(1) as pool:
        url = pool.submit(lambda: create_database(zc_stack, "experts_service")).result()
        pool.submit(lambda: upgrade(MIGRATIONS_DIR, url)).result()
    return zc_settings.model_copy(update={"database_url": url, "events_prefix": f"{zc_settings.events_prefix}ex"})


@dataclass
class Experts(InProcess):
    keys: TestKeys
    js: Any
    prefix: str
    cipher: PiiCipher

    def headers(self, *roles: str, region: str = TAIYUAN, subject: str = "") -> dict[str, str]:
        return self.keys.headers(
            roles=list(roles or ("committee_office",)), region=region, subject=subject or f"u-{uuid.uuid4().hex[:8]}"
        )

    async def publish(self, name: str, data: dict[str, Any], *, subject: str = "", region: str = SHANXI) -> str:
        """Publish ``data`` as event ``<service>.<entity>.<fact>`` the way its producer does."""
        event = CloudEvent(
            id=str(uuid.uuid4()),
            source=f"/zhicheng/{name.split('.')[0]}",
            type=f"cn.zhicheng.{name}.v1",
            subject=subject or str(uuid.uuid4()),
            time=datetime.now(UTC),
            data=data,
            region=region,
        )
        await self.js.publish(
            f"{self.prefix}.{name}", event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id}
        )
        return event.id

    async def until(self, sql: str, what: str, **params: Any) -> Any:
        """Wait (bounded) until ``sql`` returns a true value; return it."""
        return await wait_until(lambda: self.scalar(sql, **params), timeout=10, what=what)

    async def committee(self, **changes: Any) -> uuid.UUID:
        """An approved committee, seen in the experts service's projection."""
        committee_id = uuid.uuid4()
        await self.publish(
            "committees.committee.approved", committee_data(committee_id, **changes), subject=str(committee_id)
        )
        await self.until(
            "SELECT 1 FROM experts.committee_views WHERE committee_id = :c", "committee projected", c=committee_id
        )
        return committee_id

    async def create(self, **changes: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/experts/experts", json=expert_body(**changes), headers=self.headers()
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


@pytest.fixture(scope="module")
async def experts(experts_schema: CommonSettings, zc_keys: TestKeys) -> AsyncIterator[Experts]:
    clock = ManualClock(START)
    app = create_app(experts_schema, ExpertsSettings(scheduler_enabled=False), clock=clock)
    async with serving_with_js(app, "http://experts.test", experts_schema) as (client, js):
        yield Experts(app, client, clock, zc_keys, js, experts_schema.events_prefix, app.state.context.cipher)


@pytest.fixture(autouse=True)
def _reset_clock(experts: Experts) -> None:
    experts.clock.set(START)


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    return assert_problem(response, status, code)
