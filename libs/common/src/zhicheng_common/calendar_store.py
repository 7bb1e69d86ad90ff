"""Where the official holiday arrangements live: one NATS KV bucket every service reads.

An operator loads a year with ``zhicheng calendar load FILE`` (:func:`read_arrangement_file`
validates it, :func:`store_arrangement` writes key ``<year>`` of the bucket
``<STREAM>_CALENDAR``). Every service runs a :class:`CalendarFollower`: it reads the bucket at
start, watches it, keeps the service's :class:`~zhicheng_common.calendar.WorkingDayCalendar` in
step, and calls the service's recomputation for the years that changed (and, at start, for every
loaded year, so a service that was down during a load catches up). Recomputation is idempotent:
it compares each deadline with what the calendar now gives and changes only what differs, so
replicas, restarts and loading the same file twice change nothing further.

A KV bucket rather than a table: services never read each other's schemas and may each have a
database of their own, while all of them already reach NATS (DESIGN.md §2, §3).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import structlog
import yaml
from nats.js.client import JetStreamContext
from nats.js.errors import BucketNotFoundError, KeyNotFoundError, NotFoundError
from nats.js.kv import KeyValue
from pydantic import ValidationError

from zhicheng_common.calendar import WorkingDayCalendar, YearArrangement
from zhicheng_common.events.permissions import SubjectSpace
from zhicheng_common.events.streams import key_value_bucket, next_update
from zhicheng_common.settings import CommonSettings

log = structlog.get_logger()

# The bucket's name pattern as SHARED_BUCKETS lists it; ``{stream}`` is the deployment's stream.
CALENDAR_BUCKET = "{stream}_CALENDAR"

OnCalendarChange = Callable[[frozenset[int]], Awaitable[Any]]


class ArrangementFileError(ValueError):
    """A calendar file that cannot be loaded, with every problem found in it."""


def calendar_bucket(settings: CommonSettings) -> str:
    """The deployment's calendar bucket (e.g. ``ZC_CALENDAR``)."""
    return SubjectSpace.of(settings).bucket(CALENDAR_BUCKET)


def parse_arrangement(text: str, *, name: str = "calendar file") -> YearArrangement:
    """Validate a year's arrangement written as YAML or JSON (see :class:`YearArrangement`).

    Raises:
        ArrangementFileError: The text is not YAML/JSON of a valid arrangement; the message lists
            every problem.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ArrangementFileError(f"{name}: 不是有效的 YAML/JSON (not YAML or JSON): {exc}") from None
    if not isinstance(data, dict):
        raise ArrangementFileError(f"{name}: 应为包含 year、holidays、workdays 的对象 (expected a mapping)")
    try:
        return YearArrangement.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'file'}: {error['msg']}" for error in exc.errors()
        )
        raise ArrangementFileError(f"{name}: {problems}") from None


def read_arrangement_file(path: Path) -> YearArrangement:
    """:func:`parse_arrangement` of a file."""
    return parse_arrangement(path.read_text(encoding="utf-8"), name=str(path))


async def _bucket(js: JetStreamContext, settings: CommonSettings, *, create: bool) -> KeyValue:
    # History 10: the earlier versions of a year stay visible to an operator after a correction.
    name, replicas = calendar_bucket(settings), settings.events_replicas
    return await key_value_bucket(js, name, create=create, history=10, replicas=replicas)


async def stored_arrangement(kv: KeyValue, year: int) -> YearArrangement | None:
    try:
        entry = await kv.get(str(year))
    except (KeyNotFoundError, NotFoundError):
        return None
    if entry.value is None:
        return None
    return YearArrangement.model_validate_json(entry.value)


async def store_arrangement(js: JetStreamContext, settings: CommonSettings, arrangement: YearArrangement) -> bool:
    """Write ``arrangement`` as its year's arrangement, unless the stored one is the same.

    Returns:
        True when it was written (new year, or different dates or source).
    """
    kv = await _bucket(js, settings, create=True)
    current = await stored_arrangement(kv, arrangement.year)
    if current == arrangement:
        return False
    await kv.put(str(arrangement.year), arrangement.model_dump_json().encode())
    return True


async def stored_arrangements(js: JetStreamContext, settings: CommonSettings) -> list[YearArrangement]:
    """Every stored arrangement, by year (none when nobody has loaded one yet)."""
    try:
        kv = await _bucket(js, settings, create=False)
    except BucketNotFoundError:
        return []
    try:
        keys = await kv.keys()
    except NotFoundError:  # nats-py: an empty bucket has no keys
        return []
    found = [await stored_arrangement(kv, int(key)) for key in sorted(keys) if key.isdigit()]
    return [a for a in found if a is not None]


class CalendarFollower:
    """Keeps a service's calendar equal to the bucket and triggers its recomputation.

    Args:
        calendar: The calendar the service counts with (updated in place).
        settings: Where the bucket is.
        on_change: The service's recomputation for a set of years; retried until it succeeds.
        retry_seconds: How long to wait before looking again for a missing bucket or retrying.
    """

    def __init__(
        self,
        calendar: WorkingDayCalendar,
        settings: CommonSettings,
        on_change: OnCalendarChange,
        *,
        retry_seconds: float = 5.0,
    ) -> None:
        self.calendar, self.settings, self.on_change, self.retry_seconds = calendar, settings, on_change, retry_seconds
        # How many times the recomputation ran to the end (tests and health detail read it).
        self.rounds = 0

    def apply(self, entry: KeyValue.Entry) -> int | None:
        """Apply one bucket entry to the calendar; the year when that changed it."""
        if not entry.key.isdigit():
            return None
        year = int(entry.key)
        if entry.operation in ("DEL", "PURGE") or not entry.value:
            changed = self.calendar.unload(year)
        else:
            try:
                arrangement = YearArrangement.model_validate_json(entry.value)
            except ValidationError as exc:
                # Only `zhicheng calendar load` writes here, after validating; keep the last good one.
                log.error("calendar.arrangement_invalid", year=year, error=str(exc))
                return None
            changed = self.calendar.load(arrangement)
            log.info("calendar.arrangement_loaded", year=year, revision=arrangement.revision, changed=changed)
        return year if changed else None

    async def run(self, js: JetStreamContext, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._follow(js, stop)
            except Exception as exc:  # a lost watch or a missing bucket: look again shortly
                log.warning("calendar.follow_interrupted", error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.retry_seconds)

    async def _follow(self, js: JetStreamContext, stop: asyncio.Event) -> None:
        kv = await _bucket(js, self.settings, create=False)
        watcher = await kv.watchall()
        pending: set[int] = set()
        initial = True
        try:
            while not stop.is_set():
                entry = await next_update(watcher, self.retry_seconds)
                if entry is None:  # the current values are all in: catch up on every loaded year
                    initial = False
                    pending |= set(self.calendar.arrangements)
                elif entry:
                    year = self.apply(entry)
                    if year is not None:
                        pending.add(year)
                if pending and not initial:
                    await self._recompute(frozenset(pending), stop)
                    pending.clear()
                    self.rounds += 1
        finally:
            with contextlib.suppress(Exception):
                await watcher.stop()  # type: ignore[no-untyped-call]

    async def _recompute(self, years: frozenset[int], stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.on_change(years)
                log.info("calendar.deadlines_recomputed", years=sorted(years))
                return
            except Exception as exc:  # e.g. the database is down: the deadlines must still follow
                log.error("calendar.recompute_failed", years=sorted(years), error=repr(exc))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.retry_seconds)
