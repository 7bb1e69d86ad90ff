"""Transactional outbox and its relay.

A service writes the event row in the same transaction as the change it describes
(:func:`record_event`); :class:`OutboxRelay` publishes committed rows to JetStream with
``Nats-Msg-Id`` = event id, so a row published twice (relay crash between publish and mark)
is dropped by the stream's duplicate window.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, NamedTuple

import asyncpg
import structlog
from nats.errors import MaxPayloadError
from nats.js.client import JetStreamContext
from pydantic import BaseModel
from sqlalchemy import Connection, TextClause, event, func, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from zhicheng_common.audit import session_clock
from zhicheng_common.db import asyncpg_dsn, driver_statements, outbox_table, session_schema
from zhicheng_common.events.envelope import CloudEvent, make_envelope, spec_of
from zhicheng_common.logging import current_trace_id, traceparent_for

log = structlog.get_logger()

MAX_BACKOFF_SECONDS = 30.0  # one row the server keeps refusing
RELAY_MAX_BACKOFF_SECONDS = 5.0  # the whole relay while NATS or PostgreSQL is away
# A relay that found another one leading its schema looks again this soon: rows committed while the
# leader's batch ran are not in that batch, and no NOTIFY will announce them.
STANDBY_RETRY_SECONDS = 0.05


class BatchResult(NamedTuple):
    published: int
    failed: int


def notify_channel(schema: str) -> str:
    return f"zc_outbox_{schema}"


# The relays running in this process, by schema: a commit that recorded events wakes them.
_local_relays: dict[str, set[asyncio.Event]] = {}
_RECORDED = "zc_outbox_recorded"  # Session.info key: the schemas this transaction recorded events in


@event.listens_for(Session, "after_commit")
def _wake_local_relays(session: Session) -> None:
    """After a commit that recorded events, wake this process's relays of those schemas.

    Instead of a NOTIFY in the transaction: PostgreSQL serialises the commits of every transaction
    that notified (one lock held through the WAL flush), so with a NOTIFY per event concurrent
    requests commit one after the other. Relays of other processes (replicas) find the rows at their
    next poll, or when a relay of theirs is woken by a NOTIFY sent outside a request (reconcile).
    """
    schemas = session.info.pop(_RECORDED, None)
    if schemas:
        for schema in schemas:
            for wake in _local_relays.get(schema, ()):
                wake.set()


@event.listens_for(Session, "after_rollback")
def _forget_recorded(session: Session) -> None:
    session.info.pop(_RECORDED, None)


_RECORD_SQL = """
WITH version AS (
    INSERT INTO "{schema}".outbox_versions AS counter (aggregate, version) VALUES (:aggregate, 1)
    ON CONFLICT (aggregate) DO UPDATE SET version = counter.version + 1
    RETURNING version
), row AS (
    INSERT INTO "{schema}".outbox (id, subject, type, envelope)
    SELECT CAST(:id AS uuid), :subject, :type,
           CAST(:envelope AS jsonb) || jsonb_build_object('aggregateversion', version.version)
    FROM version
    RETURNING 1
)
SELECT version.version FROM version
"""


@functools.cache
def _record_statement(schema: str) -> TextClause:
    return text(_RECORD_SQL.format(schema=schema.replace('"', '""')))


@functools.cache
def _record_driver_sql(schema: str) -> str:
    """The same statement for the driver (asyncpg's positional parameters), as record_event runs it."""
    positional = {
        ":aggregate": "$1",
        "CAST(:id AS uuid)": "CAST($2 AS uuid)",
        ":subject": "$3",
        ":type": "$4",
        "CAST(:envelope AS jsonb)": "CAST($5 AS jsonb)",
    }
    sql = _RECORD_SQL.format(schema=schema.replace('"', '""'))
    for name, number in positional.items():
        sql = sql.replace(name, number)
    return sql


def _record_params(envelope: CloudEvent, data: BaseModel) -> dict[str, str]:
    return {
        "aggregate": envelope.subject,
        "id": envelope.id,
        "subject": spec_of(data).name,
        "type": envelope.type,
        "envelope": json.dumps(envelope.model_dump(mode="json", exclude_none=False), ensure_ascii=False),
    }


async def record_event(
    session: AsyncSession, data: BaseModel, *, subject: str, region: str | None = None
) -> CloudEvent:
    """Add an event to the outbox inside the caller's transaction.

    One round trip: the aggregate's next version (``outbox_versions``; the row lock makes a second
    transaction about the same aggregate wait, so versions follow commit order) and the outbox row
    carrying it. The commit wakes the relays of this process (:func:`_wake_local_relays`): only then
    is the row visible to them.

    Args:
        session: the unit of work's session; the row commits or rolls back with the change.
        data: a model registered with :func:`~zhicheng_common.events.envelope.event_type`.
        subject: the aggregate id the event is about (at most 255 characters).
        region: GB/T 2260 code of the jurisdiction, for consumers' filtering.
    """
    if len(subject) > 255:
        raise ValueError(f"an event's subject (aggregate id) has at most 255 characters: {subject[:40]}…")
    trace_id = current_trace_id()
    envelope = make_envelope(
        data,
        subject=subject,
        region=region,
        traceparent=traceparent_for(trace_id) if trace_id else None,
        time=session_clock(session).now(),
    )
    schema = session_schema(session)
    params = _record_params(envelope, data)
    # On the driver, inside the session's transaction: SQLAlchemy's execution of a statement (cache
    # key, execution context, result, the greenlet) cost more of the producer's CPU than the
    # statement's round trip did (bench/events_record_ab.py).
    async with driver_statements(session) as driver:
        version = await driver.fetchval(
            _record_driver_sql(schema),
            params["aggregate"],
            params["id"],
            params["subject"],
            params["type"],
            params["envelope"],
        )
    session.sync_session.info.setdefault(_RECORDED, set()).add(schema)
    envelope.aggregateversion = int(version)
    return envelope


async def record_events(session: AsyncSession, events: Sequence[tuple[BaseModel, str, str | None]]) -> None:
    """:func:`record_event` for many events at once (one statement, executed for each): a bulk use
    case (a meeting's certificates) pays one round trip instead of one per event. ``events`` are
    ``(data, subject, region)``; each aggregate still gets its next version in commit order."""
    if not events:
        return
    trace_id = current_trace_id()
    now = session_clock(session).now()
    schema = session_schema(session)
    params = []
    for data, subject, region in events:
        if len(subject) > 255:
            raise ValueError(f"an event's subject (aggregate id) has at most 255 characters: {subject[:40]}…")
        envelope = make_envelope(
            data, subject=subject, region=region, traceparent=traceparent_for(trace_id) if trace_id else None, time=now
        )
        params.append(_record_params(envelope, data))
    await session.execute(_record_statement(schema), params)
    session.sync_session.info.setdefault(_RECORDED, set()).add(schema)


def record_event_in_migration(
    connection: Connection, data: BaseModel, *, schema: str, subject: str, region: str | None = None
) -> CloudEvent:
    """:func:`record_event` for a data migration (Alembic's synchronous connection).

    A migration that corrects stored facts others hold a copy of publishes the correction the way
    the service would: an outbox row in the migration's transaction, with the aggregate's next
    version, which the service's relay sends once it runs. A NOTIFY wakes a relay already running
    (outside a request it costs nothing; see :func:`_wake_local_relays`). Dated by the system clock.
    """
    envelope = make_envelope(data, subject=subject, region=region)
    version = connection.execute(_record_statement(schema), _record_params(envelope, data)).scalar_one()
    connection.execute(text("SELECT pg_notify(:channel, '')"), {"channel": notify_channel(schema)})
    envelope.aggregateversion = int(version)
    return envelope


# The relay's batch: the schema's advisory lock (taken once: a materialised CTE) and, when it was
# granted, the due rows in outbox order, locked; one row with NULLs when there is none, so the
# answer says whether this relay leads either way. The envelope as PostgreSQL's text and its
# traceparent beside it: published as they are, with no JSON decoded and encoded again per row.
_CLAIM_BATCH_SQL = """
WITH leader AS MATERIALIZED (SELECT pg_try_advisory_xact_lock($1) AS granted)
SELECT leader.granted AS leader, due.id, due.subject, due.body, due.traceparent, due.attempts
FROM leader LEFT JOIN LATERAL (
    SELECT seq, id, subject, CAST(envelope AS text) AS body, envelope ->> 'traceparent' AS traceparent, attempts
    FROM "{schema}".outbox
    WHERE leader.granted AND published_at IS NULL AND next_attempt_at <= now()
    ORDER BY seq
    LIMIT $2
    FOR UPDATE SKIP LOCKED
) AS due ON true
ORDER BY due.seq
"""


@functools.cache
def _claim_batch_sql(schema: str) -> str:
    return _CLAIM_BATCH_SQL.format(schema=schema.replace('"', '""'))


_MARK_PUBLISHED_SQL = 'UPDATE "{schema}".outbox SET published_at = now() WHERE id = ANY(CAST($1 AS uuid[]))'


@functools.cache
def _mark_published_sql(schema: str) -> str:
    return _MARK_PUBLISHED_SQL.format(schema=schema.replace('"', '""'))


def relay_lock_key(schema: str) -> int:
    """The advisory lock (a signed 64-bit key) whose holder is the one relay publishing ``schema``."""
    digest = hashlib.sha256(f"zhicheng.outbox.relay:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def backoff_seconds(attempts: int, base: float = 0.5) -> float:
    return float(min(MAX_BACKOFF_SECONDS, base * (2 ** max(0, attempts - 1))))


class OutboxRelay:
    """Publishes committed outbox rows of one service schema to JetStream."""

    def __init__(
        self,
        engine: AsyncEngine,
        js: JetStreamContext,
        *,
        schema: str,
        prefix: str,
        batch_size: int = 200,
        poll_seconds: float = 2.0,
        retention: timedelta | None = None,
        publish_timeout: float = 5.0,
    ) -> None:
        self.engine, self.js, self.schema, self.prefix = engine, js, schema, prefix
        self.batch_size, self.poll_seconds, self.retention, self.publish_timeout = (
            batch_size,
            poll_seconds,
            retention,
            publish_timeout,
        )
        self.published_count = 0
        self.lock_key = relay_lock_key(schema)
        self.led_batches = 0  # batches this relay published as the schema's leader
        self.standby_batches = 0  # wake-ups while another relay of the schema led
        self._wake = asyncio.Event()
        self._prune_every = 60.0

    async def publish_batch(self) -> BatchResult:
        """Lead the schema for one batch, publish its due rows in outbox order, mark them.

        Per-aggregate order: only the relay holding the schema's advisory lock publishes (the lock
        lives as long as the batch's transaction), and it publishes the rows in ``seq`` order on one
        connection, so the stream stores them in that order; several relays of one schema (replicas)
        take turns batch by batch instead of sending rows side by side. A relay that does not get
        the lock returns at once and waits for the next wake-up. The rows stay locked until their
        acks are in; all acks share one deadline (``publish_timeout``), so a dead connection costs
        one timeout per batch, not one per row.
        """
        async with self.engine.begin() as conn, driver_statements(conn) as driver:
            # One round trip: the schema's lead and, only when this relay got it, its due rows.
            rows = await driver.fetch(_claim_batch_sql(self.schema), self.lock_key, self.batch_size)
            if not rows[0]["leader"]:
                self.standby_batches += 1
                return BatchResult(0, 0)
            self.led_batches += 1
            rows = [row for row in rows if row["id"] is not None]
            if not rows:
                return BatchResult(0, 0)
            pending: dict[asyncio.Future[Any], Any] = {}
            # Why each unsent row failed, and whether it was that row's fault (it then waits its own
            # back-off) or the connection's (it stays due; the relay's back-off paces the retries).
            failed: dict[Any, tuple[str, bool]] = {}
            for row in rows:
                headers = {"Nats-Msg-Id": str(row["id"]), "Content-Type": "application/cloudevents+json"}
                if row["traceparent"]:
                    headers["traceparent"] = row["traceparent"]
                try:
                    future = await self.js.publish_async(
                        f"{self.prefix}.{row['subject']}",
                        row["body"].encode(),
                        headers=headers,
                        wait_stall=self.publish_timeout,
                    )
                except MaxPayloadError as exc:  # this row only: the rest of the batch goes on
                    failed[row["id"]] = (repr(exc), True)
                    continue
                except Exception as exc:  # the connection is down: leave the rest for the next try
                    log.warning("outbox.publish_failed", schema=self.schema, error=repr(exc))
                    break
                pending[future] = row
            published: list[Any] = []
            if pending:
                done, late = await asyncio.wait(pending, timeout=self.publish_timeout)
                for future in late:
                    future.cancel()  # frees the client's slot; a late ack is harmless (same Nats-Msg-Id)
                    failed[pending[future]["id"]] = (f"no ack within {self.publish_timeout}s", False)
                for future in done:
                    error = asyncio.CancelledError() if future.cancelled() else future.exception()
                    if error is None:
                        published.append(pending[future]["id"])
                    else:  # the server answered with an error about this message
                        failed[pending[future]["id"]] = (repr(error), True)
            for row in rows:
                if row["id"] not in failed and row["id"] not in published:
                    failed[row["id"]] = ("not sent: connection unavailable", False)
            if published:
                await driver.execute(_mark_published_sql(self.schema), published)
            # One UPDATE per (attempts, error) group: a failed batch usually shares one reason.
            groups: dict[tuple[int, str, bool], list[Any]] = {}
            attempts_of = {row["id"]: row["attempts"] for row in rows}
            for row_id, (reason, own_fault) in failed.items():
                groups.setdefault((attempts_of[row_id] + 1, reason[:2000], own_fault), []).append(row_id)
            for (attempts, reason, own_fault), ids in groups.items():
                delay = timedelta(seconds=backoff_seconds(attempts) if own_fault else 0)
                await conn.execute(
                    update(outbox_table)
                    .where(outbox_table.c.id.in_(ids))
                    .values(attempts=attempts, last_error=reason, next_attempt_at=func.now() + delay)
                )
        self.published_count += len(published)
        if failed:
            log.warning("outbox.retry_scheduled", schema=self.schema, failed=len(failed), published=len(published))
        return BatchResult(len(published), len(failed))

    async def prune(self) -> int:
        """Delete rows published longer ago than the retention (None: keep them all).

        The retention is at least the stream's (``CommonSettings.outbox_retention``): until then a
        row is what `zhicheng events reconcile` re-publishes if the broker lost the event.
        """
        if self.retention is None:
            return 0
        async with self.engine.begin() as conn:
            result = await conn.execute(
                outbox_table.delete().where(
                    outbox_table.c.published_at.is_not(None), outbox_table.c.published_at < func.now() - self.retention
                )
            )
        return int(result.rowcount or 0)

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until ``stop`` is set, backing off on failure.

        Woken by this process's commits that recorded events (:func:`_wake_local_relays`) and by a
        NOTIFY on the schema's channel (reconcile, tools); polling every ``poll_seconds`` finds the
        rows other processes committed.
        """
        listener = await self._listen()
        _local_relays.setdefault(self.schema, set()).add(self._wake)
        loop = asyncio.get_running_loop()
        next_prune = loop.time() + self._prune_every
        failures = 0
        try:
            while not stop.is_set():
                # Cleared before the query: a commit or NOTIFY that lands during the batch wakes the next one.
                self._wake.clear()
                standby = self.standby_batches
                try:
                    result = await self.publish_batch()
                except Exception as exc:
                    log.warning("outbox.relay_error", schema=self.schema, error=repr(exc))
                    result = BatchResult(0, 1)
                if result.failed:
                    # NATS or PostgreSQL is in trouble: new rows (NOTIFY) would only fail the same way.
                    # Capped low, so the relay notices soon after an outage ends.
                    failures += 1
                    await _wait_any(stop, None, min(RELAY_MAX_BACKOFF_SECONDS, backoff_seconds(failures)))
                    continue
                failures = 0
                if result.published >= self.batch_size:
                    continue
                if self.standby_batches != standby:
                    await _wait_any(stop, None, min(STANDBY_RETRY_SECONDS, self.poll_seconds))
                    continue
                if loop.time() >= next_prune:
                    next_prune = loop.time() + self._prune_every
                    try:
                        await self.prune()
                    except Exception as exc:
                        log.warning("outbox.prune_failed", schema=self.schema, error=repr(exc))
                if listener is None or listener.is_closed():
                    listener = await self._listen()
                await _wait_any(stop, self._wake, self.poll_seconds)
        finally:
            _local_relays.get(self.schema, set()).discard(self._wake)
            if listener is not None and not listener.is_closed():
                await listener.close()

    async def _listen(self) -> asyncpg.Connection | None:
        try:
            dsn = asyncpg_dsn(self.engine.url.render_as_string(hide_password=False))
            conn = await asyncpg.connect(dsn, timeout=10)
            await conn.add_listener(notify_channel(self.schema), lambda *_: self._wake.set())
            return conn
        except Exception as exc:
            log.warning("outbox.listen_failed", schema=self.schema, error=repr(exc))
            return None


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event | None, seconds: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
