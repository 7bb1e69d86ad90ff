"""``zhicheng readmodel rebuild``: replay every producer's stream into a fresh schema, then swap the
fresh tables in, without stopping the queries or the live consumers (docs/readmodel.md).

1. A fresh schema gets the ``rm_*`` tables (from the models). A temporary consumer per producer
   reads that producer's events from the stream's start; batches are applied there with the same
   projection as the live durables (``projection.project``), without the read-model lock.
2. The swap takes the read-model lock (``pg_advisory_xact_lock``) every live writer takes for its
   transaction, so it waits for the batch in flight and holds the next one. Under it, the temporary
   consumers read what the stream gained meanwhile, the fresh tables get it, and in the same
   transaction each live table moves to a retired schema and its fresh twin into ``gateway``.
   A query waits at most for those ``ALTER TABLE … SET SCHEMA`` statements (catalog changes).
3. The live durables go on from their positions: an event they deliver that the rebuild applied
   already is in the swapped-in ``rm_applied_events`` and is skipped, not applied twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import secrets
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import structlog
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, ConsumerInfo, DeliverPolicy
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import Index, text
from sqlalchemy.ext.asyncio import AsyncConnection

from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.calendar_store import stored_arrangements
from zhicheng_common.db import Database
from zhicheng_common.events.authenticity import check_origin
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_common.pii import PiiCipher
from zhicheng_common.settings import CommonSettings
from zhicheng_common.topology import GATEWAY
from zhicheng_gateway.readmodel.domain import Visit
from zhicheng_gateway.readmodel.models import READ_MODEL_TABLES
from zhicheng_gateway.readmodel.projection import ReadModelContext, project, project_batch, settle_all
from zhicheng_gateway.readmodel.repository import READ_MODEL_LOCK

log = structlog.get_logger()

LIVE_SCHEMA = "gateway"
SETTLE_CHUNK = 2000  # declarations whose stages are counted at a time after the replay (one transaction)
#: How long the server keeps a temporary consumer nobody pulls from (a crashed rebuild leaves
#: nothing behind for longer). Each consumer idles while the others are drained and until the swap:
#: with ten minutes, a replay of 1,000,000 events on a busy machine lost its last consumer before
#: its turn (``consumer not found``).
INACTIVE_SECONDS = 3600.0


@dataclass
class RebuildSummary:
    """What a rebuild replayed and how long it took."""

    schema: str
    events: int = 0
    applied: int = 0
    skipped: list[str] = field(default_factory=list)  # events the projection refused (their ids and why)
    caught_up: int = 0  # events applied under the swap's lock
    split: int = 0  # batches that failed as a whole and were applied event by event
    seconds: float = 0.0
    #: Seconds spent replaying the batches, recounting the stages, building the indexes, swapping.
    phases: dict[str, float] = field(default_factory=dict)
    swapped: bool = False

    def timed(self, phase: str, since: float) -> None:
        self.phases[phase] = round(self.phases.get(phase, 0.0) + time.monotonic() - since, 3)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class ReplayIncomplete(RuntimeError):
    """A temporary consumer delivered messages this process never received (lost on the way, e.g.
    with a connection the server dropped, or taken by another subscription): the replay would miss
    events or apply them out of order, so the rebuild stops and swaps nothing in."""

    def __init__(self, producer: str, why: str, info: ConsumerInfo, *, received: int, fetches: int) -> None:
        delivered = int(info.delivered.consumer_seq or 0) if info.delivered else 0
        self.producer, self.received, self.delivered = producer, received, delivered
        self.pending, self.fetches = int(info.num_pending or 0), fetches
        super().__init__(
            f"rebuild stopped: the temporary consumer of {producer} delivered {delivered} message(s) and this process "
            f"received the first {received} of them; {why} ({self.pending} pending on the server, "
            f"{info.num_ack_pending or 0} awaiting an ack, {info.num_redelivered or 0} redelivered). "
            "Nothing was swapped in; run the rebuild again."
        )


class _Replay:
    """The temporary consumers of one rebuild, one per producer, read from the stream's start.

    A fetch waits ``fetch_seconds``; after ``patience`` fetches in a row that bring nothing while
    the consumer still has messages for this process, or when a fetch brings messages that do not
    follow the last one received, the producer's consumer is made again from the stream message
    after the last one received, ``resumes`` times per producer at most; then the replay stops with
    ``ReplayIncomplete``."""

    def __init__(
        self,
        js: JetStreamContext,
        *,
        stream: str,
        prefix: str,
        token: str,
        batch: int,
        fetch_seconds: float,
        patience: int,
        resumes: int,
    ) -> None:
        self.js, self.stream, self.prefix, self.batch = js, stream, prefix, batch
        self.fetch_seconds, self.patience, self.resumes = fetch_seconds, patience, resumes
        self.names = {producer: f"gateway-rebuild-{token}-{producer}" for producer in GATEWAY.consumes}
        self.subscriptions: dict[str, JetStreamContext.PullSubscription] = {}
        self.received: dict[str, int] = {}  # messages fetched per producer (from its current consumer)
        self.after: dict[str, int] = {}  # stream sequence of the last message received per producer
        self.resumed: dict[str, int] = {}

    async def open(self) -> None:
        for producer in self.names:
            await self._open(producer)

    async def _open(self, producer: str) -> None:
        after = self.after.get(producer, 0)
        start = (
            {"deliver_policy": DeliverPolicy.BY_START_SEQUENCE, "opt_start_seq": after + 1}
            if after
            else {"deliver_policy": DeliverPolicy.ALL}
        )
        name = self.names[producer]
        await self.js.add_consumer(
            self.stream,
            ConsumerConfig(
                durable_name=name,
                name=name,
                ack_policy=AckPolicy.NONE,
                filter_subject=f"{self.prefix}.{producer}.>",
                inactive_threshold=INACTIVE_SECONDS,
                **start,
            ),
        )
        self.received[producer] = 0
        self.subscriptions[producer] = await self.js.pull_subscribe_bind(name, stream=self.stream)

    async def _resume(self, producer: str, error: ReplayIncomplete) -> None:
        """The producer's consumer made again, from the stream message after the last one received."""
        self.resumed[producer] = self.resumed.get(producer, 0) + 1
        log.warning("readmodel.rebuild.resumed", producer=producer, after=self.after.get(producer, 0), error=str(error))
        try:
            await self.subscriptions[producer].unsubscribe()
        except Exception as exc:  # the connection may have been replaced
            log.debug("readmodel.rebuild.unsubscribe_failed", error=repr(exc))
        with contextlib.suppress(NotFoundError):
            await self.js.delete_consumer(self.stream, self.names[producer])
        await self._open(producer)

    async def close(self) -> None:
        for subscription in self.subscriptions.values():
            try:
                await subscription.unsubscribe()
            except Exception as exc:  # the connection may be gone
                log.debug("readmodel.rebuild.unsubscribe_failed", error=repr(exc))
        for name in self.names.values():
            try:
                await self.js.delete_consumer(self.stream, name)
            except NotFoundError:
                continue

    async def next_batch(self, producer: str) -> Sequence[Msg]:
        """The next messages of ``producer`` in the stream's order (none at its end); a consumer
        that lost messages on the way is made again, ``resumes`` times at most."""
        while True:
            try:
                return await self._next_batch(producer)
            except ReplayIncomplete as error:
                if self.resumed.get(producer, 0) >= self.resumes:
                    raise
                await self._resume(producer, error)

    async def _next_batch(self, producer: str) -> Sequence[Msg]:
        """The next messages of ``producer``, or none once this process has received all the
        consumer had: none pending on the server, and every message it delivered received here (a
        fetch that timed out after part of its batch leaves the rest to arrive in the
        subscription's queue, for the next fetch). A fetch that brings nothing meanwhile, on a busy
        machine, is tried again, ``patience`` times in a row at most."""
        received, empty = self.received.get(producer, 0), 0
        while True:
            info = await self.js.consumer_info(self.stream, self.names[producer])
            delivered = int(info.delivered.consumer_seq or 0) if info.delivered else 0
            if not info.num_pending and received >= delivered:
                return []
            if empty >= self.patience:
                why = f"{empty} fetch(es) in a row brought nothing"
                raise ReplayIncomplete(producer, why, info, received=received, fetches=empty)
            try:
                messages = await self.subscriptions[producer].fetch(self.batch, timeout=self.fetch_seconds)
            except TimeoutError:
                messages = []
            if messages:
                # Without acks each delivery takes the consumer's next sequence: one skipped is lost,
                # and what follows it must not be applied before it.
                first, last = messages[0].metadata.sequence.consumer, messages[-1].metadata.sequence.consumer
                if first != received + 1 or last != received + len(messages):
                    why = f"the next fetch brought its messages {first} to {last} ({len(messages)} of them)"
                    raise ReplayIncomplete(producer, why, info, received=received, fetches=empty)
                self.received[producer] = received + len(messages)
                self.after[producer] = messages[-1].metadata.sequence.stream
                return messages
            empty += 1  # an empty answer (a status in place of messages) is no sign of the end either


