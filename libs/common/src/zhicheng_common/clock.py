"""An injectable clock, so tests move time instead of sleeping, and staging moves it for everyone.

Three clocks share one protocol: :class:`SystemClock` (production), :class:`ManualClock` (unit
tests move it by hand) and :class:`ControlledClock` (``ZC_CLOCK=controlled``: every process of a
staging or simulation deployment follows one shared offset, see docs/clock.md and
:mod:`zhicheng_common.clock_store`).

The controlled clock keeps running: its time is the real time plus an offset that an operator
moves (``zhicheng clock set|advance``, ``PUT /api/v1/system/clock``). A frozen clock would give
every request of a rehearsal the same instant, and journal and event ids ordered by time would
then no longer say what came first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Protocol

from pydantic import AwareDatetime, BaseModel, Field

# Mainland China's time: deadlines, validity and "today" of every rule are China dates. A fixed
# offset needs no tz database and equals Asia/Shanghai for every instant since 1991 (no DST).
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")


def china_today(now: datetime) -> date:
    """The calendar day in mainland China at ``now`` (a naive ``now`` is taken as UTC)."""
    return (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(CHINA).date()


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, value: datetime) -> None:
        self._now = value


class ClockState(BaseModel):
    """What the shared source holds: how far the controlled time is ahead of the real time."""

    offset_seconds: float = Field(default=0.0, description="controlled time minus real time, in seconds")
    revision: int = Field(default=0, ge=0, description="how many times an operator moved the clock")
    moved_at: AwareDatetime | None = Field(default=None, description="real time of the last move")
    moved_by: str | None = Field(default=None, description="who moved it last (CLI user or gateway principal)")

    def now(self, real: datetime) -> datetime:
        return real + timedelta(seconds=self.offset_seconds)


class ClockMoveRefused(ValueError):
    """A move that would take the controlled time backwards without ``force``.

    Deadlines that already fired (abandoned declarations, closed publicities) stay fired when the
    time goes back, and records would carry times out of order: going back is possible, on purpose
    only.
    """

    def __init__(self, current: datetime, target: datetime) -> None:
        super().__init__(
            f"时钟不能倒退 (the clock may not move backwards): {target.isoformat()} is before "
            f"{current.isoformat()}; pass force to do it anyway"
        )
        self.current = current
        self.target = target


def set_to(state: ClockState, *, target: datetime, real: datetime, by: str, force: bool = False) -> ClockState:
    """The state after setting the controlled time to ``target`` at real time ``real``.

    Raises:
        ClockMoveRefused: ``target`` is before the current controlled time and ``force`` is false.
        ValueError: ``target`` has no time zone.
    """
    if target.tzinfo is None:
        raise ValueError("a clock target needs a time zone (e.g. 2027-01-08T09:00+08:00)")
    current = state.now(real)
    if target < current and not force:
        raise ClockMoveRefused(current, target)
    return ClockState(
        offset_seconds=(target - real).total_seconds(), revision=state.revision + 1, moved_at=real, moved_by=by
    )


def advance_by(state: ClockState, *, delta: timedelta, real: datetime, by: str, force: bool = False) -> ClockState:
    """The state after moving the controlled time by ``delta`` (negative only with ``force``)."""
    return set_to(state, target=state.now(real) + delta, real=real, by=by, force=force)


class ControlledClock:
    """The real time plus the shared offset; a follower keeps the offset equal to the bucket's.

    ``ready`` is false until the follower has read the shared source once (until then the clock
    says the real time, and the scheduler waits: it would act on a time the deployment left).
    """

    def __init__(self, real: Callable[[], datetime] | None = None) -> None:
        self._real = real or SystemClock().now
        self.state = ClockState()
        self.ready = False
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> datetime:
        return self.state.now(self._real())

    def on_move(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` whenever the shared time moved (the scheduler wakes its jobs)."""
        self._listeners.append(listener)

    def apply(self, state: ClockState) -> bool:
        """Take the shared state; True when the time moved.

        Listeners are called when the time moved, and when it became known (the scheduler skipped
        its rounds until then and should not wait a whole interval more).
        """
        moved = state != self.state
        became_ready = not self.ready
        self.state = state
        self.ready = True
        if moved or became_ready:
            for listener in self._listeners:
                listener()
        return moved


def clock_is_ready(clock: Clock) -> bool:
    """False only for a controlled clock that has not read the shared source yet."""
    return getattr(clock, "ready", True) is not False
