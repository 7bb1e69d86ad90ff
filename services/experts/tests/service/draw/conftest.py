"""Fixtures of the draw's service tests: the migrated schema, the app driven in-process on a manual
clock, and a pool of fixture rows served through the draw's :class:`PoolSnapshotSource` interface
(the ``pool`` feature's repository takes its place in the service)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.tests import builders
from zhicheng_common.clock import ManualClock
from zhicheng_common.migrations import upgrade
from zhicheng_common.problems import PROBLEM_MEDIA_TYPE
from zhicheng_common.series import Rank
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import InProcess, TestKeys, serving
from zhicheng_experts.app import create_app
from zhicheng_experts.draw.domain import Applicant, Expert, Meeting, PoolFiling, Relationship
from zhicheng_experts.draw.notifier import Notification
from zhicheng_experts.draw.repository import PoolSnapshot
from zhicheng_experts.settings import MIGRATIONS_DIR, ExpertsSettings

T = TypeVar("T")

SHANXI = "140000"
TAIYUAN = "140100"
YUNNAN = "530000"
PREFIX = "/api/v1/experts"
# Friday 1 November 2024, 09:00 in Beijing; the meeting is on Friday 15 November (10 working days on).
START = datetime(2024, 11, 1, 1, 0, tzinfo=UTC)
MEETING_DAY = date(2024, 11, 15)
SEED = "2024-11-08 03 07 12 19 25 31 + 09"


def _in_thread(fn: Callable[[], T]) -> T:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


@pytest.fixture(scope="session")
def experts_schema(zc_settings: CommonSettings) -> CommonSettings:
    _in_thread(lambda: upgrade(MIGRATIONS_DIR, zc_settings.database_url))
    return zc_settings


def expert_id(number: int) -> str:
    # Distinctive ids, so a test can search logs and public answers for any of them.
    return f"xp-{number:04d}-zq"


def expert(number: int, **changes: Any) -> Expert:
    """Expert ``xp-0042-zq`` of unit ``U0042``: active, 正高 in engineering/civil, in term 2023-2025."""
    return builders.expert(number, **{"id": expert_id(number), "rank_held": Rank.SENIOR, **changes})


@dataclass
class FixturePool:
    """Pool rows for the tests, by (committee, meeting); e-mail addresses by expert id."""

    snapshots: dict[tuple[uuid.UUID, uuid.UUID], PoolSnapshot] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)

    async def eligible_pool_snapshot(
        self, session: AsyncSession, committee_id: uuid.UUID, meeting_id: uuid.UUID, *, frozen_on: date
    ) -> PoolSnapshot | None:
        return self.snapshots.get((committee_id, meeting_id))

    async def contact_emails(self, session: AsyncSession, expert_ids: Sequence[str]) -> Mapping[str, str]:
        return {i: self.emails[i] for i in expert_ids if i in self.emails}


@dataclass
class RecordingNotifier:
    sent: list[tuple[Notification, str | None]] = field(default_factory=list)

    async def send(self, notification: Notification, address: str | None) -> None:
        self.sent.append((notification, address))


@dataclass
class OpenMeeting:
    committee_id: uuid.UUID
    meeting_id: uuid.UUID
    experts: tuple[Expert, ...]
    applicants: tuple[Applicant, ...]

    @property
    def path(self) -> str:
        return f"{PREFIX}/committees/{self.committee_id}/meetings/{self.meeting_id}/draws"


@dataclass
class Service(InProcess):
    keys: TestKeys
    pool: FixturePool
    notifier: RecordingNotifier

    def office(self, meeting: OpenMeeting, subject: str = "office-1") -> dict[str, str]:
        return self.keys.headers(
            roles=["committee_office"], region=SHANXI, subject=subject, committees=[meeting.committee_id]
        )

    def as_role(self, role: str, region: str = SHANXI, subject: str | None = None) -> dict[str, str]:
        return self.keys.headers(roles=[role], region=region, subject=subject or f"{role}-{region}")

    def open_meeting(
        self,
        experts: Sequence[Expert],
        applicants: Sequence[Applicant] = (),
        *,
        meeting_day: date = MEETING_DAY,
        specialties: tuple[str, ...] = ("civil", "power"),
    ) -> OpenMeeting:
        """A pre-filed senior meeting (per specialty, 副高 and 正高 evaluated) of a Shanxi committee."""
        committee_id, meeting_id = uuid.uuid4(), uuid.uuid4()
        meeting = Meeting(
            id=str(meeting_id),
            committee_id=str(committee_id),
            date=meeting_day,
            committee_level="senior",
            formation_basis="per_specialty",
            series="engineering",
            evaluation_ranks=(Rank.ASSOCIATE_SENIOR, Rank.SENIOR),
            specialties=specialties,
        )
        filing = PoolFiling(f"filing-{meeting_id}", str(committee_id), date(2023, 1, 1), date(2025, 12, 31))
        self.pool.snapshots[(committee_id, meeting_id)] = PoolSnapshot(
            meeting=meeting,
            region=TAIYUAN,
            policy_pack="shanxi-2024",
            filing=filing,
            experts=tuple(experts),
            applicants=tuple(applicants),
        )
        return OpenMeeting(committee_id, meeting_id, tuple(experts), tuple(applicants))

    async def journal(self, record_id: str) -> list[tuple[str, list[str], dict[str, Any]]]:
        async with self.database.engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT action, rule_ids, data FROM experts.journal WHERE record_id = :r ORDER BY id"),
                {"r": record_id},
            )
            return [(r.action, list(r.rule_ids), dict(r.data)) for r in rows]


@contextlib.asynccontextmanager
async def running(common: CommonSettings, keys: TestKeys) -> AsyncIterator[Service]:
    clock = ManualClock(START)
    pool = FixturePool()
    notifier = RecordingNotifier()
    app = create_app(common, ExpertsSettings(scheduler_enabled=False), clock=clock, pool_source=pool, notifier=notifier)
    async with serving(app, "http://experts.test") as client:
        yield Service(app, client, clock, keys, pool, notifier)


@pytest.fixture
async def svc(experts_schema: CommonSettings, zc_keys: TestKeys) -> AsyncIterator[Service]:
    async with running(experts_schema, zc_keys) as service:
        yield service


@pytest.fixture
async def svc_logging(experts_schema: CommonSettings, zc_keys: TestKeys) -> AsyncIterator[Service]:
    """The service logging at INFO (the tests' default is WARNING), to read every line it writes."""
    async with running(experts_schema.model_copy(update={"log_level": "INFO"}), zc_keys) as service:
        yield service


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code, body
    return body


def pem(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@dataclass
class Signer:
    headers: dict[str, str]
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)


def signers(svc: Service, meeting: OpenMeeting) -> list[Signer]:
    """Two drawers of the committee office and one supervisor, each with a key of their own (EX-1)."""
    return [
        Signer(svc.office(meeting, "drawer-1")),
        Signer(svc.office(meeting, "drawer-2")),
        Signer(svc.as_role("supervisor", SHANXI, "supervisor-1")),
    ]


async def sign(svc: Service, draw_id: str, signer: Signer) -> httpx.Response:
    payload = await svc.client.get(f"{PREFIX}/draws/{draw_id}/signing-payload", headers=signer.headers)
    assert payload.status_code == 200, payload.text
    signature = signer.key.sign(payload.json()["payload"].encode("utf-8")).hex()
    return await svc.client.post(
        f"{PREFIX}/draws/{draw_id}/signatures",
        json={"public_key_pem": pem(signer.key), "signature": signature},
        headers=signer.headers,
    )


def civil_pool(count: int, start: int = 0) -> list[Expert]:
    return [expert(i) for i in range(start, start + count)]


CIVIL_11_3 = {"size": 11, "quotas": [{"specialty": "civil", "members": 11, "alternates": 3}]}


async def committed(svc: Service, meeting: OpenMeeting, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await svc.client.post(meeting.path, json=body or CIVIL_11_3, headers=svc.office(meeting))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def seeded(svc: Service, draw_id: str) -> dict[str, Any]:
    response = await svc.client.post(
        f"{PREFIX}/draws/{draw_id}/seed", json={"external_seed": SEED}, headers=svc.as_role("supervisor")
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def drawn(svc: Service, meeting: OpenMeeting, body: dict[str, Any] | None = None) -> dict[str, Any]:
    draw = await committed(svc, meeting, body)
    return await seeded(svc, draw["draw_id"])


async def signed(
    svc: Service, meeting: OpenMeeting, body: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[Signer]]:
    draw = await drawn(svc, meeting, body)
    people = signers(svc, meeting)
    last: dict[str, Any] = {}
    for person in people:
        response = await sign(svc, draw["draw_id"], person)
        assert response.status_code == 201, response.text
        last = response.json()
    return last, people


def applicant(number: int, unit: str | None = None, relationships: tuple[Relationship, ...] = ()) -> Applicant:
    return Applicant(f"applicant-{number:04d}", unit or f"A{number:04d}", relationships)
