"""The invariants after a chaos run, read from the databases and the stream (nothing is changed).

The season's invariants that hold for any work (bench/season/invariants.py: outboxes drained,
every event applied by every consumer, no dead letters, journals verify), and this workload's own:
each declaration intake accepted has exactly one review. Each returns violations as sentences.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import asyncpg

from bench.season import invariants
from zhicheng_common.db import asyncpg_dsn
from zhicheng_common.events.natsauth import connect_as
from zhicheng_common.events.permissions import OPERATOR
from zhicheng_common.settings import CommonSettings


async def settle(settings: CommonSettings, *, within: float = 300.0) -> float:
    """Until every outbox is drained and every consumer has applied what was published; seconds taken."""
    began = time.monotonic()
    nc = await connect_as(settings, OPERATOR)
    try:
        await invariants.settle(nc.jetstream(), settings, within=within)
    finally:
        await nc.close()
    return time.monotonic() - began


async def violations(settings: CommonSettings, *, submitted: Sequence[str]) -> list[str]:
    databases = invariants.service_databases(settings)
    by_service = {target.service: target for target in databases}
    nc = await connect_as(settings, OPERATOR)
    try:
        js = nc.jetstream()
        found = await invariants.outbox_drained(by_service)
        found += await invariants.events_applied_once(js, settings, databases)
        found += await invariants.no_dead_letters(js, settings)
    finally:
        await nc.close()
    found += await invariants.journals_verify(by_service)
    return found + await reviews_of(settings, submitted)


async def reviews_of(settings: CommonSettings, submitted: Sequence[str]) -> list[str]:
    """Each declaration intake accepted has exactly one review, and intake does not hold it as a draft."""
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
