"""Durable pull consumers with an inbox: at-least-once delivery, effects applied once, in order
per aggregate.

A service reads each producer's events through **one** durable (``<service>-<producer>``) whose
filter is the producer's whole subject space (``<prefix>.<producer>.>``), and dispatches by subject
to its handlers in the process: the stream's order is then the order the consumer sees (separate
durables per type would each keep their own order, so ``withdrawn`` could overtake ``submitted``).

For a fetched batch: one transaction records ``(consumer, event id)`` in the inbox and, for an
envelope with ``aggregateversion``, the version in ``inbox_versions`` when it is newer than the
last one applied about that aggregate; the handlers run in the same transaction; commit, then ack.
A redelivered event finds its inbox row and is acked and skipped; an older version is acked
without running its handler (``stale``). A handler that raises :class:`AggregateNotYetKnown` parks
the event: it is redelivered later (nak with a delay) until the aggregate is known or the event is
older than the park limit, then dead-lettered; it is never acked as a no-op.

If anything in a batch fails, the batch's transaction rolls back and its messages are applied one
by one, each in its own transaction, so one bad message costs only itself. A handler error that
says "this message is wrong" (a 4xx-class problem, invalid data) sends the message to the
dead-letter subject at once; any other error is retried with a delay until the configured number
of attempts, then dead-lettered. An outage (the database or network unreachable) is not the
message's fault: it is retried with a delay for as long as the outage lasts and never dead-lettered.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

import structlog
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import TextClause, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.db import Database, driver_statements, inbox_table, session_schema
from zhicheng_common.events.authenticity import check_origin
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_common.events.permissions import durable_name
from zhicheng_common.events.streams import dead_letter_subject
from zhicheng_common.logging import set_trace_id, trace_id_from_traceparent
from zhicheng_common.problems import ProblemError

log = structlog.get_logger()

Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]

REPLAY_FOR_HEADER = "Zc-Replay-For"
MAX_RETRY_DELAY_SECONDS = 30.0


class PermanentEventError(Exception):
    """The message can never be applied as it is: dead-letter it without retrying."""


class EventData(BaseModel):
    """What a consumer reads of an event's data: the fields it names; others (a newer producer's) are ignored."""

    model_config = ConfigDict(extra="ignore")


D = TypeVar("D", bound=BaseModel)


def parse_data(model: type[D], event: CloudEvent) -> D:
    """The event's data as ``model``; data that does not fit is never valid however often it is
    redelivered, so it is dead-lettered at once (:class:`PermanentEventError`)."""
    try:
        return model.model_validate(event.data)
    except ValidationError as exc:  # say where: ``passed.1.specialty: Field required``
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False))
        raise PermanentEventError(
            f"{event.type} does not keep the contract (docs/event-contracts.md): {where}"
        ) from exc


class AggregateNotYetKnown(Exception):
    """The event is about an aggregate this consumer has not seen yet: park it, apply it later.

    Raised by a handler (e.g. ``declaration.withdrawn`` before the review knows the declaration);
    the consumer rolls back and redelivers the event after a delay instead of acking a no-op.
    """


@dataclass(frozen=True)
class Subscription:
    """What one handler of a service subscribes to (subjects without the prefix)."""

    name: str
    subjects: tuple[str, ...]
    handler: Handler
    description: str = ""
    #: A named group of the service's subscriptions with durables of its own,
    #: ``<service>-<group>-<producer>`` (e.g. the gateway's feeds beside its read model), each
    #: with its own position and inbox rows; empty: the service's one ``<service>-<producer>``.
    group: str = ""


def every_event_of(producer: str) -> str:
    """The subject a :class:`Subscription` names to hear every event of ``producer`` (a log, a feed)."""
    return f"{producer}.>"


@dataclass
class ConsumerStats:
    applied: int = 0
    skipped: int = 0  # redeliveries the inbox recognised
    replays_ignored: int = 0  # dead-letter replays meant for another consumer
    stale: int = 0  # versions not newer than the last applied about their aggregate
    parked: int = 0  # deliveries put back because their aggregate was not known yet
    retried: int = 0
    dead_lettered: int = 0
    errors: list[str] = field(default_factory=list)


def legacy_durable_name(service: str, handler: str) -> str:
    """The former per-type durable ``<consumer service>-<handler>`` (retired at start)."""
    return f"{service}-{handler}".replace(".", "-")


def consumers_of(service: str, subscriptions: Sequence[Subscription]) -> dict[str, tuple[Subscription, ...]]:
    """A service's subscriptions grouped by producer (the first token of their subjects)."""
    grouped: dict[str, list[Subscription]] = {}
    for subscription in subscriptions:
        producers = {subject.split(".", 1)[0] for subject in subscription.subjects}
        if len(producers) != 1:
            raise ValueError(f"{service}: subscription {subscription.name} spans producers {sorted(producers)}")
        grouped.setdefault(producers.pop(), []).append(subscription)
    return {producer: tuple(group) for producer, group in grouped.items()}


