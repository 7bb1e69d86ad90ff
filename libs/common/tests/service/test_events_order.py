"""Order per aggregate (issue 10 §1), with the producers' real event types and the consumers' real
handlers on real PostgreSQL and NATS JetStream:

* review: ``declaration.withdrawn`` after ``declaration.submitted`` ends the chain as withdrawn;
* intake: ``committee.suspended`` after ``committee.approved`` leaves the committee suspended;
* intake: ``record.withdrawn`` after ``record.decided`` lifts the integrity bar (EL-20).

Each sequence is committed through the producer's outbox while the consumers are stopped, then
the consumers start again. Once with one relay per producer, once with two relays per producer
running side by side (the advisory-lock leader publishes, in outbox order). Then the same events
are put on the stream in the wrong order, as unordered relays used to: the consumer parks what
it does not know yet and skips a version older than one it applied, and ends in the same state.

The module has its own database and its own subject prefix, so the product's durable names
(``review-intake``, ``intake-committees``, ``intake-integrity``) are used as they are.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from nats.aio.client import Client as NatsClient
from nats.js.client import JetStreamContext
from pydantic import BaseModel
from sqlalchemy import text

from zhicheng_committees.events import CommitteeApproved, CommitteeRefiled, CommitteeSuspended
from zhicheng_committees.settings import MIGRATIONS_DIR as COMMITTEES_MIGRATIONS
from zhicheng_common.clock import SystemClock
from zhicheng_common.db import Database
from zhicheng_common.events.consumer import EventConsumer, consumers_of
from zhicheng_common.events.outbox import BatchResult, OutboxRelay, record_event
from zhicheng_common.events.streams import connect, ensure_streams
from zhicheng_common.migrations import upgrade
from zhicheng_common.pii import PiiCipher
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestStack, create_database, wait_until
from zhicheng_intake.consumers import subscriptions as intake_subscriptions
from zhicheng_intake.events import DeclarationSubmitted, DeclarationWithdrawn
from zhicheng_intake.settings import MIGRATIONS_DIR as INTAKE_MIGRATIONS
from zhicheng_integrity.events import RecordDecided, RecordEffects, RecordWithdrawn
from zhicheng_integrity.settings import MIGRATIONS_DIR as INTEGRITY_MIGRATIONS
from zhicheng_review import service as review_service
from zhicheng_review.consumers import subscriptions as review_subscriptions
from zhicheng_review.settings import MIGRATIONS_DIR as REVIEW_MIGRATIONS
from zhicheng_review.settings import ReviewSettings

pytestmark = pytest.mark.service

LINFEN = "141000"


@pytest.fixture(scope="module")
def order_settings(zc_stack: TestStack, zc_settings: CommonSettings) -> CommonSettings:
    """A database of the module's own, every service schema in it migrated, and a prefix of its own."""
    url = create_database(zc_stack, "order")
    for migrations in (INTAKE_MIGRATIONS, REVIEW_MIGRATIONS, COMMITTEES_MIGRATIONS, INTEGRITY_MIGRATIONS):
        upgrade(migrations, url)
    return zc_settings.model_copy(update={"database_url": url, "events_prefix": f"{zc_settings.events_prefix}ord"})