def _decode(messages: Sequence[Msg], *, prefix: str, summary: RebuildSummary) -> list[CloudEvent]:
    """The envelopes of ``messages`` in their order; one that fails to parse or names another
    producer than its subject is listed as skipped (the live durables dead-letter it)."""
    events: list[CloudEvent] = []
    for message in messages:
        try:
            event = CloudEvent.model_validate_json(message.data)
            check_origin(event, subject=message.subject, prefix=prefix)
        except Exception as exc:  # the live durables dead-letter it; the read model never had it
            summary.skipped.append(f"{message.metadata.sequence.stream}: {exc!r}")
            continue
        events.append(event)
    return events


async def _fetch(
    replay: _Replay, producer: str, *, prefix: str, summary: RebuildSummary
) -> tuple[int, list[CloudEvent]]:
    """The next batch of ``producer``: how many messages, and their envelopes (none once drained)."""
    messages = await replay.next_batch(producer)
    return len(messages), _decode(messages, prefix=prefix, summary=summary)


async def _apply(
    database: Database,
    events: Sequence[CloudEvent],
    *,
    context: ReadModelContext,
    summary: RebuildSummary,
    visit_cache: dict[uuid.UUID, list[Visit]],
    unsettled: set[uuid.UUID],
) -> int:
    """Apply a batch in one transaction; on any failure, each event in its own (a refused one is skipped)."""
    try:
        async with database.unit_of_work() as session:
            applied = await project_batch(
                session, events, context=context, visit_cache=visit_cache, unsettled=unsettled
            )
    except Exception as exc:
        log.warning("readmodel.rebuild.batch_split", size=len(events), error=repr(exc))
        visit_cache.clear()  # it held the rolled-back batch's visits too
        summary.split += 1
        applied = 0
        for event in events:
            try:
                async with database.unit_of_work() as session:
                    applied += await project(session, event, context=context, live=False)
            except Exception as exc:  # e.g. AggregateNotYetKnown: the live durable would dead-letter it
                summary.skipped.append(f"{event.id}: {exc!r}")
    summary.applied += applied
    return applied


