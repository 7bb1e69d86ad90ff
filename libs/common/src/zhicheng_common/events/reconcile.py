"""Durability beyond the broker: re-publish from the outboxes, and find what consumers never applied.

JetStream can lose acknowledged writes in a crash (it fsyncs on its own schedule unless told
``sync_interval: always``, and a disk can fail either way). Each producer's outbox keeps its
published rows as long as the stream keeps events (``CommonSettings.outbox_retention``), so:

* :func:`reschedule` marks the rows published since a time as unpublished again; the services'
  own relays then publish them once more, in outbox order, with ``Nats-Msg-Id`` = event id. The
  stream drops those it still holds within its duplicate window; older ones are stored again and
  the consumers' inboxes skip what they already applied, so re-publishing too much is harmless.
* :func:`find_gaps` compares, per durable consumer on the stream, the producers' published outbox
  ids its filter covers with the consumer's inbox: what was published but never applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from nats.js.client import JetStreamContext
from sqlalchemy import func, select, text, update

from zhicheng_common.db import Database, inbox_table, outbox_table
from zhicheng_common.events.deadletters import list_dead_letters
from zhicheng_common.events.outbox import notify_channel
from zhicheng_common.settings import CommonSettings


@dataclass(frozen=True)
class ServiceDatabase:
    """Where one service's schema lives (its own database or the shared one)."""

    service: str
    url: str


@dataclass(frozen=True)
class ConsumerGap:
    """One durable consumer's account: events its filter covers, and which it has not applied."""

    consumer: str
    service: str
    filter_subjects: tuple[str, ...]
    expected: int
    applied: int
    missing: tuple[str, ...]  # event ids published but not in the consumer's inbox
    dead_lettered: tuple[str, ...]  # of those, the ones parked in the dead-letter stream


async def reschedule(databases: Sequence[ServiceDatabase], *, since: datetime, dry_run: bool = False) -> dict[str, int]:
    """Mark every row published at or after ``since`` as due again; returns the count per service.

    The relays are woken (NOTIFY) and publish them as any new row; nothing is published from here.
    """
    counts: dict[str, int] = {}
    for target in databases:
        database = Database(target.url, target.service, pool_size=1, max_overflow=1)
        try:
            async with database.engine.begin() as conn:
                t = outbox_table.c
                if dry_run:
                    count = await conn.scalar(
                        select(func.count()).select_from(outbox_table).where(t.published_at >= since)
                    )
                else:
                    result = await conn.execute(
                        update(outbox_table)
                        .where(t.published_at >= since)
                        .values(published_at=None, attempts=0, last_error=None, next_attempt_at=func.now())
                    )
                    count = result.rowcount
                    await conn.execute(
                        text("SELECT pg_notify(:channel, '')"), {"channel": notify_channel(target.service)}
                    )
            counts[target.service] = int(count or 0)
        finally:
            await database.dispose()
    return counts


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: ``*`` is one token, a final ``>`` one or more."""
    want, have = pattern.split("."), subject.split(".")
    for index, part in enumerate(want):
        if part == ">":
            return len(have) > index
        if index >= len(have) or part not in ("*", have[index]):
            return False
    return len(want) == len(have)


async def find_gaps(
    js: JetStreamContext,
    settings: CommonSettings,
    databases: Sequence[ServiceDatabase],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[ConsumerGap]:
    """Per durable consumer of the event stream: the published events it should have applied and has not.

    Args:
        js: a JetStream context allowed to list the stream's consumers and dead letters (operator).
        settings: the deployment (prefix, stream names).
        databases: every service's schema; producers' outboxes and consumers' inboxes are read there.
        since: only events published at or after this time (default: every row the outboxes keep).
        until: only events published before this time, so that those still in flight are not counted.
    """
    by_service = {target.service: target for target in databases}
    published: list[tuple[str, str]] = []  # (full subject, event id), every producer
    for target in databases:
        database = Database(target.url, target.service, pool_size=1, max_overflow=1)
        try:
            t = outbox_table.c
            query = select(t.subject, t.id).where(t.published_at.is_not(None))
            if since is not None:
                query = query.where(t.published_at >= since)
            if until is not None:
                query = query.where(t.published_at < until)
            async with database.engine.connect() as conn:
                rows = (await conn.execute(query)).all()
            published += [(f"{settings.events_prefix}.{row.subject}", str(row.id)) for row in rows]
        finally:
            await database.dispose()
    parked: dict[str, set[str]] = {}
    for letter in await list_dead_letters(js, settings):
        if letter.event_id:
            parked.setdefault(letter.consumer, set()).add(letter.event_id)

    gaps: list[ConsumerGap] = []
    for info in await js.consumers_info(settings.stream_name):
        durable = info.config.durable_name
        owner = _owner(durable, by_service) if durable else None
        if durable is None or owner is None:
            continue  # ephemeral readers, or consumers of no service here
        filters = tuple(
            info.config.filter_subjects or ([info.config.filter_subject] if info.config.filter_subject else [])
        )
        expected = {event_id for subject, event_id in published if any(subject_matches(f, subject) for f in filters)}
        applied = await _inbox(by_service[owner], durable, expected)
        missing = tuple(sorted(expected - applied))
        gaps.append(
            ConsumerGap(
                consumer=durable,
                service=owner,
                filter_subjects=filters,
                expected=len(expected),
                applied=len(applied),
                missing=missing,
                dead_lettered=tuple(e for e in missing if e in parked.get(durable, set())),
            )
        )
    return sorted(gaps, key=lambda gap: gap.consumer)


def _owner(durable: str, services: dict[str, ServiceDatabase]) -> str | None:
    """The consuming service of a durable named ``<service>-…``."""
    matches = [name for name in services if durable.startswith(f"{name}-")]
    return max(matches, key=len) if matches else None


async def _inbox(target: ServiceDatabase, consumer: str, event_ids: set[str]) -> set[str]:
    if not event_ids:
        return set()
    database = Database(target.url, target.service, pool_size=1, max_overflow=1)
    try:
        t = inbox_table.c
        async with database.engine.connect() as conn:
            rows = await conn.execute(
                select(t.event_id).where(t.consumer == consumer, t.event_id.in_(sorted(event_ids)))
            )
            return {str(row.event_id) for row in rows}
    finally:
        await database.dispose()
