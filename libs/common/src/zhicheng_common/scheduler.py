"""The in-service scheduler: periodic jobs that act on deadline rows (DESIGN.md §4).

A deadline is a row with a due time in the owning service's schema. A job runs in one unit of
work with the injectable clock's ``now`` and handles the rows that are due, claiming them with
``FOR UPDATE SKIP LOCKED`` so several replicas never act twice. Tests move a ``ManualClock`` and
call :meth:`Scheduler.run_once` instead of sleeping.

With a controlled clock (docs/clock.md) a move of the shared time calls :meth:`Scheduler.wake`:
every job runs again at once instead of at its next interval, so what became due is acted on
within the time one round takes; until the clock has read the shared time the jobs wait.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.clock import Clock, clock_is_ready
from zhicheng_common.db import Database

log = structlog.get_logger()

JobFunction = Callable[[AsyncSession, datetime], Awaitable[int]]


@dataclass(frozen=True)
class Job:
    """A named periodic job; ``run(session, now)`` returns how many rows it acted on."""

    name: str
    run: JobFunction
    interval_seconds: float = 30.0


class Scheduler:
    def __init__(self, database: Database, jobs: Sequence[Job], clock: Clock) -> None:
        self.database = database
        self.jobs = tuple(jobs)
        self.clock = clock
        self._wakes: dict[str, asyncio.Event] = {job.name: asyncio.Event() for job in self.jobs}

    def wake(self) -> None:
        """Run every job now (the time moved), not at its next interval."""
        for event in self._wakes.values():
            event.set()

    async def run_job(self, job: Job) -> int:
        async with self.database.unit_of_work() as session:
            count = await job.run(session, self.clock.now())
        if count:
            log.info("scheduler.job_done", job=job.name, count=count)
        return count

    async def run_once(self) -> dict[str, int]:
        """Run every job once, now (what tests call after moving the clock)."""
        return {job.name: await self.run_job(job) for job in self.jobs}

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.gather(*(self._loop(job, stop) for job in self.jobs))

    async def _loop(self, job: Job, stop: asyncio.Event) -> None:
        wake = self._wakes[job.name]
        while not stop.is_set():
            wake.clear()
            if clock_is_ready(self.clock):
                try:
                    await self.run_job(job)
                except Exception as exc:  # a failing job must not stop the others; it retries next round
                    log.error("scheduler.job_failed", job=job.name, error=repr(exc))
            await _first_of(stop, wake, seconds=job.interval_seconds)


async def _first_of(stop: asyncio.Event, wake: asyncio.Event, *, seconds: float) -> None:
    """Wait until ``stop`` or ``wake`` is set, or ``seconds`` passed."""
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*waiters, return_exceptions=True)