@dataclass
class System:
    settings: CommonSettings
    js: JetStreamContext
    db: dict[str, Database]  # by service (schema)

    def relays(self, producer: str, count: int) -> list[OutboxRelay]:
        return [
            OutboxRelay(
                self.db[producer].engine,
                self.js,
                schema=producer,
                prefix=self.settings.events_prefix,
                batch_size=1,  # one row per batch: the relays take turns as often as they can
                poll_seconds=0.05,
            )
            for _ in range(count)
        ]

    def consumers(self) -> list[EventConsumer]:
        """The product's durables: review-intake, intake-committees, intake-integrity."""
        ctx = review_service.build_context(self.settings, ReviewSettings(), SystemClock())
        wiring = [("review", review_subscriptions(ctx)), ("intake", intake_subscriptions(ctx.cipher))]
        made = []
        for service, subscriptions in wiring:
            for producer, group in consumers_of(service, subscriptions).items():
                if producer in ("review", "certificates"):
                    continue  # intake-review and intake-certificates (titles held): not part of these sequences
                made.append(
                    EventConsumer(
                        service=service,
                        producer=producer,
                        subscriptions=group,
                        js=self.js,
                        database=self.db[service],
                        stream=self.settings.stream_name,
                        prefix=self.settings.events_prefix,
                        retry_delay_seconds=0.2,
                        fetch_timeout_seconds=0.3,
                    )
                )
        assert sorted(c.durable for c in made) == ["intake-committees", "intake-integrity", "review-intake"]
        return made

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.db["intake"].engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()

    async def unpublished(self) -> int:
        total = 0
        for schema in ("intake", "committees", "integrity"):
            total += int(await self.scalar(f"SELECT count(*) FROM {schema}.outbox WHERE published_at IS NULL"))
        return total


@pytest.fixture
async def system(order_settings: CommonSettings) -> AsyncIterator[System]:
    nc: NatsClient = await connect(order_settings.nats_url, name="order-test")
    js = nc.jetstream()
    await ensure_streams(js, order_settings)
    db = {name: Database(order_settings.database_url, name) for name in ("intake", "review", "committees", "integrity")}
    try:
        yield System(order_settings, js, db)
    finally:
        for name in (order_settings.stream_name, order_settings.dead_letter_stream_name):
            await js.delete_stream(name)  # a fresh stream (and durables) for the next test
        for database in db.values():
            await database.dispose()
        await nc.close()


@dataclass(frozen=True)
class Sequence:
    declaration_id: uuid.UUID
    committee_id: uuid.UUID
    record_id: uuid.UUID
    subject_key: str


def _submitted(s: Sequence, cipher: PiiCipher) -> DeclarationSubmitted:
    return DeclarationSubmitted(
        declaration_id=str(s.declaration_id),
        applicant_key=s.subject_key,
        applicant_name_sealed=cipher.encrypt("王五"),
        year=2024,
        series="engineering",
        specialty="电气工程",
        level="intermediate",
        rank="engineer",
        committee_id=str(s.committee_id),
        kind="normal",
        channel="employer",
        employer_name="临汾市某某电力有限公司",
        region=LINFEN,
        owner_subject="u-applicant",
    )


def _filing(committee_id: uuid.UUID, model: type[BaseModel], **extra: Any) -> BaseModel:
    return model(
        committee_id=committee_id,
        filing_id=uuid.uuid4(),
        name="临汾市工程系列电气专业中级职称评审委员会",
        kind="municipal",
        formation_basis="晋人社厅发〔2024〕1号",
        series="engineering",
        specialties=[],
        levels=["intermediate"],
        scope_regions=[LINFEN],
        scope_ownership_kinds=[],
        policy_pack="shanxi-2024",
        valid_from=date(2024, 1, 1),
        valid_until=date(2026, 12, 31),
        region=LINFEN,
        organizer_name="临汾市人力资源和社会保障局",
        member_count=30,
        status="active",
        **extra,
    )


def _decided(s: Sequence) -> RecordDecided:
    return RecordDecided(
        record_id=s.record_id,
        subject_kind="person",
        subject_key=s.subject_key,
        kind="falsified_materials",
        effects=RecordEffects(
            bar_declaring=True, bar_expert_draws=False, revoke_certificate_number=None, unit_sanction=None
        ),
        valid_from=date(2024, 9, 1),
        valid_until=date(2027, 8, 31),
        rule_ids=["IN-1"],
        policy_pack="shanxi-2024",
    )


