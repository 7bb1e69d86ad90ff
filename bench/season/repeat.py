"""A season benchmark run three times, each on a fresh `zhicheng up`; the figures into bench/RESULTS.md.

    unshare -n bash -c 'ip link set lo up && exec .venv/bin/python -m bench.season.repeat --size ci --times 3'

Each run starts the whole system with its embedded PostgreSQL and NATS in a data folder of its own
(on the controlled clock, with sign-in limits the simulator does not hit), runs
``python -m bench.season`` against it (the season, the invariants, the report), and stops it. Run it
in a network namespace of its own (``unshare -n``, as root, with ``ip link set lo up``): it listens on the usual ports.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.season.report import resident_mb
from bench.stack import machine, write_section

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "RESULTS.md"
SYSTEM_ENV = {
    "ZC_CLOCK": "controlled",
    "ZC_REVIEW_PUBLICITY_JOB_INTERVAL_SECONDS": "1",
    "ZC_GATEWAY_LOGIN_RATE_BURST": "1000000",
    "ZC_GATEWAY_PUBLIC_RATE_BURST": "1000000",
    "ZC_GATEWAY_UPSTREAM_TIMEOUT_SECONDS": "60",
}


def wait_ready(process: subprocess.Popen[bytes], timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"zhicheng up exited with {process.returncode}")
        try:
            response = httpx.get("http://127.0.0.1:8000/api/v1/healthz", timeout=2.0)
            if response.status_code == 200 and response.json().get("status") == "all services ready":
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError("the system was not ready in time")


def one_run(n: int, season_args: list[str], workdir: Path, out: Path) -> dict[str, Any]:
    data = workdir / f"run-{n}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZC_")} | SYSTEM_ENV | {"ZC_DATA_DIR": str(data)}
    data.mkdir(parents=True)
    with (data.parent / f"run-{n}-up.log").open("wb") as log:
        up = subprocess.Popen(
            [sys.executable, "-m", "zhicheng_common.cli", "up", "--restart-exited"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_ready(up)
            started = resident_mb()  # before the season: what a service holds once it is up
            report_dir = out / f"run-{n}"
            command = [sys.executable, "-m", "bench.season", *season_args, "--no-progress"]
            command += ["--data-dir", str(data), "--state", str(data / "state.json"), "--report-dir", str(report_dir)]
            subprocess.run(command, env=env, cwd=ROOT, check=True)
            report: dict[str, Any] = json.loads((report_dir / "season.json").read_text())
            return report | {"start_rss_mb": started}
        finally:
            up.send_signal(signal.SIGINT)
            try:
                up.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(up.pid, signal.SIGKILL)


def section(heading: str, command: str, reports: list[dict[str, Any]], load: list[str]) -> str:
    p = reports[0]["params"]
    lines = [
        heading,
        "",
        f"A simulated season (docs/season.md): {p['cities']} cities, {p['committees']} committees, "
        f"{p['experts']} experts, {p['declarations']} declarations, every stage over the gateway on the "
        "controlled clock, then the invariants and the read model against a rebuild. Each run on a fresh "
        f"`zhicheng up` (embedded PostgreSQL and NATS). {machine()}.",
        "",
        "```sh",
        command,
        "```",
        "",
        "| run | load average before | end to end (s) | lag p50 (ms) | lag p99 (ms) | events applied | violations |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n, (r, avg) in enumerate(zip(reports, load, strict=True), 1):
        lag = r["lag_ms"]
        lines.append(
            f"| {n} | {avg} | {r['end_to_end_seconds']:.1f} | {lag['p50']} | {lag['p99']} | {lag['events']} "
            f"| {len(r['violations'])} |"
        )
    stages = [s["stage"] for s in reports[0]["stages"]]
    lines += ["", "Per stage, items per second in each run (and the requests per second of the median run):", ""]
    lines += ["| stage | items | items/s (runs 1, 2, 3) | requests/s (median) |", "| --- | ---: | --- | ---: |"]
    for stage in stages:
        rows = [next(s for s in r["stages"] if s["stage"] == stage) for r in reports]
        rates = ", ".join(str(row["items_per_s"]) for row in rows)
        lines.append(
            f"| {stage} | {rows[0]['items']} | {rates} | {statistics.median(row['requests_per_s'] for row in rows)} |"
        )
    names = sorted({name for r in reports for name in r["peak_rss_mb"]})
    lines += [
        "",
        "| process | RSS once up (MB), runs 1, 2, 3 | peak RSS (MB), runs 1, 2, 3 | schema size (MB), last run |",
        "| --- | --- | --- | ---: |",
    ]
    for name in names:
        start = ", ".join(str(r.get("start_rss_mb", {}).get(name, "–")) for r in reports)
        rss = ", ".join(str(r["peak_rss_mb"].get(name, "–")) for r in reports)
        size = reports[-1]["database_bytes"].get(name)
        lines.append(f"| {name} | {start} | {rss} | {'–' if size is None else round(size / 2**20, 1)} |")
    stream = reports[-1]["stream"]
    lines += [
        "",
        f"Event stream after the last run: {stream.get('events_messages', 0)} messages, "
        f"{round(stream.get('events_bytes', 0) / 2**20, 1)} MB; dead letters {stream.get('dead_letters_messages', 0)}. "
        "Throughput and lag over the last run's time: `bench/season-chart.svg`; every figure of the three "
        "runs: `bench/season-results.json`.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--times", type=int, default=3)
    p.add_argument("--heading", default=None, help="the RESULTS.md section (default: by size)")
    args, season_args = p.parse_known_args(argv)
    heading = args.heading or f"## Season simulation ({' '.join(season_args) or '--size ci'})"
    command = ".venv/bin/python -m bench.season.repeat " + " ".join([f"--times {args.times}", *season_args])
    reports, load = [], []
    with tempfile.TemporaryDirectory(prefix="zc-season-") as tmp:
        out = Path(tmp) / "reports"
        for n in range(1, args.times + 1):
            load.append(" ".join(f"{x:.1f}" for x in os.getloadavg()))
            reports.append(one_run(n, season_args, Path(tmp), out))
        (ROOT / "bench" / "season-chart.svg").write_text((out / f"run-{args.times}" / "season.svg").read_text())
    figures = ROOT / "bench" / "season-results.json"
    figures.write_text(json.dumps({"command": command, "load": load, "runs": reports}, ensure_ascii=False, indent=1))
    write_section(RESULTS, heading, section(heading, command, reports, load))
    sys.stdout.write(f"wrote {RESULTS} ({heading})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
