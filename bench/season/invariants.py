"""What must hold after a season (issue 18 "Invariants"), read from the services' databases and streams.

:func:`check` only reads: each service's schema (its own database when ``ZC_<SERVICE>_DATABASE_URL``
names one) and the JetStream streams. It returns the violations as sentences; none means the season
is sound. The read model's comparison with a rebuild writes (it rebuilds), so it lives in
``bench.season.readmodel_check``.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

from nats.js.client import JetStreamContext
from sqlalchemy import func, select, text

from bench.season.state import SeasonState
from zhicheng_common.audit import export_entries, verify_chain
from zhicheng_common.db import Database, outbox_table
from zhicheng_common.events.deadletters import list_dead_letters
from zhicheng_common.events.reconcile import ServiceDatabase, find_gaps
from zhicheng_common.settings import CommonSettings
from zhicheng_common.topology import ALL_SERVICES


def service_databases(settings: CommonSettings, env: dict[str, str] | None = None) -> list[ServiceDatabase]:
    """Where each service's schema is: its own database if the environment names one, else the shared one."""
    env = env or {}
    return [
        ServiceDatabase(info.name, env.get(f"ZC_{info.name.upper()}_DATABASE_URL") or settings.database_url)
        for info in ALL_SERVICES
    ]


async def _rows(target: ServiceDatabase, sql: str, **params: Any) -> list[Any]:
    database = Database(target.url, target.service, pool_size=1, max_overflow=1)
    try:
        async with database.engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())
    finally:
        await database.dispose()


async def settle(
    js: JetStreamContext, settings: CommonSettings, *, env: dict[str, str] | None = None, within: float = 300.0
) -> list[str]:
    """Wait (reading only) until every outbox is drained and every consumer applied what was published;
    what is still outstanding after ``within`` seconds, as violations (none when it settled)."""
    databases = service_databases(settings, env)
    deadline = time.monotonic() + within
    while True:
        outstanding = await outbox_drained({d.service: d for d in databases})
        outstanding += await events_applied_once(js, settings, databases)
        if not outstanding or time.monotonic() > deadline:
            return outstanding
        await asyncio.sleep(1.0)


async def check(
    js: JetStreamContext, settings: CommonSettings, state: SeasonState, *, env: dict[str, str] | None = None
) -> list[str]:
    """Every invariant over the finished season; the violations found (empty when all hold)."""
    databases = {d.service: d for d in service_databases(settings, env)}
    violations: list[str] = []
    violations += await evaluated_once(databases, state)
    violations += await one_valid_certificate(databases)
    violations += await events_applied_once(js, settings, list(databases.values()))
    violations += await outbox_drained(databases)
    violations += await no_dead_letters(js, settings)
    violations += await journals_verify(databases)
    return violations


async def evaluated_once(databases: dict[str, ServiceDatabase], state: SeasonState) -> list[str]:
    """Each qualified declaration is in exactly one meeting's results, and nothing else is."""
    qualified = {
        str(row.declaration_id)
        for row in await _rows(
            databases["review"], "SELECT declaration_id FROM review.reviews WHERE status = 'qualified'"
        )
    }
    results = Counter(
        str(row.declaration_id)
        for row in await _rows(databases["committees"], "SELECT declaration_id FROM committees.result_applicants")
    )
    out = [f"declaration {d} evaluated {n} times" for d, n in sorted(results.items()) if n > 1]
    out += [f"qualified declaration {d} never evaluated" for d in sorted(qualified - set(results))]
    out += [f"declaration {d} evaluated but not qualified in review" for d in sorted(set(results) - qualified)]
    simulated = {r["id"] for r in state.declarations.values() if r.get("qualified")}
    out += [f"the simulator qualified {d}, review did not" for d in sorted(simulated - qualified)]
    return out


async def one_valid_certificate(databases: dict[str, ServiceDatabase]) -> list[str]:
    """Each passed applicant holds exactly one valid certificate, and no one else holds one."""
    passed = {
        str(row.declaration_id)
        for row in await _rows(
            databases["committees"], "SELECT declaration_id FROM committees.result_applicants WHERE passed"
        )
    }
    certificates = await _rows(
        databases["certificates"],
        "SELECT declaration_id, holder_key FROM certificates.certificates WHERE status = 'valid'",
    )
    by_declaration = Counter(str(row.declaration_id) for row in certificates)
    by_holder = Counter(str(row.holder_key) for row in certificates)
    out = [
        f"passed declaration {d} has {by_declaration[d]} valid certificates"
        for d in sorted(passed)
        if by_declaration[d] != 1
    ]
    out += [f"declaration {d} holds a valid certificate without passing" for d in sorted(set(by_declaration) - passed)]
    out += [f"a holder has {n} valid certificates" for n in sorted(n for n in by_holder.values() if n > 1)]
    return out


async def events_applied_once(
    js: JetStreamContext, settings: CommonSettings, databases: list[ServiceDatabase]
) -> list[str]:
    """Every event each durable consumer's filter covers is in its inbox (once: the inbox's key)."""
    out = []
    for gap in await find_gaps(js, settings, databases):
        if gap.missing:
            out.append(
                f"{gap.consumer}: {len(gap.missing)} of {gap.expected} events not applied, e.g. {gap.missing[:3]}"
            )
    return out


async def outbox_drained(databases: dict[str, ServiceDatabase]) -> list[str]:
    out = []
    for target in databases.values():
        database = Database(target.url, target.service, pool_size=1, max_overflow=1)
        try:
            async with database.engine.connect() as conn:
                waiting = await conn.scalar(
                    select(func.count()).select_from(outbox_table).where(outbox_table.c.published_at.is_(None))
                )
        finally:
            await database.dispose()
        if waiting:
            out.append(f"{target.service}: {waiting} outbox rows not published")
    return out


async def no_dead_letters(js: JetStreamContext, settings: CommonSettings) -> list[str]:
    return [
        f"dead letter of {letter.consumer} ({letter.original_subject}, {letter.attempts} attempts): {letter.error}"
        for letter in await list_dead_letters(js, settings)
    ]


async def journals_verify(databases: dict[str, ServiceDatabase]) -> list[str]:
    """Each service's audit journal, exported as `zhicheng journal export` does, verifies."""
    out = []
    for target in databases.values():
        database = Database(target.url, target.service, pool_size=1, max_overflow=1)
        try:
            async with database.engine.connect() as conn:
                entries = await export_entries(conn)
        finally:
            await database.dispose()
        result = verify_chain(entries)
        if not result.ok:
            out.append(f"{target.service}: journal broken at seq {result.broken_seq}: {result.reason}")
    return out


def settings_from(env: dict[str, str]) -> CommonSettings:
    """The deployment's settings as a running system's environment (its ZC_* variables) gives them."""
    import os
    from unittest import mock

    with mock.patch.dict(os.environ, {k: v for k, v in env.items() if k.startswith("ZC_")}):
        return CommonSettings()