async def commit_sequences(system: System) -> Sequence:
    """Commit the three sequences, each event in its own transaction, in the order that happened."""
    s = Sequence(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), f"key-{uuid.uuid4().hex[:12]}")
    withdrawn = RecordWithdrawn(
        record_id=s.record_id, subject_kind="person", subject_key=s.subject_key, outcome="withdrawn"
    )
    await commit(
        system,
        [
            ("intake", _submitted(s, PiiCipher(system.settings.pii_key)), s.declaration_id),
            ("committees", _filing(s.committee_id, CommitteeApproved), s.committee_id),
            ("integrity", _decided(s), s.record_id),
            ("intake", DeclarationWithdrawn(declaration_id=str(s.declaration_id)), s.declaration_id),
            ("committees", CommitteeSuspended(committee_id=s.committee_id, reason="整改"), s.committee_id),
            ("integrity", withdrawn, s.record_id),
        ],
    )
    return s


async def commit(system: System, events: list[tuple[str, BaseModel, uuid.UUID]]) -> None:
    for producer, data, subject in events:
        async with system.db[producer].unit_of_work() as session:
            await record_event(session, data, subject=str(subject), region=LINFEN)


async def run_until_applied(system: System, consumers: list[EventConsumer]) -> None:
    for consumer in consumers:
        await consumer.ensure()
    stop = asyncio.Event()
    tasks = [asyncio.create_task(c.run(stop)) for c in consumers]
    try:

        async def settled() -> bool:
            for consumer in consumers:
                info = await system.js.consumer_info(system.settings.stream_name, consumer.durable)
                if info.num_pending or info.num_ack_pending:
                    return False
            return True

        await wait_until(settled, timeout=30, what="every durable drained")
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def assert_right_state(system: System, s: Sequence) -> None:
    # A withdrawn declaration is not reviewed.
    status = await system.scalar("SELECT status FROM review.reviews WHERE declaration_id = :d", d=s.declaration_id)
    assert status == "withdrawn"
    # A suspended committee accepts no declarations.
    status = await system.scalar("SELECT status FROM intake.committee_scopes WHERE committee_id = :c", c=s.committee_id)
    assert status == "suspended"
    # A withdrawn integrity record bars nothing any more (EL-20).
    active = await system.scalar("SELECT active FROM intake.integrity_bars WHERE record_id = :r", r=s.record_id)
    assert active is False


async def _stopped_commit_restart(system: System, relays_per_producer: int) -> list[EventConsumer]:
    consumers = system.consumers()
    for consumer in consumers:
        await consumer.ensure()  # the durables exist (the consumers ran before) and are stopped now
    s = await commit_sequences(system)
    relays = [
        r for producer in ("intake", "committees", "integrity") for r in system.relays(producer, relays_per_producer)
    ]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(relay.run(stop)) for relay in relays]
    try:
        await wait_until(lambda: _none_unpublished(system), timeout=30, what="every outbox row published")
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    if relays_per_producer > 1:
        # Both relays of a producer were up; only the lock's holder published at any one time.
        assert sum(r.published_count for r in relays) == 6
    # The stream holds each aggregate's events in version order.
    for subject in (s.declaration_id, s.committee_id, s.record_id):
        assert await _stream_versions(system, str(subject)) == [1, 2]
    await run_until_applied(system, consumers)
    await assert_right_state(system, s)
    return consumers


async def _none_unpublished(system: System) -> bool:
    return await system.unpublished() == 0


async def _stream_versions(system: System, aggregate: str) -> list[int]:
    """The aggregateversion of each message about ``aggregate``, in stream order."""
    sub = await system.js.subscribe(f"{system.settings.events_prefix}.>", ordered_consumer=True)
    versions: list[int] = []
    try:
        info = await system.js.stream_info(system.settings.stream_name)
        for _ in range(info.state.messages):
            message = await sub.next_msg(timeout=5)
            envelope = json.loads(message.data)
            if envelope["subject"] == aggregate:
                versions.append(int(envelope["aggregateversion"]))
    finally:
        await sub.unsubscribe()
    return versions


async def test_three_sequences_committed_while_the_consumers_are_stopped_end_in_the_right_state(system: System) -> None:
    consumers = await _stopped_commit_restart(system, relays_per_producer=1)
    assert all(c.stats.parked == 0 and c.stats.dead_lettered == 0 for c in consumers)