async def retire_durables(js: JetStreamContext, stream: str, names: Sequence[str]) -> None:
    """Delete durables of a former naming scheme; the inbox (copied by migration) keeps their work."""
    for name in names:
        try:
            await js.delete_consumer(stream, name)
        except NotFoundError:
            continue
        log.info("consumer.retired", durable=name)


_CLAIM_SQL = """
WITH claim AS (
    INSERT INTO "{schema}".inbox (consumer, event_id, type) VALUES (:consumer, CAST(:event_id AS uuid), :type)
    ON CONFLICT DO NOTHING
    RETURNING 1
), newer AS (
    INSERT INTO "{schema}".inbox_versions AS seen (consumer, aggregate, version)
    SELECT :consumer, :aggregate, CAST(:version AS bigint) FROM claim WHERE CAST(:version AS bigint) IS NOT NULL
    ON CONFLICT (consumer, aggregate) DO UPDATE SET version = EXCLUDED.version, applied_at = now()
    WHERE seen.version < EXCLUDED.version
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM claim),
       CAST(:version AS bigint) IS NULL OR EXISTS (SELECT 1 FROM newer),
       -- The statement's snapshot: the version before this one (the CTEs' writes are not visible).
       (SELECT version FROM "{schema}".inbox_versions WHERE consumer = :consumer AND aggregate = :aggregate)
"""


@functools.cache
def _claim_statement(schema: str) -> TextClause:
    return text(_CLAIM_SQL.format(schema=schema.replace('"', '""')))


@dataclass(frozen=True)
class Claim:
    claimed: bool  # False: a redelivery the inbox already has
    newer: bool  # False: not above the last version applied about the aggregate
    previous_version: int | None  # the last version applied about the aggregate, if any


@dataclass(frozen=True)
class Delivery:
    """What the consumer knows about the event its handler is applying (:func:`current_delivery`)."""

    consumer: str
    previous_version: int | None  # None: no earlier event about this aggregate was applied (or recorded)


_delivery: ContextVar[Delivery | None] = ContextVar("zc_delivery", default=None)


def current_delivery() -> Delivery:
    """Inside a handler: the durable applying the event and the aggregate's last applied version.

    A handler tells "this aggregate is new to me" from it, e.g. intake ends an integrity record it
    never barred on (nothing to do) but parks the end of one it has not heard of at all.
    """
    delivery = _delivery.get()
    if delivery is None:
        raise RuntimeError("current_delivery() is only available inside an event handler")
    return delivery


async def claim_event(session: AsyncSession, *, consumer: str, event: CloudEvent) -> Claim:
    """Record that ``consumer`` applies ``event``, in one round trip.

    ``claimed`` is False for a redelivery (the inbox has it). ``newer`` is False when the event's
    ``aggregateversion`` is not above the last one ``consumer`` applied about ``event.subject``
    (always True for an envelope without a version). The conflicting ``inbox_versions`` row is
    locked either way, so two replicas applying events about one aggregate take turns.
    """
    row = (
        await session.execute(
            _claim_statement(session_schema(session)),
            {
                "consumer": consumer,
                "event_id": event.id,
                "type": event.type,
                "aggregate": event.subject[:255],
                "version": event.aggregateversion,
            },
        )
    ).one()
    return Claim(claimed=bool(row[0]), newer=bool(row[1]), previous_version=None if row[2] is None else int(row[2]))


