"""The CI-sized season (issue 18): a small province driven through every stage over the gateway,
on the controlled clock, then every invariant checked (bench/season, docs/season.md).

The province: 2 cities, 2 units each, 3 senior committees (a panel of 25 each, NA-1), 75 experts
(25 per committee's pool), 150 declarations. Worked out by hand from the generator's shares
(bench/season/generator.py):

* 8 % fail EL-5 at first and are corrected: ⌊150 × 0.08⌋ = 12
* 6 % fail EL-9 at first and are corrected: ⌊150 × 0.06⌋ = 9
* 4 % fail EL-5 and are never corrected:    ⌊150 × 0.04⌋ = 6
* 10 % are voted down at the meeting:       ⌊150 × 0.10⌋ = 15
* so 12 + 9 + 6 = 27 refused at first submission, 21 submitted again;
  150 − 6 = 144 qualified and evaluated once each; 144 − 15 = 129 passed, 129 certificates,
  each verified by the public; the declarations are spread over the committees by position,
  150 / 3 = 50 per committee.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.season import report
from bench.season.driver import PASSWORD, STAGE_NAMES, START, run_season
from bench.season.generator import SeasonParams, generate
from bench.season.invariants import check, settings_from, settle
from bench.season.readmodel_check import readmodel_matches_rebuild
from bench.season.state import SeasonState
from zhicheng_common.events.natsauth import connect_as
from zhicheng_common.events.permissions import OPERATOR
from zhicheng_common.testing import TestStack

from .conftest import (
    GATEWAY_URL,
    RunningSystem,
    delete_streams,
    isolated_env,
    set_clock_before_start,
    start_system,
    stop_system,
)

pytestmark = pytest.mark.integration

CI_SEASON = SeasonParams(cities=2, committees=3, experts=75, declarations=150, units_per_city=2, seed=18)


@pytest.fixture(scope="module")
def season_system(
    zc_stack: TestStack, zc_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningSystem]:
    """The system on the controlled clock, moved to the season's first day before the start."""
    env = isolated_env(zc_stack, zc_env, "season")
    env["ZC_CLOCK"] = "controlled"
    env["ZC_REVIEW_PUBLICITY_JOB_INTERVAL_SECONDS"] = "1"
    env["ZC_GATEWAY_UPSTREAM_TIMEOUT_SECONDS"] = "60"  # the CI machine is shared: slow answers, not failures
    set_clock_before_start(env, START)
    # A service that exits is started again, as in production: the season rides it out (issue 18).
    data_dir = Path(tmp_path_factory.mktemp("season-system")) / "data"
    running = start_system(env, data_dir, ready_within=300.0, up_options=("--restart-exited",))
    try:
        yield running
    finally:
        stop_system(running.process)
        delete_streams(env)


def test_the_generator_makes_the_hand_worked_province() -> None:
    province = generate(CI_SEASON)
    assert CI_SEASON.counts() == {
        "clean": 108,
        "el5_corrected": 12,
        "el9_corrected": 9,
        "abandoned": 6,
        "voted_down": 15,
    }
    assert len(province.units) == 4
    assert [sum(1 for d in province.declarations if d.committee == k) for k in range(3)] == [50, 50, 50]
    assert len({d.resident_id for d in province.declarations}) == 150
    assert generate(CI_SEASON) == province  # the same seed, the same province


async def test_EL_5_EL_9_NA_7_CE_3_a_small_season_end_to_end_with_every_invariant(
    season_system: RunningSystem, tmp_path: Path
) -> None:
    state_file = tmp_path / "season.json"
    state = await run_season(
        SeasonState(params=CI_SEASON),
        gateway=GATEWAY_URL,
        admin_password=season_system.admin_password,
        concurrency=6,
        save=lambda s: s.save(state_file),
        progress=False,
    )
    assert SeasonState.load(state_file).done == state.done  # saved after every stage, loadable
    records = list(state.declarations.values())
    refused = [r["refused"] for r in records if r.get("refused")]
    assert len(refused) == 27
    assert sum(1 for rules in refused if "EL-5" in rules) == 12 + 6
    assert sum(1 for rules in refused if "EL-9" in rules) == 9
    assert sum(1 for r in records if r.get("corrected")) == 21
    assert sum(1 for r in records if r.get("qualified")) == 144
    assert sum(c["evaluated"] for c in state.committees.values()) == 144
    assert sum(c["passed"] for c in state.committees.values()) == 129
    assert sum(1 for r in records if r.get("verified")) == 129

    env = season_system.env
    settings = settings_from(env)
    nc = await connect_as(settings, OPERATOR)
    try:
        assert await settle(nc.jetstream(), settings, env=env) == []  # every event on its way arrived
        assert await check(nc.jetstream(), settings, state, env=env) == []
        reader = state.accounts["hr_admin"]
        rebuilt = await readmodel_matches_rebuild(
            nc.jetstream(), settings, GATEWAY_URL, reader, PASSWORD, env["ZC_DATABASE_URL"]
        )
        assert rebuilt == []
        figures = await report.build(nc.jetstream(), settings, state, env=env, counts={}, violations=[])
    finally:
        await nc.close()
    # The report covers every stage; every event a consumer applied has a lag; the chart is an SVG.
    assert [s["stage"] for s in figures.stages] == list(STAGE_NAMES)
    assert figures.lag_ms["events"] > 0
    assert set(figures.peak_rss_mb) >= {"gateway", "intake", "review", "experts", "committees", "certificates"}
    paths = report.write(figures, tmp_path / "report")
    assert paths["chart"].read_text().startswith("<svg")
