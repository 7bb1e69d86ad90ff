"""The invariants after a chaos run, read from the databases and the stream (nothing is changed).

Each check returns the violations it found, as sentences; an empty list is a pass.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg

from zhicheng_common.audit import export_entries, verify_chain
from zhicheng_common.db import Database, asyncpg_dsn
from zhicheng_common.events.deadletters import list_dead_letters
from zhicheng_common.events.natsauth import connect_as
from zhicheng_common.events.permissions import OPERATOR
from zhicheng_common.events.reconcile import ConsumerGap, ServiceDatabase, find_gaps
from zhicheng_common.settings import CommonSettings
from zhicheng_common.topology import ALL_SERVICES


def databases(settings: CommonSettings) -> list[ServiceDatabase]:
    return [ServiceDatabase(info.name, settings.database_url) for info in ALL_SERVICES]


async def undrained_outboxes(settings: CommonSettings) -> dict[str, int]:
    """Rows each service's outbox has not published yet."""
    connection = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    try:
        counts = {}
        for info in ALL_SERVICES:
            counts[info.name] = int(
                await connection.fetchval(f'SELECT count(*) FROM "{info.name}".outbox WHERE published_at IS NULL')
            )
        return {name: count for name, count in counts.items() if count}
    finally:
        await connection.close()


async def gaps(settings: CommonSettings, *, since: datetime) -> list[ConsumerGap]:
    nc = await connect_as(settings, OPERATOR)
    try:
        found = await find_gaps(nc.jetstream(), settings, databases(settings), since=since)
        return [gap for gap in found if gap.missing]
    finally:
        await nc.close()


async def settle(settings: CommonSettings, *, since: datetime, within: float = 300.0) -> float:
    """Until every outbox is drained and every consumer has applied what was published; seconds taken.

    Returns after ``within`` seconds in any case: what is still missing then is a violation.
    """
    began = time.monotonic()
    while time.monotonic() - began < within:
        if not await undrained_outboxes(settings) and not await gaps(settings, since=since):
            break
        await asyncio.sleep(2.0)
    return time.monotonic() - began


async def violations(settings: CommonSettings, *, since: datetime, submitted: Sequence[str]) -> list[str]:
    found: list[str] = []
    for name, count in (await undrained_outboxes(settings)).items():
        found.append(f"{name}: {count} outbox row(s) never published")
    for gap in await gaps(settings, since=since):
        found.append(
            f"{gap.consumer}: {len(gap.missing)} of {gap.expected} event(s) not applied, e.g. {gap.missing[0]}"
        )
    nc = await connect_as(settings, OPERATOR)
    try:
        for letter in await list_dead_letters(nc.jetstream(), settings):
            found.append(f"dead letter {letter.sequence} of {letter.consumer}: {letter.error}")
    finally:
        await nc.close()
    for info in ALL_SERVICES:
        database = Database(settings.database_url, info.name, pool_size=1, max_overflow=1)
        try:
            async with database.engine.connect() as conn:
                entries = await export_entries(conn)
        finally:
            await database.dispose()
        check = verify_chain(entries)
        if not check.ok:
            found.append(f"{info.name}'s journal breaks at entry {check.broken_seq}: {check.reason}")
    found += await reviews_of(settings, submitted)
    return found


async def reviews_of(settings: CommonSettings, submitted: Sequence[str]) -> list[str]:
    """Each declaration intake accepted has exactly one review, and intake holds it as submitted."""
    connection = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    try:
        rows = await connection.fetch(
            "SELECT declaration_id::text AS id, count(*) AS reviews FROM review.reviews"
            " WHERE declaration_id = ANY($1::uuid[]) GROUP BY declaration_id",
            list(submitted),
        )
        statuses = await connection.fetch(
            "SELECT id::text AS id, status FROM intake.declarations WHERE id = ANY($1::uuid[])", list(submitted)
        )
    finally:
        await connection.close()
    counts = {row["id"]: row["reviews"] for row in rows}
    found = [f"declaration {d}: {counts.get(d, 0)} reviews" for d in submitted if counts.get(d, 0) != 1]
    found += [f"declaration {row['id']} is {row['status']} in intake" for row in statuses if row["status"] == "draft"]
    if len(statuses) != len(set(submitted)):
        found.append(f"intake holds {len(statuses)} of the {len(set(submitted))} declarations it accepted")
    return found


def since_start(started: datetime) -> datetime:
    """Outbox rows of the run: from a little before it began (clock steps between processes)."""
    return (started - timedelta(minutes=1)).astimezone(UTC)