_CLAIM_BATCH_SQL = """
WITH input AS (
    SELECT * FROM unnest(
        CAST(:event_ids AS uuid[]), CAST(:types AS text[]), CAST(:aggregates AS text[]), CAST(:versions AS bigint[])
    ) AS t(event_id, type, aggregate, version)
), claim AS (
    INSERT INTO "{schema}".inbox (consumer, event_id, type)
    SELECT :consumer, event_id, type FROM input
    ON CONFLICT DO NOTHING
    RETURNING event_id
), newest AS (
    SELECT aggregate, max(version) AS version FROM input
    WHERE version IS NOT NULL AND event_id IN (SELECT event_id FROM claim)
    GROUP BY aggregate
), newer AS (
    INSERT INTO "{schema}".inbox_versions AS seen (consumer, aggregate, version)
    -- In aggregate order: two replicas' batches lock the rows they share in one order.
    SELECT :consumer, aggregate, version FROM newest ORDER BY aggregate
    ON CONFLICT (consumer, aggregate) DO UPDATE SET version = EXCLUDED.version, applied_at = now()
    WHERE seen.version < EXCLUDED.version
    RETURNING aggregate
)
SELECT 'claimed', CAST(event_id AS text), CAST(NULL AS bigint) FROM claim
UNION ALL SELECT 'moved', aggregate, NULL FROM newer
-- The statement's snapshot: each aggregate's version before this batch (the CTEs' writes are not visible).
UNION ALL SELECT 'before', aggregate, version FROM "{schema}".inbox_versions
    WHERE consumer = :consumer AND aggregate IN (SELECT aggregate FROM input)
"""


@functools.cache
def _claim_batch_statement(schema: str) -> TextClause:
    return text(_CLAIM_BATCH_SQL.format(schema=schema.replace('"', '""')))


_CLAIM_BATCH_PARAMETERS = ("consumer", "event_ids", "types", "aggregates", "versions")


@functools.cache
def _claim_batch_driver_sql(schema: str) -> str:
    """The batch claim for the driver: asyncpg's positional parameters in place of the names."""
    names = {name: f"${number}" for number, name in enumerate(_CLAIM_BATCH_PARAMETERS, 1)}
    sql = _CLAIM_BATCH_SQL.format(schema=schema.replace('"', '""'))
    return re.sub(r"(?<![:\w]):([a-z_]+)\b", lambda match: names[match.group(1)], sql)


async def claim_events(session: AsyncSession, *, consumer: str, events: Sequence[CloudEvent]) -> list[Claim]:
    """:func:`claim_event` for a fetched batch, in one round trip instead of one per event.

    The claims are those the events would get one after the other in this order: an event id the
    inbox has, or that came earlier in the batch, is not ``claimed``; an event is ``newer`` when its
    version is above both the stored one and those of the earlier claimed events about its
    aggregate, and its ``previous_version`` is the highest of those. ``inbox_versions`` takes the
    highest claimed version per aggregate; an aggregate whose row did not move (another replica
    applied a version at least as high meanwhile) has no newer event in the batch.
    """
    if not events:
        return []
    # As PostgreSQL spells a uuid (an id it cannot read fails the batch, which then goes one by one).
    ids = [str(uuid.UUID(event.id)) for event in events]
    # On the driver, in the session's transaction: SQLAlchemy's handling of the arrays and the
    # result rows cost more than the statement's round trip (bench/events_record_ab.py shows the
    # same for record_event).
    async with driver_statements(session) as driver:
        rows = await driver.fetch(
            _claim_batch_driver_sql(session_schema(session)),
            consumer,
            ids,
            [event.type for event in events],
            [event.subject[:255] for event in events],
            [event.aggregateversion for event in events],
        )
    claimed = {key for kind, key, _ in rows if kind == "claimed"}
    moved = {key for kind, key, _ in rows if kind == "moved"}
    latest: dict[str, int] = {key: int(version) for kind, key, version in rows if kind == "before"}
    claims: list[Claim] = []
    for event, event_id in zip(events, ids, strict=True):
        aggregate = event.subject[:255]
        previous = latest.get(aggregate)
        if event_id not in claimed:
            claims.append(Claim(claimed=False, newer=False, previous_version=previous))
            continue
        claimed.discard(event_id)  # the same id again later in the batch is a redelivery
        version = event.aggregateversion
        if version is None:
            claims.append(Claim(claimed=True, newer=True, previous_version=previous))
            continue
        newer = aggregate in moved and (previous is None or version > previous)
        if newer:
            latest[aggregate] = version
        claims.append(Claim(claimed=True, newer=newer, previous_version=previous))
    return claims


