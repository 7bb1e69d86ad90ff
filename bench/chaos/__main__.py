"""`make chaos` (``python -m bench.chaos``): runs of faults over a working system, then the invariants.

Each run starts a fresh stack (bench/chaos/stack.py), opens a committee with a published plan,
and keeps applicants submitting declarations through the gateway while the faults of a shuffled
schedule land one after the other at random moments (each kind ``--per-kind`` times). When the
schedule is done the workload stops, the system is given time to settle, and the invariants are
read (bench/chaos/checks.py). The counts of each fault, the violations and the commands are
written to bench/chaos/last-runs.json and to bench/RESULTS.md.

``--workload season`` runs a whole season instead while the faults land (bench/chaos/season.py).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import random
import signal
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.chaos import checks, season
from bench.chaos.faults import inject, schedule
from bench.chaos.stack import ChaosStack, started_stack
from bench.chaos.workload import WorkloadResult, submit_declarations
from bench.season.__main__ import SIZES
from bench.stack import machine, write_section
from bench.writepath_bench import login, make_user, open_committee, wait_for_window
from zhicheng_common.settings import CommonSettings

RESULTS = Path(__file__).resolve().parents[1] / "RESULTS.md"
LAST_RUNS = Path(__file__).resolve().parent / "last-runs.json"
LAST_SEASON_RUNS = Path(__file__).resolve().parent / "last-season-runs.json"
HEADING = "## Chaos: faults injected while declarations are submitted, then the invariants"
COLUMNS = (
    "| seed | time | kill -9 a service | kill -9 NATS | kill -9 PostgreSQL | SIGSTOP a service | NATS store disk full"
    " | NATS store truncated + reconcile | declarations submitted | client retries | refused | settled in"
    " | violations |\n" + "|---" * 13 + "|"
)
KINDS = ("kill_service", "kill_nats", "kill_postgres", "pause_service", "fill_store_disk", "truncate_store")
BATCH = 40  # declarations per workload batch; batches follow each other until the faults are done


@dataclass
class RunReport:
    seed: int
    seconds: float
    injected: dict[str, int]
    log: list[str]
    submitted: int
    retries: int
    refused: int
    refusals: list[str]  # "<count> x <answer>", most frequent first
    settle_seconds: float
    violations: list[str] = field(default_factory=list)


def grouped(refused: list[str]) -> list[str]:
    """The answers that were neither a success nor a fault's, counted by text (without the number)."""
    counts = Counter(answer.split(":", 1)[-1].strip()[:300] for answer in refused)
    return [f"{count} x {answer}" for answer, count in counts.most_common()]


async def keep_submitting(stack: ChaosStack, done: threading.Event, run: str) -> WorkloadResult:
    admin = login("admin", stack.admin_password())
    committee_id, year = open_committee(admin)
    applicant = make_user(admin, roles=["applicant"], region="140100")
    wait_for_window(applicant, committee_id)
    total = WorkloadResult()
    first = 0
    ready.set()
    while True:
        last = done.is_set()
        batch = await submit_declarations(applicant, committee_id, year, run=run, first=first, count=BATCH)
        first += BATCH
        total.submitted += batch.submitted
        total.retries += batch.retries
        total.refused += batch.refused
        if last:
            return total


ready = threading.Event()  # set once the workload's committee and plan are in place


def one_run(seed: int, per_kind: int, kinds: tuple[str, ...], work_dir: Path) -> RunReport:
    rng = random.Random(seed)
    stack, kinds = started_stack(work_dir / f"run-{seed}", kinds)
    began, started = time.monotonic(), datetime.now(UTC)
    log: list[str] = []
    done = threading.Event()
    outcome: dict[str, object] = {}

    def faults_thread() -> None:
        ready.wait()
        try:
            outcome["injected"] = inject(stack, rng, schedule(rng, kinds, per_kind), started, log)
        except BaseException as exc:  # reported, and the workload is stopped
            outcome["error"] = exc
        finally:
            done.set()

    ready.clear()
    thread = threading.Thread(target=faults_thread, daemon=True)
    thread.start()
    try:
        work = asyncio.run(keep_submitting(stack, done, f"{seed}"))
        thread.join()
        if "error" in outcome:
            raise outcome["error"]  # type: ignore[misc]
        settings = CommonSettings()
        settled = asyncio.run(checks.settle(settings))
        found = asyncio.run(checks.violations(settings, submitted=work.submitted))
    finally:
        stack.stop()
    injected = outcome.get("injected", Counter())
    assert isinstance(injected, Counter)
    return RunReport(
        seed,
        time.monotonic() - began,
        dict(injected),
        log,
        len(work.submitted),
        work.retries,
        len(work.refused),
        grouped(work.refused),
        settled,
        found,
    )