async def test_the_same_with_two_relays_per_producer_running_side_by_side(system: System) -> None:
    consumers = await _stopped_commit_restart(system, relays_per_producer=2)
    assert sum(c.stats.applied for c in consumers) == 6
    assert all(c.stats.dead_lettered == 0 for c in consumers)


async def test_events_out_of_order_on_the_stream_are_parked_or_skipped_never_applied_as_no_ops(system: System) -> None:
    """What unordered relays did: an aggregate's later event reaches the stream first."""
    consumers = system.consumers()
    s = await commit_sequences(system)
    # A second committee: approved (v1), re-filed (v2, its data says active), suspended (v3).
    other = uuid.uuid4()
    await commit(
        system,
        [
            ("committees", _filing(other, CommitteeApproved), other),
            ("committees", _filing(other, CommitteeRefiled, reason="换届"), other),
            ("committees", CommitteeSuspended(committee_id=other, reason="整改"), other),
        ],
    )
    by_aggregate: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for schema in ("intake", "committees", "integrity"):
        async with system.db[schema].engine.connect() as conn:
            result = await conn.execute(text(f"SELECT subject, envelope FROM {schema}.outbox ORDER BY seq"))
            for subject, envelope in result.all():
                by_aggregate.setdefault(envelope["subject"], []).append((str(subject), dict(envelope)))
    wrong_order = [
        # withdrawn (v2) before submitted (v1), suspended (v2) before approved (v1), the record's
        # withdrawn (v2) before its decided (v1): each must wait (park) for what it follows.
        *reversed(by_aggregate[str(s.declaration_id)]),
        *reversed(by_aggregate[str(s.committee_id)]),
        *reversed(by_aggregate[str(s.record_id)]),
        # approved (v1), suspended (v3), then the older re-filing (v2): it must not make the
        # committee active again.
        *(by_aggregate[str(other)][i] for i in (0, 2, 1)),
    ]
    for subject, envelope in wrong_order:
        await system.js.publish(
            f"{system.settings.events_prefix}.{subject}",
            json.dumps(envelope, ensure_ascii=False).encode(),
            headers={"Nats-Msg-Id": envelope["id"]},
        )
    await run_until_applied(system, consumers)
    await assert_right_state(system, s)
    assert await system.scalar("SELECT status FROM intake.committee_scopes WHERE committee_id = :c", c=other) == (
        "suspended"
    )
    by_durable = {c.durable: c.stats for c in consumers}
    # Parked until what they follow was applied, not acked as no-ops (at least once each).
    for durable in ("review-intake", "intake-committees", "intake-integrity"):
        assert by_durable[durable].parked >= 1, durable
    # Every event applied once, but the re-filing that came after the suspension it preceded.
    applied = {durable: (stats.applied, stats.stale) for durable, stats in by_durable.items()}
    assert applied == {"review-intake": (2, 0), "intake-committees": (4, 1), "intake-integrity": (2, 0)}
    assert all(c.stats.dead_lettered == 0 for c in consumers)


async def test_a_relay_publishes_only_while_it_holds_its_schemas_lock(system: System) -> None:
    """The leader per schema: a second relay waits while another holds the advisory lock."""
    other = uuid.uuid4()
    await commit(system, [("committees", _filing(other, CommitteeApproved), other)])
    relay = system.relays("committees", 1)[0]
    relay.batch_size = 100  # whatever earlier tests left unpublished goes in the same batch
    async with system.db["committees"].engine.connect() as leader:
        await leader.execute(text("SELECT pg_advisory_lock(:key)"), {"key": relay.lock_key})
        assert await relay.publish_batch() == BatchResult(0, 0)
        assert (relay.standby_batches, await _published(system, other)) == (1, False)
        await leader.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": relay.lock_key})
    assert (await relay.publish_batch()).published >= 1
    assert (relay.led_batches, await _published(system, other)) == (1, True)


async def _published(system: System, aggregate: uuid.UUID) -> bool:
    sql = "SELECT bool_and(published_at IS NOT NULL) FROM committees.outbox WHERE envelope->>'subject' = :a"
    return bool(await system.scalar(sql, a=str(aggregate)))
