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

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.season import report
from bench.season.driver import PASSWORD, PUBLICITY_OVER, STAGE_NAMES, START, run_season
from bench.season.generator import SeasonParams, generate
from bench.season.invariants import check, settings_from, settle
from bench.season.readmodel_check import answers as readmodel_answers
from bench.season.readmodel_check import readmodel_matches_rebuild
from bench.season.state import SeasonState
from zhicheng_common.events.natsauth import connect_as
from zhicheng_common.events.permissions import OPERATOR
from zhicheng_common.testing import TestStack

from .conftest import (
    GATEWAY_URL,
    RunningSystem,
    delete_streams,
    empty_stack,
    events_settled,
    isolated_env,
    set_clock_before_start,
    start_system,
    stop_system,
    zhicheng,
)

pytestmark = pytest.mark.integration

CI_SEASON = SeasonParams(cities=2, committees=3, experts=75, declarations=150, units_per_city=2, seed=18)
#: The stage after which the backup is taken: the draws' panels have just reached committees, whose
#: meetings wait for the clock to move to the meeting day (docs/season.md).
MIDWAY = "draw"


@dataclass
class SeasonSystem:
    """The season's deployment: its environment (the database changes at the restore), data dir and keys."""

    env: dict[str, str]
    data_dir: Path
    running: RunningSystem | None = None

    def start(self) -> RunningSystem:
        # A service that exits is started again, as in production: the season rides it out (issue 18).
        self.running = start_system(self.env, self.data_dir, ready_within=300.0, up_options=("--restart-exited",))
        return self.running

    def stop(self) -> None:
        if self.running is not None:
            stop_system(self.running.process)
            self.running = None


@pytest.fixture(scope="module")
def season_system(
    zc_stack: TestStack, zc_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SeasonSystem]:
    """The system on the controlled clock, moved to the season's first day before the start."""
    env = isolated_env(zc_stack, zc_env, "season")
    env["ZC_CLOCK"] = "controlled"
    env["ZC_REVIEW_PUBLICITY_JOB_INTERVAL_SECONDS"] = "1"
    env["ZC_GATEWAY_UPSTREAM_TIMEOUT_SECONDS"] = "60"  # the CI machine is shared: slow answers, not failures
    set_clock_before_start(env, START)
    system = SeasonSystem(env, Path(tmp_path_factory.mktemp("season-system")) / "data")
    system.start()
    try:
        yield system
    finally:
        system.stop()
        delete_streams(system.env)


async def state_answers(state: SeasonState, admin_password: str) -> dict[str, Any]:
    """What the system answers about the season so far, through the gateway: the province read
    model (statistics by every dimension, committees, meetings, declarations by stage,
    certificates), the declarations as intake lists them and each one's review, review's statistics, each
    meeting and its drawn panel, the accounts, and the controlled clock."""
    out = await readmodel_answers(GATEWAY_URL, state.accounts["hr_admin"], PASSWORD)
    async with httpx.AsyncClient(base_url=f"{GATEWAY_URL}/api/v1", timeout=60.0) as client:
        tokens: dict[str, dict[str, str]] = {}

        async def get(path: str, who: str, **params: Any) -> Any:
            if who not in tokens:
                password = admin_password if who == "admin" else PASSWORD
                token = await client.post("/auth/token", data={"username": who, "password": password})
                assert token.status_code == 200, token.text
                tokens[who] = {"Authorization": f"Bearer {token.json()['access_token']}"}
            response = await client.get(path, params=params, headers=tokens[who])
            assert response.status_code == 200, f"GET {path} as {who}: {response.status_code} {response.text[:300]}"
            return response.json()

        async def pages(path: str, who: str, **params: Any) -> list[Any]:
            items: list[Any] = []
            while True:
                page = await get(path, who, **params, limit=200, offset=len(items))
                items += page["items"]
                if not page["items"] or len(items) >= page["total"]:
                    return items

        for key, record in sorted(state.declarations.items()):
            if record.get("submitted"):
                out[f"review {key}"] = await get(f"/reviews/declarations/{record['id']}", "admin")
        out["review statistics"] = await get("/reviews/statistics", "admin")
        for key, committee in sorted(state.committees.items()):
            office = committee["office"]
            # Intake's list as the committee's office reads it: every declaration made to it.
            out[f"intake {key}"] = await pages("/declarations", office, committee_id=committee["committee_id"])
            out[f"meeting {key}"] = await get(f"/committees/meetings/{committee['meeting_id']}", office)
            if committee.get("draw_id"):
                out[f"draw {key}"] = await get(f"/experts/draws/{committee['draw_id']}", office)
        out["users"] = await pages("/users", "admin")
        clock = await get("/system/clock", "admin")
        # The offset and who moved it last are the clock's state; `now` and `real` keep running.
        out["clock"] = {k: v for k, v in clock.items() if k not in ("now", "real")}
        out["clock day"] = clock["now"][:10]
    return out


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


# A whole season, a backup, a restore and the rest of the season: about 5 minutes on a quiet machine,
# so the suite's 300 s per test would stop it on a busy one.
@pytest.mark.timeout(1200)
async def test_EL_5_EL_9_NA_7_CE_3_a_small_season_backed_up_midway_restored_and_finished(
    season_system: SeasonSystem, zc_stack: TestStack, tmp_path: Path
) -> None:
    """The season up to the draw (issue 18: "a backup taken mid-season and restored on an empty stack
    answers the same queries, and the season then completes from it"), a backup while the system
    runs, the stack emptied, the backup restored, the system started on it with the same keys, the
    same answers, and then the rest of the season from the saved state, with every invariant."""
    state_file = tmp_path / "season.json"
    running = season_system.running
    assert running is not None
    admin_password = running.admin_password
    # After the draw: review has passed its qualified events to committees, experts its drawn
    # panels, and the read model holds the declarations at their stages and the meetings.
    midway = await run_season(
        SeasonState(params=CI_SEASON),
        gateway=GATEWAY_URL,
        admin_password=admin_password,
        concurrency=6,
        stop_after=MIDWAY,
        save=lambda s: s.save(state_file),
        progress=False,
    )
    assert midway.done == list(STAGE_NAMES[: STAGE_NAMES.index(MIDWAY) + 1])
    env = season_system.env
    settings = settings_from(env)
    nc = await connect_as(settings, OPERATOR)
    try:
        assert await settle(nc.jetstream(), settings, env=env) == []  # every event on its way arrived
    finally:
        await nc.close()
    before = await state_answers(midway, admin_password)
    assert before["clock day"] == PUBLICITY_OVER[:10]  # the season's clock, not the real one
    backup = tmp_path / "backup"
    taken = zhicheng(env, "backup", str(backup))  # while the system runs
    assert taken.returncode == 0, taken.stdout + taken.stderr

    # The empty stack: a new database, the prefix's streams and KV buckets (the clock's) gone.
    season_system.stop()
    season_system.env = env = await asyncio.to_thread(empty_stack, zc_stack, env)  # its own event loop
    restored = zhicheng(env, "restore", str(backup))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    season_system.start()  # the same data dir: the same keys, the same admin password
    settled = events_settled(env)
    assert settled.returncode == 0, settled.stdout + settled.stderr
    after = await state_answers(SeasonState.load(state_file), admin_password)
    assert sorted(after) == sorted(before)
    differing = [query for query in sorted(before) if before[query] != after[query]]
    assert differing == [], [(query, before[query], after[query]) for query in differing[:2]]

    # The rest of the season, from the saved state, on the restored system.
    state = await run_season(
        SeasonState.load(state_file),
        gateway=GATEWAY_URL,
        admin_password=admin_password,
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
