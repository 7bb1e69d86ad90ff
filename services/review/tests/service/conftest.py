"""Fixtures of the review's service tests: the migrated schema, the app in-process with a manual
clock, and intake's events published on the real NATS stream (intake's code is not used)."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from zhicheng_common.clock import ManualClock
from zhicheng_common.pii import PiiCipher
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import InProcess, TestKeys, migrated, publish_event, serving_with_js, wait_until
from zhicheng_review.app import create_app
from zhicheng_review.settings import MIGRATIONS_DIR, ReviewSettings

SHANXI = "140000"
TAIYUAN = "140100"
XIAODIAN = "140105"  # a district of Taiyuan
YUNCHENG = "140800"
# The unit and the committee every test declaration names, and the bound unit reviewers and
# committee offices act for (issue 12: those roles reach their own unit's or committees' only).
UNIT_KEY = "u" * 64
COMMITTEE_ID = "0193a000-0000-7000-8000-0000000000c1"
# Thursday 26 September 2024, 10:00 in Beijing: National Day (1–7 Oct) lies ahead.
START = datetime(2024, 9, 26, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def review_schema(zc_settings: CommonSettings) -> CommonSettings:
    return migrated(MIGRATIONS_DIR, zc_settings)


def submitted_data(*, region: str = XIAODIAN, **overrides: Any) -> dict[str, Any]:
    """The data of ``intake.declaration.submitted`` for a fresh declaration, as intake sends it."""
    declaration_id = uuid.UUID(str(overrides.pop("declaration_id", uuid.uuid4())))
    return {
        "declaration_id": str(declaration_id),
        "applicant_key": f"key-{declaration_id.hex[:12]}",
        "applicant_name": "张三",
        "year": 2024,
        "series": "engineering",
        "specialty": "electrical",
        "level": "intermediate",
        "rank": "engineer",
        "committee_id": COMMITTEE_ID,
        "kind": "normal",
        "channel": "employer",
        "employer_name": "太原市某某电力有限公司",
        "unit_key": UNIT_KEY,
        "region": region,
        "owner_subject": "u-applicant",
        **overrides,
    }


@dataclass
class Harness(InProcess):
    keys: TestKeys
    settings: CommonSettings
    js: Any
    published: list[str] = field(default_factory=list)

    def headers(self, role: str, region: str = XIAODIAN, subject: str | None = None, **bindings: Any) -> dict[str, str]:
        """A token of ``role``; a unit reviewer is bound to ``UNIT_KEY``, a committee office to
        ``COMMITTEE_ID`` unless ``bindings`` say otherwise."""
        if role == "unit_reviewer":
            bindings.setdefault("unit_key", UNIT_KEY)
        if role == "committee_office":
            bindings.setdefault("committees", [COMMITTEE_ID])
        return self.keys.headers(roles=[role], region=region, subject=subject or f"u-{role}-{region}", **bindings)

    @property
    def admin(self) -> dict[str, str]:
        return self.keys.headers(roles=["province_admin"], region=SHANXI, subject="u-admin")

    def move_to(self, day: datetime) -> None:
        self.clock.set(day)

    def advance_days(self, days: int) -> None:
        self.clock.advance(timedelta(days=days))

    async def run_jobs(self) -> dict[str, int]:
        return await self.run_scheduler()

    async def publish_intake(self, fact: str, data: dict[str, Any], *, region: str | None = None) -> str:
        """Publish ``intake.declaration.<fact>`` as intake would (its envelope, its stream).

        A submission whose name is sealed is intake's v2 (issue 12); one with the name in clear, v1.
        """
        return await publish_event(
            self.js,
            self.settings.events_prefix,
            f"intake.declaration.{fact}",
            data,
            version=2 if "applicant_name_sealed" in data else 1,
            subject=str(data["declaration_id"]),
            region=region,
        )

    async def submit(
        self,
        *,
        channel: str = "employer",
        region: str = XIAODIAN,
        applicant_name: str = "张三",
        in_clear: bool = False,
        **overrides: Any,
    ) -> uuid.UUID:
        """Publish a submitted declaration and wait until its chain has started; returns the review id.

        The name is sealed as intake's v2 does; ``in_clear`` publishes a v1 event (name in clear).
        """
        data = submitted_data(channel=channel, region=region, applicant_name=applicant_name, **overrides)
        if not in_clear:
            data["applicant_name_sealed"] = PiiCipher(self.settings.pii_key).encrypt(data.pop("applicant_name"))
        declaration_id = uuid.UUID(data["declaration_id"])
        await self.publish_intake("submitted", data, region=region)
        review = await wait_until(
            lambda: self.review_of(declaration_id), timeout=15, what=f"chain of {declaration_id} started"
        )
        return uuid.UUID(review["id"])

    async def review_of(self, declaration_id: uuid.UUID) -> dict[str, Any] | None:
        response = await self.client.get(f"/api/v1/reviews/declarations/{declaration_id}", headers=self.admin)
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def review(self, review_id: uuid.UUID) -> dict[str, Any]:
        response = await self.client.get(f"/api/v1/reviews/{review_id}", headers=self.admin)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def decide(
        self, review_id: uuid.UUID, role: str, outcome: str = "pass", *, region: str = XIAODIAN, **extra: Any
    ) -> httpx.Response:
        if "step_key" not in extra:  # the decision names the step it is for: the one it waits at now
            extra["step_key"] = (await self.review(review_id))["step_key"]
        body = {"outcome": outcome, "opinion": "材料真实完整，同意推荐。", "signer_unit": "某某单位", **extra}
        return await self.client.post(
            f"/api/v1/reviews/{review_id}/decisions", json=body, headers=self.headers(role, region)
        )

    async def outbox(self, name: str) -> list[dict[str, Any]]:
        """Envelopes of event ``name`` in the review's outbox (what the relay publishes)."""
        async with self.app.state.database.unit_of_work() as session:
            rows = await session.execute(
                text("SELECT envelope FROM review.outbox WHERE subject = :name ORDER BY seq"), {"name": name}
            )
            return [r[0] if isinstance(r[0], dict) else json.loads(r[0]) for r in rows]

    async def sql(self, statement: str, **params: Any) -> Any:
        async with self.app.state.database.unit_of_work() as session:
            result = await session.execute(text(statement), params)
            return result.all() if result.returns_rows else []


@contextlib.asynccontextmanager
async def running_review(common: CommonSettings, clock: ManualClock, keys: TestKeys) -> AsyncIterator[Harness]:
    """One start of the review service in-process (a new app reading its key rings from ``keys_dir``)."""
    app = create_app(common, ReviewSettings(scheduler_enabled=False), clock=clock)
    async with serving_with_js(app, "http://review.test", common) as (client, js):
        yield Harness(app, client, clock, keys, common, js)


@pytest.fixture
async def harness(review_schema: CommonSettings, zc_keys: TestKeys, tmp_path: Path) -> AsyncIterator[Harness]:
    # Each test its own key rings (generated on first start, as in the embedded default).
    common = review_schema.model_copy(update={"keys_dir": tmp_path / "keys"})
    async with running_review(common, ManualClock(START), zc_keys) as harness:
        yield harness
