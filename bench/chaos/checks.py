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
from bench.season.driver import PASSWORD, expected_counts, observed_counts
from bench.season.readmodel_check import readmodel_matches_rebuild
from bench.season.state import SeasonState
from zhicheng_common.db import asyncpg_dsn
from zhicheng_common.events.natsauth import connect_as
from zhicheng_common.events.permissions import OPERATOR
from zhicheng_common.settings import CommonSettings
from zhicheng_common.topology import GATEWAY


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


async def season_violations(settings: CommonSettings, state: SeasonState, *, completed: bool) -> list[str]:
    """The chaos invariants over the season's submitted declarations and, when the season completed,
    the season's own: each qualified declaration evaluated once, one valid certificate per passed
    applicant, the counts of the generator's shares and the read model equal to a rebuild."""
    submitted = [str(r["id"]) for r in state.declarations.values() if r.get("submitted")]
    found = await violations(settings, submitted=submitted)
    if not completed:  # a season stopped before its meetings evaluated nothing: only the above apply
        return found
    databases = {target.service: target for target in invariants.service_databases(settings)}
    found += await invariants.evaluated_once(databases, state)
    found += await invariants.one_valid_certificate(databases)
    expected, observed = expected_counts(state), observed_counts(state)
    found += [
        f"{name}: {observed[name]} where the generator's shares make {count}"
        for name, count in expected.items()
        if observed[name] != count
    ]
    nc = await connect_as(settings, OPERATOR)
    try:
        found += await readmodel_matches_rebuild(
            nc.jetstream(), settings, GATEWAY.default_url, state.accounts["hr_admin"], PASSWORD, settings.database_url
        )
    finally:
        await nc.close()
    return found


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
