"""The controlled clock (issue 11 §4, docs/clock.md): refused in production, set/advance semantics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import typer
from pydantic import ValidationError

from zhicheng_common.app import make_clock
from zhicheng_common.cli import parse_moment, parse_span
from zhicheng_common.clock import (
    ClockMoveRefused,
    ClockState,
    ControlledClock,
    SystemClock,
    advance_by,
    clock_is_ready,
    set_to,
)
from zhicheng_common.settings import CommonSettings

REAL_KEY = "k9Yw-3f1d-real-key"
CHINA = timezone(timedelta(hours=8))
REAL = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # 09:00 in China


def test_production_refuses_the_controlled_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZC_ENVIRONMENT", "production")
    monkeypatch.setenv("ZC_PII_KEY", REAL_KEY)
    monkeypatch.setenv("ZC_CLOCK", "controlled")
    with pytest.raises(ValidationError, match="ZC_CLOCK=controlled is refused with ZC_ENVIRONMENT=production"):
        CommonSettings()


def test_production_runs_on_the_system_clock_and_staging_may_control_it(monkeypatch: pytest.MonkeyPatch) -> None:
    production = CommonSettings(environment="production", pii_key=REAL_KEY)
    assert production.clock == "system"
    assert isinstance(make_clock(production), SystemClock)
    monkeypatch.setenv("ZC_CLOCK", "controlled")
    staging = CommonSettings(environment="test")
    assert isinstance(make_clock(staging), ControlledClock)
    with pytest.raises(ValidationError):
        CommonSettings(clock="frozen")


def test_set_moves_the_offset_and_the_time_runs_on_from_there() -> None:
    target = datetime(2027, 1, 8, 9, 0, tzinfo=CHINA)
    state = set_to(ClockState(), target=target, real=REAL, by="ops")
    # 2026-12-02T09:00+08 to 2027-01-08T09:00+08: 29 days of December left + 8 of January = 37 days.
    assert state.offset_seconds == timedelta(days=37).total_seconds()
    assert (state.revision, state.moved_by, state.moved_at) == (1, "ops", REAL)
    assert state.now(REAL) == target
    assert state.now(REAL + timedelta(minutes=5)) == target + timedelta(minutes=5)  # not frozen


def test_advance_adds_to_the_current_controlled_time() -> None:
    first = advance_by(ClockState(), delta=timedelta(days=8), real=REAL, by="ops")
    later = REAL + timedelta(hours=1)
    second = advance_by(first, delta=timedelta(hours=6), real=later, by="ops")
    assert second.now(later) == later + timedelta(days=8, hours=6)
    assert second.revision == 2


def test_the_clock_does_not_move_backwards_unless_forced() -> None:
    ahead = advance_by(ClockState(), delta=timedelta(days=8), real=REAL, by="ops")
    with pytest.raises(ClockMoveRefused, match="may not move backwards"):
        advance_by(ahead, delta=timedelta(seconds=-1), real=REAL, by="ops")
    with pytest.raises(ClockMoveRefused):
        set_to(ahead, target=REAL + timedelta(days=7), real=REAL, by="ops")  # before now + 8 days
    back = set_to(ahead, target=REAL, real=REAL, by="ops", force=True)
    assert back.offset_seconds == 0.0
    assert back.revision == 2
    # Setting the very time it is now is no move backwards.
    assert set_to(ahead, target=ahead.now(REAL), real=REAL, by="ops").offset_seconds == ahead.offset_seconds


def test_a_target_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        set_to(ClockState(), target=datetime(2027, 1, 8, 9, 0), real=REAL, by="ops")


def test_the_controlled_clock_waits_for_the_shared_time_and_tells_its_listeners() -> None:
    clock = ControlledClock(real=lambda: REAL)
    moves: list[datetime] = []
    clock.on_move(lambda: moves.append(clock.now()))
    assert not clock_is_ready(clock)  # the scheduler waits until the shared time is read
    assert clock.now() == REAL
    assert clock.apply(ClockState()) is False  # nobody moved it: no move, but now known
    assert clock_is_ready(clock)
    assert moves == [REAL]  # the scheduler waited for it: wake it once
    state = advance_by(ClockState(), delta=timedelta(days=8), real=REAL, by="ops")
    assert clock.apply(state) is True
    assert moves == [REAL, REAL + timedelta(days=8)]
    assert clock.apply(state) is False  # the same state again (a re-watch) wakes nobody
    assert len(moves) == 2
    assert clock_is_ready(SystemClock())


def test_cli_spans_and_moments() -> None:
    assert parse_span("8d") == timedelta(days=8)
    assert parse_span("1d12h") == timedelta(days=1, hours=12)
    assert parse_span("90m") == timedelta(minutes=90)
    assert parse_span("-1d") == timedelta(days=-1)
    assert parse_span("P8D") == timedelta(days=8)
    with pytest.raises(typer.BadParameter):
        parse_span("eight days")
    assert parse_moment("2027-01-08") == datetime(2027, 1, 8, tzinfo=CHINA)
    assert parse_moment("2027-01-08T09:00+00:00") == datetime(2027, 1, 8, 9, tzinfo=UTC)
    with pytest.raises(typer.BadParameter):
        parse_moment("next friday")


def test_china_today_turns_at_midnight_in_beijing_and_reads_a_naive_instant_as_utc() -> None:
    from datetime import date

    from zhicheng_common.clock import china_today

    assert china_today(datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC)) == date(2026, 12, 31)
    assert china_today(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == date(2027, 1, 1)
    assert china_today(datetime(2026, 12, 31, 16, 0)) == date(2027, 1, 1)