def section(reports: list[RunReport], command: str) -> str:
    totals: Counter[str] = Counter()
    for report in reports:
        totals.update(report.injected)
    rows = "\n".join(
        f"| {r.seed} | {r.seconds / 60:.1f} min | "
        + " | ".join(str(r.injected.get(kind, 0)) for kind in KINDS)
        + f" | {r.submitted} | {r.retries} | {r.refused} | {r.settle_seconds:.0f} s | **{len(r.violations)}** |"
        for r in reports
    )
    total_row = "| all | | " + " | ".join(f"**{totals.get(kind, 0)}**" for kind in KINDS) + " | | | | | |"
    listed = "\n".join(f"- run {r.seed}: {v}" for r in reports for v in r.violations) or "- none"
    return f"""{HEADING}

Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; `{command}`.
The log of every fault (what was done and how long the system took to be healthy again) is in
`bench/chaos/last-runs.json`. docs/chaos.md says what each fault is.

{COLUMNS}
{rows}
{total_row}

Violations of the invariants (outbox drained; no dead letters; every published event applied by
every consumer whose filter covers it; every journal chain verifies; each accepted declaration has
exactly one review):
{listed}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--per-kind", type=int, default=7, help="faults of each kind per run")
    parser.add_argument("--seed", type=int, default=1, help="the first run's seed; the next runs count up")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated subset of " + ",".join(KINDS))
    parser.add_argument("--no-write", action="store_true", help="print, do not rewrite bench/RESULTS.md")
    parser.add_argument(
        "--workload",
        choices=("declarations", "season"),
        default="declarations",
        help="what works while the faults land: declarations submitted (default), or a whole season",
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="ci", help="the season's province (--workload season)")
    parser.add_argument("--declarations", type=int, help="override the season preset's declarations")
    parser.add_argument("--concurrency", type=int, default=8, help="the season's requests in flight at once")
    parser.add_argument(
        "--lose-answers", type=float, default=0.0, help="share of the season's applied writes made uncertain on purpose"
    )
    args = parser.parse_args()
    kinds = tuple(kind for kind in args.kinds.split(",") if kind)
    unknown = set(kinds) - set(KINDS)
    if unknown:
        parser.error(f"unknown fault kinds: {sorted(unknown)}")
    # A stopped run still stops its stack (the `finally` of one_run) and unmounts the store.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.workload == "season":
        season_runs(args, kinds)
        return
    reports = []
    with TemporaryDirectory(prefix="zc-chaos-") as tmp:
        for run in range(args.runs):
            print(f"run {run + 1}/{args.runs} (seed {args.seed + run})", file=sys.stderr, flush=True)
            reports.append(one_run(args.seed + run, args.per_kind, kinds, Path(tmp)))
            print(f"  violations: {len(reports[-1].violations)}", file=sys.stderr, flush=True)
    LAST_RUNS.write_text(json.dumps([asdict(r) for r in reports], ensure_ascii=False, indent=2) + "\n")
    command = "make chaos" if sys.argv[1:] == [] else "python -m bench.chaos " + " ".join(sys.argv[1:])
    text = section(reports, command)
    print(text)
    if not args.no_write:
        write_section(RESULTS, HEADING, text)
    if any(report.violations for report in reports):
        raise SystemExit(1)


def season_runs(args: argparse.Namespace, kinds: tuple[str, ...]) -> None:
    """``--workload season``: each run a season under faults (bench/chaos/season.py)."""
    params = SIZES[args.size]
    if args.declarations is not None:
        params = dataclasses.replace(params, declarations=args.declarations)
    reports = []
    with TemporaryDirectory(prefix="zc-chaos-season-") as tmp:
        for run in range(args.runs):
            print(f"season run {run + 1}/{args.runs} (seed {args.seed + run})", file=sys.stderr, flush=True)
            report = season.one_run(
                args.seed + run,
                args.per_kind,
                kinds,
                Path(tmp),
                params=params,
                concurrency=args.concurrency,
                lose_answers=args.lose_answers,
            )
            reports.append(report)
            print(f"  violations: {len(report.violations)}", file=sys.stderr, flush=True)
    LAST_SEASON_RUNS.write_text(json.dumps([asdict(r) for r in reports], ensure_ascii=False, indent=2) + "\n")
    text = season.section(reports, "python -m bench.chaos " + " ".join(sys.argv[1:]), kinds, params)
    print(text)
    if not args.no_write:
        write_section(RESULTS, season.HEADING, text)
    if any(report.violations for report in reports):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