async def _drain(
    replay: _Replay,
    database: Database,
    *,
    context: ReadModelContext,
    prefix: str,
    summary: RebuildSummary,
    visit_cache: dict[uuid.UUID, list[Visit]],
) -> int:
    """Apply what the temporary consumers have, then count the stages of every declaration touched.

    A producer's next batch is fetched and decoded while its current one is being written: the
    process does that work while it would otherwise wait for PostgreSQL. Batches are applied one
    after the other in the order fetched, so each aggregate's events keep their order."""
    total = 0
    unsettled: set[uuid.UUID] = set()
    started = time.monotonic()
    for producer in replay.names:
        upcoming = asyncio.ensure_future(_fetch(replay, producer, prefix=prefix, summary=summary))
        try:
            while True:
                count, events = await upcoming
                if not count:
                    break
                upcoming = asyncio.ensure_future(_fetch(replay, producer, prefix=prefix, summary=summary))
                total += count
                summary.events += count
                await _apply(
                    database,
                    events,
                    context=context,
                    summary=summary,
                    visit_cache=visit_cache,
                    unsettled=unsettled,
                )
                gc.collect(1)  # what the batch left in cycles (see _young_collections_only)
        finally:
            if not upcoming.done():  # the rebuild failed: the fetch ahead is not wanted
                upcoming.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await upcoming
    summary.timed("replay", started)
    started = time.monotonic()
    async with database.unit_of_work() as session:
        await settle_all(session, unsettled, context=context, visit_cache=visit_cache, chunk=SETTLE_CHUNK)
    summary.timed("stages", started)
    return total


