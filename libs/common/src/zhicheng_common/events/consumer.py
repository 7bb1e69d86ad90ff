"""Durable pull consumers with an inbox: at-least-once delivery, effects applied once.

For each message: open one transaction, insert ``(consumer, event id)`` into the inbox, run the
handler, commit, then ack. A redelivered event finds its inbox row and is acked and skipped.
A handler error that says "this message is wrong" (a 4xx-class problem, invalid data) sends the
message to the dead-letter subject at once; any other error is retried with a delay until the
configured number of attempts, then dead-lettered. Either way the messages behind it go on.
An outage (the database or network unreachable) is not the message's fault: it is retried with
a delay for as long as the outage lasts and never dead-lettered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.db import Database, inbox_table
from zhicheng_common.events.authenticity import check_origin
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_common.events.streams import dead_letter_subject
from zhicheng_common.logging import set_trace_id, trace_id_from_traceparent
from zhicheng_common.problems import ProblemError

log = structlog.get_logger()

Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]

REPLAY_FOR_HEADER = "Zc-Replay-For"
MAX_RETRY_DELAY_SECONDS = 30.0


class PermanentEventError(Exception):
    """The message can never be applied as it is: dead-letter it without retrying."""


@dataclass(frozen=True)
class Subscription:
    """What one handler of a service subscribes to (subjects without the prefix)."""

    name: str
    subjects: tuple[str, ...]
    handler: Handler
    description: str = ""


@dataclass
class ConsumerStats:
    applied: int = 0
    skipped: int = 0  # redeliveries the inbox recognised
    replays_ignored: int = 0  # dead-letter replays meant for another consumer
    retried: int = 0
    dead_lettered: int = 0
    errors: list[str] = field(default_factory=list)


def durable_name(service: str, handler: str) -> str:
    """``<consumer service>-<handler>``: JetStream forbids dots in durable names."""
    return f"{service}-{handler}".replace(".", "-")


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
    """Runs one :class:`Subscription` of one service against its durable pull consumer."""

    def __init__(
        self,
        *,
        service: str,
        subscription: Subscription,
        js: JetStreamContext,
        database: Database,
        stream: str,
        prefix: str,
        max_deliver: int = 5,
        retry_delay_seconds: float = 1.0,
        ack_wait_seconds: float = 30.0,
        batch_size: int = 50,
        fetch_timeout_seconds: float = 1.0,
    ) -> None:
        self.service = service
        self.subscription = subscription
        self.js = js
        self.database = database
        self.stream = stream
        self.prefix = prefix
        self.max_deliver = max_deliver
        self.retry_delay_seconds = retry_delay_seconds
        self.ack_wait_seconds = ack_wait_seconds
        self.batch_size = batch_size
        self.fetch_timeout_seconds = fetch_timeout_seconds
        self.durable = durable_name(service, subscription.name)
        self.stats = ConsumerStats()

    async def ensure(self) -> None:
        """Create the durable consumer (idempotent; an existing one keeps its position)."""
        subjects = [f"{self.prefix}.{s}" for s in self.subscription.subjects]
        info = await self.js.add_consumer(
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
                # One subject goes in ``filter_subject``, which every server knows; a server
                # before 2.10 ignores ``filter_subjects`` and would deliver the whole stream.
                filter_subject=subjects[0] if len(subjects) == 1 else None,
                filter_subjects=subjects if len(subjects) > 1 else None,
                max_ack_pending=1000,
            ),
        )
        if len(subjects) > 1 and not info.config.filter_subjects:
            raise RuntimeError(
                f"NATS ignored filter_subjects of {self.durable}: several subjects need nats-server 2.10+"
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
                    for message in messages:
                        await self.handle(message)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("consumer.fetch_failed", consumer=self.durable, error=repr(exc))
                    await _unsubscribe(subscription)
                    subscription = None
                    await _sleep_unless(stop, self.retry_delay_seconds)
        finally:
            await _unsubscribe(subscription)

    async def handle(self, message: Msg) -> None:
        """Apply one message once; ack, retry later, or dead-letter it."""
        attempt = message.metadata.num_delivered or 1
        headers = message.headers or {}
        replay_for = headers.get(REPLAY_FOR_HEADER)
        if replay_for and replay_for != self.durable:
            # A replay for the one consumer that gave up on it: the others have it already.
            self.stats.replays_ignored += 1
            await message.ack()
            return
        event: CloudEvent | None = None
        try:
            try:
                event = CloudEvent.model_validate_json(message.data)
                check_origin(event, subject=message.subject, prefix=self.prefix)
                set_trace_id(trace_id_from_traceparent(event.traceparent))
                async with self.database.unit_of_work() as session:
                    applied = await claim_inbox(session, consumer=self.durable, event=event)
                    if applied:
                        await self.subscription.handler(session, event)
            except Exception as exc:
                await self._failed(message, exc, attempt, event)
                return
            # The effect is committed: a lost ack now only means a redelivery the inbox skips,
            # so an error from here on must not count as a failed attempt.
            await message.ack()
            if applied:
                self.stats.applied += 1
                log.info("consumer.applied", consumer=self.durable, event_id=event.id, type=event.type)
            else:
                self.stats.skipped += 1
                log.debug("consumer.duplicate_skipped", consumer=self.durable, event_id=event.id)
        finally:
            set_trace_id(None)

    async def _failed(self, message: Msg, exc: Exception, attempt: int, event: CloudEvent | None) -> None:
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
        log.error(
            "consumer.dead_lettered",
            consumer=self.durable,
            event_id=event_id,
            attempt=attempt,
            error=repr(exc),
        )


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
