"""The shared source of a controlled clock: one key of one NATS KV bucket every service watches.

``zhicheng clock set|advance`` and the gateway's ``PUT /api/v1/system/clock`` write key
``offset`` of the bucket ``<STREAM>_CLOCK`` (:func:`move_clock`, a compare-and-set on the key's
revision, so two operators moving at once cannot lose a move). Each service with
``ZC_CLOCK=controlled`` runs a :class:`ClockFollower`: it reads the key at start, watches it,
and gives each new state to the service's :class:`~zhicheng_common.clock.ControlledClock`, which
wakes the scheduler.

A KV bucket rather than a PostgreSQL row: services never read each other's schemas and may each
have a database of their own, while all of them reach NATS; a watch delivers a move within
milliseconds, where a row would have to be polled by every replica (docs/clock.md).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime

import structlog
from nats.js.client import JetStreamContext
from nats.js.errors import BucketNotFoundError, KeyNotFoundError, KeyWrongLastSequenceError, NotFoundError
from nats.js.kv import KeyValue
from pydantic import ValidationError

from zhicheng_common.clock import ClockState, ControlledClock, SystemClock
from zhicheng_common.events.permissions import SubjectSpace
from zhicheng_common.events.streams import key_value_bucket, next_update
from zhicheng_common.settings import CommonSettings

log = structlog.get_logger()

# The bucket's name pattern as SHARED_BUCKETS lists it; ``{stream}`` is the deployment's stream.
CLOCK_BUCKET = "{stream}_CLOCK"
CLOCK_KEY = "offset"
MOVE_ATTEMPTS = 5
MISSING_BUCKET_RETRY_SECONDS = 0.5

Move = Callable[[ClockState, datetime], ClockState]


def clock_bucket(settings: CommonSettings) -> str:
    """The deployment's clock bucket (e.g. ``ZC_CLOCK``)."""
    return SubjectSpace.of(settings).bucket(CLOCK_BUCKET)


async def _bucket(js: JetStreamContext, settings: CommonSettings, *, create: bool) -> KeyValue:
    # History 20: an operator can see the last moves (nats kv history).
    name, replicas = clock_bucket(settings), settings.events_replicas
    return await key_value_bucket(js, name, create=create, history=20, replicas=replicas)


async def _stored(kv: KeyValue) -> tuple[ClockState, int | None]:
    """The stored state and its revision (none stored: the real time, revision None)."""
    try:
        entry = await kv.get(CLOCK_KEY)
    except (KeyNotFoundError, NotFoundError):
        return ClockState(), None
    if not entry.value:
        return ClockState(), entry.revision
    return ClockState.model_validate_json(entry.value), entry.revision


async def read_clock(js: JetStreamContext, settings: CommonSettings) -> ClockState:
    """The shared state (the real time when no one moved the clock yet)."""
    try:
        kv = await _bucket(js, settings, create=False)
    except BucketNotFoundError:
        return ClockState()
    state, _ = await _stored(kv)
    return state


async def move_clock(js: JetStreamContext, settings: CommonSettings, move: Move) -> ClockState:
    """Apply ``move(current state, real now)`` to the shared state, compare-and-set on its revision.

    Raises:
        ClockMoveRefused: from ``move`` (backwards without force).
    """
    kv = await _bucket(js, settings, create=True)
    for _ in range(MOVE_ATTEMPTS):
        state, revision = await _stored(kv)
        moved = move(state, SystemClock().now())
        value = moved.model_dump_json().encode()
        try:
            if revision is None:
                await kv.create(CLOCK_KEY, value)
            else:
                await kv.update(CLOCK_KEY, value, last=revision)
        except KeyWrongLastSequenceError:
            continue  # someone moved it meanwhile: apply the move to their state
        log.info("clock.moved", offset_seconds=moved.offset_seconds, revision=moved.revision, by=moved.moved_by)
        return moved
    raise RuntimeError("the clock kept moving under this move; try again")


class ClockFollower:
    """Keeps a :class:`ControlledClock` equal to the shared state (watch; a lost watch is resumed)."""

    def __init__(self, clock: ControlledClock, settings: CommonSettings, *, retry_seconds: float = 5.0) -> None:
        self.clock = clock
        self.settings = settings
        self.retry_seconds = retry_seconds

    async def run(self, js: JetStreamContext, stop: asyncio.Event) -> None:
        while not stop.is_set():
            pause = self.retry_seconds
            try:
                await self._follow(js, stop)
            except BucketNotFoundError:
                # Nobody moved the clock yet: it is the real time until the bucket appears. Look
                # again within a second (a cheap lookup), so the first move is followed as fast.
                if not self.clock.ready:
                    self.clock.apply(ClockState())
                pause = min(self.retry_seconds, MISSING_BUCKET_RETRY_SECONDS)
            except Exception as exc:  # a lost watch: look again shortly
                log.warning("clock.follow_interrupted", error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=pause)

    async def _follow(self, js: JetStreamContext, stop: asyncio.Event) -> None:
        kv = await _bucket(js, self.settings, create=False)
        watcher = await kv.watch(CLOCK_KEY)
        try:
            while not stop.is_set():
                entry = await next_update(watcher, self.retry_seconds)
                if entry is False:
                    continue
                if entry is None:  # the current value is in (or there is none yet)
                    if not self.clock.ready:
                        self.clock.apply(ClockState())
                    continue
                if entry.operation in ("DEL", "PURGE") or not entry.value:
                    state = ClockState()
                else:
                    try:
                        state = ClockState.model_validate_json(entry.value)
                    except ValidationError as exc:  # only move_clock writes here; keep the last good one
                        log.error("clock.state_invalid", error=str(exc))
                        continue
                if self.clock.apply(state):
                    log.info("clock.followed", offset_seconds=state.offset_seconds, revision=state.revision)
        finally:
            with contextlib.suppress(Exception):
                await watcher.stop()  # type: ignore[no-untyped-call]
