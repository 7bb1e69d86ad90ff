"""Loading a year's official arrangement (issue 11 §5): validated, stored in the shared bucket,
followed by every service's calendar, recomputation triggered once per change."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from zhicheng_common.calendar import WorkingDayCalendar, YearArrangement
from zhicheng_common.calendar_store import CalendarFollower, store_arrangement, stored_arrangements
from zhicheng_common.cli import app as cli
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import OFFICIAL_2027_HOLIDAYS, STATUTORY_2027, wait_until, without_year

pytestmark = pytest.mark.service

# The 13 statutory days of 2027 (worked out in tests/unit/test_calendar.py) plus, in this
# hypothetical official arrangement, Sat 01-02 – Mon 01-04 off and Sat 01-09 a make-up day.
FILE_2027 = """\
year: 2027
source: 国务院办公厅关于2027年部分节假日安排的通知（测试用）
holidays: [{holidays}]
workdays: [2027-01-09]
""".format(holidays=", ".join(OFFICIAL_2027_HOLIDAYS))


@pytest.fixture
async def clean_2027(nats_js: Any, zc_settings: CommonSettings) -> AsyncIterator[Any]:
    """The bucket without a 2027 arrangement before and after (other tests count 2027 provisionally)."""
    async with without_year(nats_js, zc_settings, 2027) as kv:
        yield kv


async def test_store_writes_once_per_change(clean_2027: Any, nats_js: Any, zc_settings: CommonSettings) -> None:
    first = YearArrangement.model_validate({"year": 2027, "holidays": STATUTORY_2027})
    assert await store_arrangement(nats_js, zc_settings, first)
    assert not await store_arrangement(nats_js, zc_settings, first)
    corrected = first.model_copy(update={"workdays": frozenset({date(2027, 1, 9)})})
    assert await store_arrangement(nats_js, zc_settings, corrected)
    assert [a for a in await stored_arrangements(nats_js, zc_settings) if a.year == 2027] == [corrected]


async def test_a_follower_loads_the_year_and_recomputes_once_per_change(
    clean_2027: Any, nats_js: Any, zc_settings: CommonSettings
) -> None:
    calendar = WorkingDayCalendar()
    calls: list[frozenset[int]] = []

    async def on_change(years: frozenset[int]) -> None:
        calls.append(years)

    follower = CalendarFollower(calendar, zc_settings, on_change, retry_seconds=0.2)
    stop = asyncio.Event()
    task = asyncio.create_task(follower.run(nats_js, stop))
    try:
        await wait_until(lambda: follower.rounds >= 0 and calendar.is_provisional_year(2027), what="follower up")
        arrangement = YearArrangement.model_validate({"year": 2027, "holidays": STATUTORY_2027})
        await store_arrangement(nats_js, zc_settings, arrangement)
        await wait_until(lambda: frozenset({2027}) in calls, timeout=10, what="recomputation for 2027")
        assert not calendar.is_provisional_year(2027)
        # Unchanged dates, new source text: stored (the source is shown) but the calendar did not change.
        await store_arrangement(nats_js, zc_settings, arrangement.model_copy(update={"source": "更正出处"}))
        await asyncio.sleep(1.0)
        assert calls.count(frozenset({2027})) == 1
        # A correction moves a day: recomputed again.
        await store_arrangement(
            nats_js, zc_settings, arrangement.model_copy(update={"workdays": frozenset({date(2027, 1, 9)})})
        )
        await wait_until(lambda: calls.count(frozenset({2027})) == 2, timeout=10, what="second recomputation")
        assert calendar.is_working_day(date(2027, 1, 9))
        # Removed again (the fixture's purge): the year is provisional once more.
        await clean_2027.purge("2027")
        await wait_until(lambda: calendar.is_provisional_year(2027), timeout=10, what="2027 provisional again")
    finally:
        stop.set()
        await task


def test_cli_calendar_load_validates_stores_and_reports_a_repeat(
    clean_2027: Any, zc_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in zc_env.items():
        if name.startswith("ZC_"):
            monkeypatch.setenv(name, value)
    runner = CliRunner()
    good = tmp_path / "2027.yaml"
    good.write_text(FILE_2027, encoding="utf-8")
    first = runner.invoke(cli, ["calendar", "load", str(good)])
    assert first.exit_code == 0, first.output
    assert "loaded: 2027: 16 holidays, 1 make-up working days" in first.output
    again = runner.invoke(cli, ["calendar", "load", str(good)])
    assert again.exit_code == 0, again.output
    assert "unchanged" in again.output

    bad = tmp_path / "bad.yaml"
    bad.write_text(FILE_2027.replace("workdays: [2027-01-09]", "workdays: [2027-01-11, 2028-01-08]"))
    refused = runner.invoke(cli, ["calendar", "load", str(bad)])
    assert refused.exit_code == 1
    assert "refused, nothing stored" in refused.output
    assert "2028-01-08" in refused.output  # another year
    assert "2027-01-11" in refused.output  # a Monday as make-up day
    missing = tmp_path / "missing.yaml"
    missing.write_text(FILE_2027.replace("2027-09-15, ", ""))
    refused = runner.invoke(cli, ["calendar", "load", str(missing)])
    assert refused.exit_code == 1
    assert "2027-09-15 中秋节" in refused.output
    shown = runner.invoke(cli, ["calendar", "show"])
    assert shown.exit_code == 0, shown.output
    assert "2027: loaded (国务院办公厅关于2027年部分节假日安排的通知（测试用）)" in shown.output
