"""``python -m bench.season`` (or ``zhicheng simulate``): a season against a running system.

The system is one started with ``ZC_CLOCK=controlled`` (docs/season.md): this drives it over its
gateway, checks the invariants against its databases and streams (the ZC_* settings of the
environment name them, as for every `zhicheng` command), and writes the report.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sys
from pathlib import Path

from bench.season.driver import STAGE_NAMES, expected_counts, observed_counts, run_season
from bench.season.generator import SeasonParams
from bench.season.state import SeasonState

SIZES = {
    "ci": SeasonParams(cities=2, committees=3, experts=75, declarations=150, units_per_city=2, seed=18),
    "medium": SeasonParams(cities=11, committees=10, experts=750, declarations=5000),
    "full": SeasonParams(),
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="zhicheng simulate", description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--size", choices=sorted(SIZES), default="ci", help="a preset province (default: ci)")
    for name in ("cities", "committees", "experts", "declarations", "units-per-city", "seed"):
        p.add_argument(f"--{name}", type=int, help=f"override the preset's {name}")
    p.add_argument("--gateway", default=os.environ.get("ZC_GATEWAY_URL", "http://127.0.0.1:8000"))
    p.add_argument("--data-dir", type=Path, default=Path(".zhicheng"), help="the system's data folder (admin password)")
    p.add_argument("--state", type=Path, default=Path("season-state.json"), help="saved after every stage")
    p.add_argument("--resume", action="store_true", help="go on from --state instead of starting a new season")
    p.add_argument("--stop-after", choices=STAGE_NAMES, help="stop after this stage (the state is saved)")
    p.add_argument("--concurrency", type=int, default=8, help="requests in flight at once")
    p.add_argument("--wait", type=float, default=300.0, help="seconds an event may take to reach the next service")
    p.add_argument("--report-dir", type=Path, default=Path("season-report"), help="JSON, markdown and SVG go here")
    p.add_argument("--no-check", action="store_true", help="skip the invariants and the report")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument(
        "--lose-answers",
        type=float,
        default=0.0,
        help="share of applied writes whose answer the driver drops on purpose (exercises its reruns)",
    )
    return p


def params_of(args: argparse.Namespace) -> SeasonParams:
    changes = {
        field: getattr(args, field)
        for field in ("cities", "committees", "experts", "declarations", "units_per_city", "seed")
        if getattr(args, field) is not None
    }
    return dataclasses.replace(SIZES[args.size], **changes)


async def check_and_report(state: SeasonState, gateway: str, report_dir: Path) -> int:
    from bench.season import invariants, report
    from bench.season.driver import PASSWORD
    from bench.season.readmodel_check import readmodel_matches_rebuild
    from bench.stack import machine
    from zhicheng_common.events.natsauth import connect_as
    from zhicheng_common.events.permissions import OPERATOR

    env = dict(os.environ)
    settings = invariants.settings_from(env)
    nc = await connect_as(settings, OPERATOR)
    try:
        js = nc.jetstream()
        violations = await invariants.settle(js, settings, env=env)
        violations += await invariants.check(js, settings, state, env=env)
        expected, observed = expected_counts(state), observed_counts(state)
        violations += [
            f"{name}: {observed[name]} where the generator's shares make {count}"
            for name, count in expected.items()
            if observed[name] != count
        ]
        figures = await report.build(
            js,
            settings,
            state,
            env=env,
            counts=observed_counts(state),
            violations=violations,
            machine=machine(),
            load_average=" ".join(f"{x:.2f}" for x in os.getloadavg()),
        )
        violations += await readmodel_matches_rebuild(
            js, settings, gateway, state.accounts["hr_admin"], PASSWORD, settings.database_url
        )
        figures.violations = violations
    finally:
        await nc.close()
    paths = report.write(figures, report_dir)
    sys.stdout.write(report.markdown(figures))
    sys.stdout.write(f"\nwritten: {', '.join(str(p) for p in paths.values())}\n")
    for violation in violations:
        sys.stdout.write(f"VIOLATION: {violation}\n")
    return 1 if violations else 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    state = SeasonState.load(args.state) if args.resume else SeasonState(params=params_of(args))
    password_file = args.data_dir / "admin-password"
    admin_password = os.environ.get("ZC_ADMIN_PASSWORD") or password_file.read_text().strip()
    state = asyncio.run(
        run_season(
            state,
            gateway=args.gateway,
            admin_password=admin_password,
            concurrency=args.concurrency,
            stop_after=args.stop_after,
            save=lambda s: s.save(args.state),
            progress=not args.no_progress,
            wait=args.wait,
            lose_answers=args.lose_answers,
        )
    )
    sys.stdout.write(json.dumps({"done": state.done, "seconds": state.elapsed, **observed_counts(state)}) + "\n")
    if args.no_check or state.done[-1:] != [STAGE_NAMES[-1]]:
        return 0
    return asyncio.run(check_and_report(state, args.gateway, args.report_dir))


if __name__ == "__main__":
    raise SystemExit(main())