async def claim_inbox(session: AsyncSession, *, consumer: str, event: CloudEvent) -> bool:
    """Record that ``consumer`` applies ``event``; False when it already did (a redelivery)."""
    result = await session.execute(
        pg_insert(inbox_table)
        .values(consumer=consumer, event_id=event.id, type=event.type)
        .on_conflict_do_nothing()
        .returning(inbox_table.c.event_id)
    )
    return result.first() is not None


def is_permanent(exc: BaseException) -> bool:
    """The message is wrong (4xx-class): retrying cannot help."""
    if isinstance(exc, PermanentEventError | ValidationError | json.JSONDecodeError):
        return True
    return isinstance(exc, ProblemError) and exc.status < 500


def is_outage(exc: BaseException) -> bool:
    """The database or the network is unavailable: not the message's fault, so it is no attempt."""
    seen: BaseException | None = exc
    for _ in range(5):  # SQLAlchemy wraps the driver's error, which may wrap the socket's
        if seen is None:
            return False
        if isinstance(seen, ConnectionError | TimeoutError | OperationalError | InterfaceError):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        seen = seen.__cause__
    return False


class EventConsumer:
    """Runs the :class:`Subscription` objects of one service on one producer through one durable."""

    def __init__(
        self,
        *,
        service: str,
        producer: str,
        subscriptions: Sequence[Subscription],
        js: JetStreamContext,
        database: Database,
        stream: str,
        prefix: str,
        durable: str | None = None,
        filter_subject: str | None = None,
        retire: Sequence[str] = (),
        max_deliver: int = 5,
        retry_delay_seconds: float = 1.0,
        park_max_seconds: float = 86400.0,
        ack_wait_seconds: float = 30.0,
        batch_size: int = 100,
        fetch_timeout_seconds: float = 1.0,
    ) -> None:
        """
        Args:
            producer: the service whose events this durable reads (its whole subject space).
            subscriptions: the consuming service's handlers of that producer's events; each
                subject (without the prefix) is an exact ``<producer>.<entity>.<fact>``.
            durable: the durable's name; by default ``<service>-<producer>``.
            filter_subject: a narrower filter than the producer's space (tests, tools).
            retire: durables of a former naming scheme to delete once at start.
            park_max_seconds: how long an event about an unknown aggregate waits before it is
                dead-lettered (counted from when the stream stored it).
        """
        self.service, self.producer, self.subscriptions = service, producer, tuple(subscriptions)
        self.js, self.database, self.stream, self.prefix = js, database, stream, prefix
        self.max_deliver, self.retry_delay_seconds = max_deliver, retry_delay_seconds
        self.park_max_seconds, self.ack_wait_seconds = park_max_seconds, ack_wait_seconds
        self.batch_size, self.fetch_timeout_seconds = batch_size, fetch_timeout_seconds
        self.durable = durable or durable_name(service, producer)
        self.filter_subject = filter_subject or f"{prefix}.{producer}.>"
        self.retire = tuple(name for name in retire if name != self.durable)
        self.handlers: dict[str, tuple[Handler, ...]] = {}
        self.every_event: tuple[Handler, ...] = ()
        for subscription in self.subscriptions:
            for subject in subscription.subjects:
                if subject == every_event_of(producer):
                    self.every_event = (*self.every_event, subscription.handler)
                    continue
                if subject.split(".", 1)[0] != producer or "*" in subject or ">" in subject:
                    raise ValueError(
                        f"{service}: subscription {subscription.name} names {subject!r}, "
                        f"not one event subject of {producer}"
                    )
                full = f"{prefix}.{subject}"
                self.handlers[full] = (*self.handlers.get(full, ()), subscription.handler)
        self.stats = ConsumerStats()
        self._retired = False

    async def ensure(self) -> None:
        """Create the durable consumer (idempotent; an existing one keeps its position)."""
        if not self._retired:
            await retire_durables(self.js, self.stream, self.retire)
            self._retired = True
        await self.js.add_consumer(
            self.stream,
            ConsumerConfig(
                durable_name=self.durable,
                # With a name, nats-py puts the filter into the request subject, which is what
                # NATS permissions can check (zhicheng_common.events.permissions).
                name=self.durable,
                deliver_policy=DeliverPolicy.ALL,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=self.ack_wait_seconds,
                # We dead-letter poison ourselves after max_deliver attempts; the server itself
                # never gives up, so an outage longer than the retries drops nothing.
                max_deliver=-1,
                # One subject in ``filter_subject``, which every server knows (2.9 too).
                filter_subject=self.filter_subject,
                max_ack_pending=1000,
            ),
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Fetch and handle batches until ``stop`` is set; survives NATS restarts."""
        subscription: JetStreamContext.PullSubscription | None = None
        try:
            while not stop.is_set():
                try:
                    if subscription is None:
                        await self.ensure()
                        subscription = await self.js.pull_subscribe_bind(self.durable, stream=self.stream)
                    try:
                        messages = await subscription.fetch(self.batch_size, self.fetch_timeout_seconds)
                    except TimeoutError:  # nothing to do (or NATS is away: the client reconnects meanwhile)
                        continue
                    await self.handle_batch(messages)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("consumer.fetch_failed", consumer=self.durable, error=repr(exc))
                    await _unsubscribe(subscription)
                    subscription = None
                    await _sleep_unless(stop, self.retry_delay_seconds)
        finally:
            await _unsubscribe(subscription)

    async def handle_batch(self, messages: Sequence[Msg]) -> None:
        """Apply a fetched batch in one transaction; on any failure, each message on its own."""
        ready: list[tuple[Msg, CloudEvent]] = []
        for message in messages:
            event = await self._admit(message)
            if event is not None:
                ready.append((message, event))
        if len(ready) > 1:
            try:
                async with self.database.unit_of_work() as session:
                    # One round trip claims the whole batch (inbox and versions), then the handlers run.
                    claims = await claim_events(session, consumer=self.durable, events=[e for _, e in ready])
                    outcomes = [
                        await self._run(session, event, message.subject, claim)
                        for (message, event), claim in zip(ready, claims, strict=True)
                    ]
            except Exception as exc:
                log.info("consumer.batch_split", consumer=self.durable, size=len(ready), error=repr(exc))
            else:
                for (message, event), outcome in zip(ready, outcomes, strict=True):
                    await self._done(message, event, outcome)
                return
        for message, event in ready:
            await self._handle_one(message, event)

    async def handle(self, message: Msg) -> None:
        """Apply one message once; ack, retry later, park, or dead-letter it."""
        event = await self._admit(message)
        if event is not None:
            await self._handle_one(message, event)

    async def _admit(self, message: Msg) -> CloudEvent | None:
        """The message's event if this consumer is to apply it; otherwise it is settled here."""
        headers = message.headers or {}
        replay_for = headers.get(REPLAY_FOR_HEADER)
        if replay_for and replay_for != self.durable:
            # A replay for the one consumer that gave up on it: the others have it already.
            self.stats.replays_ignored += 1
            await message.ack()
            return None
        try:
            event = CloudEvent.model_validate_json(message.data)
            check_origin(event, subject=message.subject, prefix=self.prefix)
        except Exception as exc:
            await self._failed(message, exc, message.metadata.num_delivered or 1, None)
            return None
        return event

    async def _handle_one(self, message: Msg, event: CloudEvent) -> None:
        set_trace_id(trace_id_from_traceparent(event.traceparent))
        try:
            try:
                async with self.database.unit_of_work() as session:
                    outcome = await self._apply(session, event, message.subject)
            except Exception as exc:
                await self._failed(message, exc, message.metadata.num_delivered or 1, event)
                return
            await self._done(message, event, outcome)
        finally:
            set_trace_id(None)

    async def _apply(self, session: AsyncSession, event: CloudEvent, subject: str) -> str:
        """Claim the inbox (and the version), run the handlers: ``applied``, ``duplicate`` or ``stale``."""
        return await self._run(session, event, subject, await claim_event(session, consumer=self.durable, event=event))

    async def _run(self, session: AsyncSession, event: CloudEvent, subject: str, claim: Claim) -> str:
        """Run the handlers of a claimed event: ``applied``, ``duplicate`` or ``stale``."""
        if not claim.claimed:
            return "duplicate"
        if not claim.newer:
            return "stale"
        set_trace_id(trace_id_from_traceparent(event.traceparent))
        token = _delivery.set(Delivery(consumer=self.durable, previous_version=claim.previous_version))
        try:
            for handler in (*self.handlers.get(subject, ()), *self.every_event):
                await handler(session, event)
        finally:
            _delivery.reset(token)
        return "applied"

    async def _done(self, message: Msg, event: CloudEvent, outcome: str) -> None:
        # The effect is committed: a lost ack now only means a redelivery the inbox skips,
        # so an error from here on must not count as a failed attempt.
        await message.ack()
        if outcome == "applied":
            self.stats.applied += 1
            log.info("consumer.applied", consumer=self.durable, event_id=event.id, type=event.type)
        elif outcome == "stale":
            self.stats.stale += 1
            log.info(
                "consumer.stale_skipped",
                consumer=self.durable,
                event_id=event.id,
                aggregate=event.subject,
                version=event.aggregateversion,
            )
        else:
            self.stats.skipped += 1
            log.debug("consumer.duplicate_skipped", consumer=self.durable, event_id=event.id)

    async def _failed(self, message: Msg, exc: Exception, attempt: int, event: CloudEvent | None) -> None:
        if isinstance(exc, AggregateNotYetKnown):
            await self._park(message, exc, attempt, event)
            return
        outage = is_outage(exc) and not is_permanent(exc)
        if not outage and (is_permanent(exc) or attempt >= self.max_deliver):
            await self.dead_letter(message, exc, attempt)
            return
        self.stats.retried += 1
        log.warning(
            "consumer.outage" if outage else "consumer.retry",
            consumer=self.durable,
            event_id=event.id if event else None,
            attempt=attempt,
            error=repr(exc),
        )
        await message.nak(delay=min(self.retry_delay_seconds * attempt, MAX_RETRY_DELAY_SECONDS))

    async def _park(self, message: Msg, exc: AggregateNotYetKnown, attempt: int, event: CloudEvent | None) -> None:
        stored = message.metadata.timestamp
        age = (datetime.now(UTC) - stored).total_seconds() if stored else 0.0
        if age > self.park_max_seconds:
            await self.dead_letter(message, exc, attempt)
            return
        self.stats.parked += 1
        log.info(
            "consumer.parked",
            consumer=self.durable,
            event_id=event.id if event else None,
            aggregate=event.subject if event else None,
            attempt=attempt,
            reason=str(exc),
        )
        await message.nak(delay=min(self.retry_delay_seconds * attempt, MAX_RETRY_DELAY_SECONDS))

    async def dead_letter(self, message: Msg, exc: BaseException, attempt: int) -> None:
        """Park the message on the dead-letter subject with why, then ack it so the rest flow."""
        event_id = _event_id_or_none(message.data)
        # Keep the producer's headers (traceparent, content type), not the stream's own.
        headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("Nats-")}
        headers.pop(REPLAY_FOR_HEADER, None)
        sequence = message.metadata.sequence.stream
        headers.update(
            {
                "Zc-Original-Subject": message.subject,
                "Zc-Consumer": self.durable,
                "Zc-Attempts": str(attempt),
                "Zc-Error": header_safe(repr(exc)),
                "Zc-Event-Id": event_id or "",
                # Same stream message dead-lettered twice (crash before the ack): stored once.
                # A replay is a new stream message, so failing again parks it again.
                "Nats-Msg-Id": f"{event_id or 'unparsable'}:{self.durable}:{sequence}",
            }
        )
        await self.js.publish(dead_letter_subject(self.prefix, self.durable), message.data, headers=headers)
        await message.ack()
        self.stats.dead_lettered += 1
        self.stats.errors.append(repr(exc))
        log.error("consumer.dead_lettered", consumer=self.durable, event_id=event_id, attempt=attempt, error=repr(exc))


def header_safe(text: str, limit: int = 1000) -> str:
    """A NATS header value: one line of ASCII (non-ASCII as ``\\uXXXX``), at most ``limit`` chars."""
    return ascii(text)[1:-1][:limit]


async def _unsubscribe(subscription: JetStreamContext.PullSubscription | None) -> None:
    if subscription is None:
        return
    try:
        await subscription.unsubscribe()
    except Exception as exc:  # the connection may be gone; the server drops the interest with it
        log.debug("consumer.unsubscribe_failed", error=repr(exc))


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


def _event_id_or_none(data: bytes) -> str | None:
    try:
        value = json.loads(data).get("id")
    except (ValueError, AttributeError):
        return None
    return str(value) if value else None