@contextmanager
def _young_collections_only() -> Iterator[None]:
    """Python's cyclic collector off for the replay, the young generations collected after each
    batch instead. A batch's thousands of events, messages and rows live until its transaction
    ends, so the collector's automatic passes kept promoting them and walking the whole heap again:
    a third of the replay's CPU in a profile. They are freed by reference counting; the cycles a
    batch leaves are young when it ends. The collector is as it was afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _secondary_indexes() -> list[Index]:
    return [index for model in READ_MODEL_TABLES for index in model.__table__.indexes]  # type: ignore[attr-defined]


async def _create_tables(connection: AsyncConnection, schema: str) -> None:
    """The tables with their keys only: the other indexes are built once the replay is done (faster
    than keeping them up to date row by row)."""
    await connection.execute(text(f"CREATE SCHEMA {_quoted(schema)}"))
    translated = {"schema_translate_map": {None: schema}}

    def create(sync: Any) -> None:
        for model in READ_MODEL_TABLES:
            model.__table__.create(sync.execution_options(**translated), checkfirst=False)  # type: ignore[attr-defined]

    indexes = _secondary_indexes()
    tables = {index.table for index in indexes}
    saved = {table: set(table.indexes) for table in tables if table is not None}
    for table in saved:
        table.indexes.clear()
    try:
        await connection.run_sync(create)
    finally:
        for table, kept in saved.items():
            table.indexes.update(kept)


async def _create_indexes(connection: AsyncConnection, schema: str) -> None:
    def create(sync: Any) -> None:
        for index in _secondary_indexes():
            index.create(sync.execution_options(schema_translate_map={None: schema}))

    await connection.run_sync(create)
    for model in READ_MODEL_TABLES:
        await connection.execute(text(f"ANALYZE {_quoted(schema)}.{_quoted(str(model.__tablename__))}"))


def context_from(settings: CommonSettings) -> ReadModelContext:
    """The projection's context as the gateway builds it (the same PII key and calendar overrides)."""
    return ReadModelContext(
        cipher=PiiCipher(settings.pii_key),
        calendar=WorkingDayCalendar.from_settings_json(settings.calendar_overrides),
        memo={},
    )


async def rebuild(
    database_url: str,
    js: JetStreamContext,
    *,
    stream: str,
    prefix: str,
    context: ReadModelContext,
    batch: int = 2000,
    swap: bool = True,
    settings: CommonSettings,
) -> RebuildSummary:
    """Replay the streams into a fresh schema and (``swap``) put its tables in place of the live ones.

    The calendar first loads the holiday arrangements stored on NATS (the live gateway follows the
    same ones), so that the working days are counted alike. ``settings`` also say how long the
    replay waits for a consumer's messages (``ReplayIncomplete`` when they do not come: nothing is
    swapped in).
    """
    started = time.monotonic()
    token = secrets.token_hex(4)
    fresh, retired = f"gateway_rm_{token}", f"gateway_rm_{token}_retired"
    summary = RebuildSummary(schema=fresh)
    visit_cache: dict[uuid.UUID, list[Visit]] = {}
    for arrangement in await stored_arrangements(js, settings):  # as the live gateway follows them
        context.calendar.load(arrangement)
    live = Database(database_url, LIVE_SCHEMA)
    target = Database(database_url, fresh)
    replay = _Replay(
        js,
        stream=stream,
        prefix=prefix,
        token=token,
        batch=batch,
        fetch_seconds=settings.readmodel_rebuild_fetch_seconds,
        patience=settings.readmodel_rebuild_patience,
        resumes=settings.readmodel_rebuild_resumes,
    )
    try:
        async with live.engine.begin() as connection:
            await _create_tables(connection, fresh)
        await replay.open()
        with _young_collections_only():
            await _drain(replay, target, context=context, prefix=prefix, summary=summary, visit_cache=visit_cache)
        started_indexes = time.monotonic()
        async with live.engine.begin() as connection:
            await _create_indexes(connection, fresh)
        summary.timed("indexes", started_indexes)
        log.info("readmodel.rebuild.replayed", schema=fresh, events=summary.events, applied=summary.applied)
        if not swap:
            return summary
        started_swap = time.monotonic()
        async with live.engine.begin() as connection:
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": READ_MODEL_LOCK})
            summary.caught_up = await _drain(
                replay, target, context=context, prefix=prefix, summary=summary, visit_cache=visit_cache
            )
            await connection.execute(text(f"CREATE SCHEMA {_quoted(retired)}"))
            for model in READ_MODEL_TABLES:
                name = _quoted(str(model.__tablename__))
                await connection.execute(text(f"ALTER TABLE {LIVE_SCHEMA}.{name} SET SCHEMA {_quoted(retired)}"))
                await connection.execute(text(f"ALTER TABLE {_quoted(fresh)}.{name} SET SCHEMA {LIVE_SCHEMA}"))
        summary.swapped = True
        summary.timed("swap", started_swap)
        async with live.engine.begin() as connection:
            await connection.execute(text(f"DROP SCHEMA {_quoted(retired)} CASCADE"))
            await connection.execute(text(f"DROP SCHEMA {_quoted(fresh)}"))
        log.info("readmodel.rebuild.swapped", events=summary.events, caught_up=summary.caught_up)
        return summary
    finally:
        summary.seconds = round(time.monotonic() - started, 3)
        await replay.close()
        if not summary.swapped:
            async with live.engine.begin() as connection:
                await connection.execute(text(f"DROP SCHEMA IF EXISTS {_quoted(fresh)} CASCADE"))
        await live.dispose()
        await target.dispose()
