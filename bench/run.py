"""Run the benchmarks and write bench/RESULTS.md: `make bench` (or `python bench/run.py`)."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.draw_bench import run_draw_bench
from bench.draw_bench import section as draw_section
from bench.draw_service_bench import run_draw_service_bench
from bench.draw_service_bench import section as draw_service_section
from bench.events_bench import run_events_bench
from bench.events_bench import section as events_section
from bench.gateway_bench import run_gateway_bench
from bench.intake_bench import run_intake_bench
from bench.intake_bench import section as intake_section
from bench.stack import bench_stack, machine
from zhicheng_common.logging import configure_logging

INTAKE_CONCURRENCY = 16
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def main() -> None:
    configure_logging("bench", level="WARNING")
    with bench_stack() as stack:
        events = asyncio.run(run_events_bench(stack))
        http = run_gateway_bench(stack)
        intake_results = run_intake_bench(stack, concurrency=INTAKE_CONCURRENCY)
        draw_service_load = os.getloadavg()[0]
        draw_service = run_draw_service_bench(stack)
    direct, through = http
    lines = [
        "# Benchmark results",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}.",
        "PostgreSQL and NATS JetStream: the embedded servers from the wheels (or ZC_DATABASE_URL / ZC_NATS_URL).",
        "Rerun: `make bench` (same as `.venv/bin/python bench/run.py`); it rewrites this file.",
        "",
        "## Gateway pass-through vs direct",
        "",
        "`GET /api/v1/declarations/journal?limit=1` with an auditor token (token verified, one query),",
        "32 concurrent keep-alive connections for 10 s from a load process on the same machine;",
        "one uvicorn worker (uvloop) per service.",
        "",
        "| path | requests/s | p50 | p99 | errors |",
        "|---|---|---|---|---|",
        f"| direct to intake | **{direct.rps:.0f}** | {direct.p50_ms:.1f} ms | {direct.p99_ms:.1f} ms | "
        f"{direct.errors} |",
        f"| through the gateway | **{through.rps:.0f}** | {through.p50_ms:.1f} ms | {through.p99_ms:.1f} ms | "
        f"{through.errors} |",
        "",
        f"The gateway keeps {100 * through.rps / direct.rps:.0f} % of the direct rate: it verifies the token",
        "itself, then forwards over a pooled connection to the service, which verifies it again.",
        "",
    ]
    lines.append(events_section(events))
    lines.append(intake_section(intake_results, concurrency=INTAKE_CONCURRENCY))
    lines.append(draw_section(run_draw_bench()))
    lines.append(draw_service_section(draw_service, draw_service_load))
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
