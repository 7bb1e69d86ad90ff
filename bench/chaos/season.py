"""`python -m bench.chaos --workload season`: the faults land while a whole season runs.

The work is the season of bench/season (every stage over the gateway, on the controlled clock),
on the chaos stack (bench/chaos/stack.py), while the shuffled schedule of faults of
``bench.chaos.__main__.inject`` lands at random moments of it; the schedule stops early if the
season ends first. The season's driver survives the faults by itself: it retries what is safe to
send again and, after a write whose answer was lost, runs the item again reading before it writes
(bench/season/driver.py). Then the chaos checks and the season's own invariants
(bench/chaos/checks.py ``season_violations``).
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.chaos import checks
from bench.chaos.faults import inject, schedule
from bench.chaos.stack import API, started_stack
from bench.season.driver import STAGE_NAMES, run_season
from bench.season.generator import SeasonParams
from bench.season.state import SeasonState
from bench.stack import machine
from zhicheng_common.settings import CommonSettings

HEADING = "## Chaos during a season"
# The season's system (docs/season.md), except the gateway's upstream timeout, which stays at its
# default (10 s) so that a paused service is past it.
SEASON_ENV = {
    "ZC_CLOCK": "controlled",
    "ZC_REVIEW_PUBLICITY_JOB_INTERVAL_SECONDS": "1",
    "ZC_GATEWAY_LOGIN_RATE_BURST": "1000000",
    "ZC_GATEWAY_PUBLIC_RATE_BURST": "1000000",
}
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class SeasonRunReport:
    seed: int
    seconds: float
    injected: dict[str, int]
    log: list[str]
    stages_done: list[str]
    stopped: str | None  # why the season did not complete, if it did not
    requests: int
    reruns: int  # items run again after an uncertain write
    rerun_reasons: list[str]  # "<count> x <call>: <answer>", most frequent first
    settle_seconds: float
    violations: list[str] = field(default_factory=list)


def reason_kind(reason: str) -> str:
    """An uncertain write's reason without ids and bodies: ``POST /reviews/{id}/decisions: 504``."""
    call, _, answer = reason.partition(" as ")
    status = answer.split(": ", 1)[-1].split(" ", 1)[0] if ": " in answer else "?"
    return f"{_ID.sub('{id}', call)}: {status[:60]}"


def one_run(
    seed: int,
    per_kind: int,
    kinds: tuple[str, ...],
    work_dir: Path,
    *,
    params: SeasonParams,
    concurrency: int,
    lose_answers: float = 0.0,
) -> SeasonRunReport:
    rng = random.Random(seed)
    os.environ.update(SEASON_ENV)
    stack, kinds = started_stack(work_dir / f"season-{seed}", kinds)
    began, started = time.monotonic(), datetime.now(UTC)
    state = SeasonState(params=params)
    log: list[str] = []
    over = threading.Event()
    outcome: dict[str, object] = {}

    def stage() -> str:
        return state.timings[-1].stage if state.timings else "start"

    def faults_thread() -> None:
        try:
            planned = schedule(rng, kinds, per_kind)
            outcome["injected"] = inject(stack, rng, planned, started, log, stop=over, where=stage)
        except BaseException as exc:  # reported; the season goes on
            outcome["error"] = exc

    def saved(done: SeasonState) -> None:
        print(f"  season: {done.done[-1]} done at {time.monotonic() - began:.0f}s", file=sys.stderr, flush=True)

    thread = threading.Thread(target=faults_thread, daemon=True)
    stopped: str | None = None
    reruns: list[str] = []
    requests = 0
    try:
        thread.start()
        try:
            asyncio.run(
                run_season(
                    state,
                    gateway=API.removesuffix("/api/v1"),
                    admin_password=stack.admin_password(),
                    concurrency=concurrency,
                    save=saved,
                    progress=False,
                    wait=300.0,
                    recovery=reruns,
                    lose_answers=lose_answers,
                )
            )
        except Exception as exc:  # the season stopped: where and why go into the report
            stopped = f"in stage {stage()}: {type(exc).__name__}: {str(exc)[:500]}"
            print(f"  season stopped {stopped}", file=sys.stderr, flush=True)
        finally:
            over.set()
            thread.join()
        requests = sum(t.requests for t in state.timings)
        settings = CommonSettings()
        settled = asyncio.run(checks.settle(settings))
        found = asyncio.run(checks.season_violations(settings, state, completed=stopped is None))
    finally:
        stack.stop()
    injected = outcome.get("injected", Counter())
    assert isinstance(injected, Counter)
    kinds_of = Counter(reason_kind(reason) for reason in reruns)
    return SeasonRunReport(
        seed=seed,
        seconds=time.monotonic() - began,
        injected=dict(injected),
        log=log,
        stages_done=list(state.done),
        stopped=stopped,
        requests=requests,
        reruns=len(reruns),
        rerun_reasons=[f"{n} x {kind}" for kind, n in kinds_of.most_common()],
        settle_seconds=settled,
        violations=([f"the season stopped {stopped}"] if stopped else [])
        + ([f"the fault schedule failed: {outcome['error']!r}"] if "error" in outcome else [])
        + found,
    )


def section(reports: list[SeasonRunReport], command: str, kinds: tuple[str, ...], params: SeasonParams) -> str:
    columns = ["seed", "time", *kinds, "stages done", "requests", "items rerun", "settled in", "violations"]
    rows = "\n".join(
        "| "
        + " | ".join(
            [
                str(r.seed),
                f"{r.seconds / 60:.1f} min",
                *(str(r.injected.get(kind, 0)) for kind in kinds),
                f"{len(r.stages_done)}/{len(STAGE_NAMES)}",
                str(r.requests),
                str(r.reruns),
                f"{r.settle_seconds:.0f} s",
                f"**{len(r.violations)}**",
            ]
        )
        + " |"
        for r in reports
    )
    reasons = "\n".join(f"- run {r.seed}: {reason}" for r in reports for reason in r.rerun_reasons) or "- none"
    listed = "\n".join(f"- run {r.seed}: {v}" for r in reports for v in r.violations) or "- none"
    size = (
        f"{params.cities} cities, {params.committees} committees, {params.experts} experts, "
        f"{params.declarations} declarations"
    )
    return f"""{HEADING}

Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}, load average {" ".join(f"{x:.2f}" for x in os.getloadavg())}
at the end; `{command}`. A season of {size} (docs/season.md) on the chaos stack while the faults
land (docs/chaos.md, "During a season"); the log of every fault, with the stage it landed in, is in
`bench/chaos/last-season-runs.json`.

| {" | ".join(columns)} |
|{"---|" * len(columns)}
{rows}

Writes whose answer was lost (each made its item run again, reading before writing):
{reasons}

Violations (the chaos invariants, and the season's: each qualified declaration evaluated once,
one valid certificate per passed applicant, the counts of the generator's shares, the read model
equal to a rebuild):
{listed}
"""
