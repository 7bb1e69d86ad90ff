"""Concurrent commits with and without a NOTIFY in the transaction, side by side (issue 10 §4).

Why ``record_event`` sends no NOTIFY: PostgreSQL takes one lock for every transaction that
notified and holds it through the commit's WAL flush, so such transactions commit one after the
other instead of sharing a flush. Here 8 connections each commit 300 one-row transactions, first
plain, then with ``pg_notify`` in the same statement, three times over on one server.

Run: ``.venv/bin/python bench/notify_commits_ab.py`` (embedded PostgreSQL,
``fsync=on`` as shipped); it prints commits per second, nothing is written.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stack import bench_stack
from zhicheng_common.db import asyncpg_dsn

CONNECTIONS, COMMITS, ROUNDS = 8, 300, 3


async def _commits(pool: asyncpg.Pool, *, notify: bool) -> float:
    statement = "INSERT INTO bench_commits (v) VALUES ('x')"
    if notify:
        statement += "; SELECT pg_notify('bench_commits', '')"

    async def one_connection() -> None:
        async with pool.acquire() as conn:
            for _ in range(COMMITS):
                async with conn.transaction():
                    await conn.execute(statement)

    began = time.perf_counter()
    await asyncio.gather(*(one_connection() for _ in range(CONNECTIONS)))
    return CONNECTIONS * COMMITS / (time.perf_counter() - began)


async def run(database_url: str) -> None:
    dsn = asyncpg_dsn(database_url)
    async with asyncpg.create_pool(dsn, min_size=CONNECTIONS, max_size=CONNECTIONS) as pool:
        await pool.execute("CREATE TABLE bench_commits (id bigserial PRIMARY KEY, v text)")
        for round_ in range(1, ROUNDS + 1):
            plain = await _commits(pool, notify=False)
            notified = await _commits(pool, notify=True)
            print(
                f"round {round_}: plain {plain:,.0f} commits/s, with NOTIFY {notified:,.0f} ({notified / plain:.2f} ×)"
            )


def main() -> None:
    with bench_stack() as stack:
        asyncio.run(run(stack.database_url))


if __name__ == "__main__":
    main()
