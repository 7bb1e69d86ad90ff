"""The producer's unit of work, side by side: `record_event` on the driver against through SQLAlchemy (issue 10 §4).

`.venv/bin/python bench/events_record_ab.py [N] [ROUNDS]` commits 8 × N events, one unit of work
each (8 concurrent producers, like requests), alternately with each variant, ROUNDS times; it
prints commits/s and CPU ms per commit of this process and of PostgreSQL (user + system) for each
round. Same server, same tables, same statement: only the way it is executed differs.

* *sqlalchemy*: the statement through ``session.execute`` (as `record_event` ran it before);
* *driver*: `record_event` as it is (the statement on the asyncpg connection of the session's
  transaction, `zhicheng_common.db.driver_statements`).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.events_bench import Ticked
from bench.stack import bench_stack
from zhicheng_common.audit import session_clock
from zhicheng_common.db import Database, session_schema
from zhicheng_common.events.envelope import make_envelope
from zhicheng_common.events.outbox import _record_params, _record_statement, record_event
from zhicheng_common.logging import configure_logging
from zhicheng_common.migrations import upgrade

PRODUCERS = 8


def _cpu() -> tuple[float, float]:
    """CPU seconds so far of this process and of its children (PostgreSQL)."""
    me = psutil.Process()
    children = 0.0
    for child in me.children(recursive=True):
        try:
            children += sum(child.cpu_times()[:2])
        except psutil.Error:
            continue
    return sum(me.cpu_times()[:2]), children


async def main(count: int, rounds: int) -> None:
    with bench_stack() as stack:
        from zhicheng_committees.settings import MIGRATIONS_DIR as COMMITTEES

        upgrade(COMMITTEES, stack.database_url)
        db = Database(stack.database_url, "committees")
        numbers = iter(range(10**9))

        async def through_sqlalchemy() -> None:
            async with db.unit_of_work() as session:
                number = next(numbers)
                data = Ticked(number=number)
                envelope = make_envelope(data, subject=f"tick-{number}", time=session_clock(session).now())
                await session.execute(_record_statement(session_schema(session)), _record_params(envelope, data))

        async def on_driver() -> None:
            async with db.unit_of_work() as session:
                number = next(numbers)
                await record_event(session, Ticked(number=number), subject=f"tick-{number}")

        async def measure(unit: Callable[[], Awaitable[None]], per: int) -> tuple[float, float, float]:
            async def producer() -> None:
                for _ in range(per):
                    await unit()

            cpu_before, began = _cpu(), time.perf_counter()
            await asyncio.gather(*(producer() for _ in range(PRODUCERS)))
            seconds, cpu_after = time.perf_counter() - began, _cpu()
            total = PRODUCERS * per
            return (
                total / seconds,
                1000 * (cpu_after[0] - cpu_before[0]) / total,
                1000 * (cpu_after[1] - cpu_before[1]) / total,
            )

        variants = {"sqlalchemy": through_sqlalchemy, "driver": on_driver}
        for unit in variants.values():  # warm-up: pools, prepared statements
            await measure(unit, 50)
        for round_ in range(1, rounds + 1):
            for name, unit in variants.items():
                rate, python_ms, postgres_ms = await measure(unit, count)
                print(
                    f"round {round_} {name:10s} {rate:7.0f} commits/s  CPU ms per commit: "
                    f"this process {python_ms:.3f}, PostgreSQL {postgres_ms:.3f}",
                    flush=True,
                )
        await db.dispose()


if __name__ == "__main__":
    configure_logging("bench", level="WARNING")
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300, int(sys.argv[2]) if len(sys.argv) > 2 else 3))
