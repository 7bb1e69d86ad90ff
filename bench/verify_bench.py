"""Public verification through the gateway, beside a bare FastAPI JSON endpoint, with 1,000,000 certificates.

* **Stored**: 6,000 certificates issued with both signatures (``issue_all``, as the
  certificates bench does), then rows bulk-loaded by ``COPY`` to 1,000,000 (the certificates
  bench's loader).
* **Processes**, each under uvicorn with uvloop and **one worker**: the certificates service, the
  gateway in front of it, a second gateway with its answer cache off (``ZC_GATEWAY_VERIFY_CACHE_SIZE=0``:
  every lookup goes on to the certificates service), and a bare FastAPI app whose one route takes
  the same body (a pydantic model) and returns a constant answer of the same shape.
* **Load**: one separate process per run, bodies drawn at random from the 6,000 issued. The four
  targets take turns in slices of 2 s, five rounds a run (10 s each a run), so the machine's other
  load falls on all of them alike: first with 16 connections (*throughput*), then with 2
  (*latency*: p50 and p99 without the queueing 16 connections add). Three runs.
  The cached gateway is warmed first with one lookup of every body (the answers a verifier asks
  for again are the ones cached; a first lookup is the uncached figure).

Goal (issue 17): the cached gateway's requests/s ≥ 0.5 × the bare endpoint's; p99 ≤ 25 ms.

Run: ``.venv/bin/python bench/verify_bench.py``; it rewrites its own section of bench/RESULTS.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.certificates_service_bench import NOW, STORED, _fill, _issue
from bench.stack import BenchStack, bench_stack, machine, percentile, wait_ready, write_section
from zhicheng_certificates.app import build_context
from zhicheng_certificates.settings import MIGRATIONS_DIR as CERTIFICATES
from zhicheng_certificates.settings import CertificatesSettings
from zhicheng_common.clock import ManualClock
from zhicheng_common.embedded import free_port
from zhicheng_common.migrations import upgrade
from zhicheng_common.settings import CommonSettings
from zhicheng_gateway.settings import MIGRATIONS_DIR as GATEWAY

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADING = "## Public verification through the gateway, beside a bare FastAPI endpoint (1,000,000 stored)"
RUNS = 3
ISSUED = 6_000
ROUNDS = 5
SLICE_SECONDS = 2.0
THROUGHPUT_CONNECTIONS = 16
LATENCY_CONNECTIONS = 2
UVICORN = ["--loop", "uvloop", "--no-access-log", "--log-level", "warning"]  # one worker (the default)

BARE_APP = textwrap.dedent(
    '''
    """The baseline: one FastAPI route taking the verification body and returning an answer of the same shape."""
    from fastapi import FastAPI
    from pydantic import BaseModel, ConfigDict, Field

    class NumberQuery(BaseModel):
        model_config = ConfigDict(extra="forbid")
        number: str = Field(min_length=1, max_length=32)
        holder_name: str = Field(min_length=1, max_length=64)
        resident_id: str | None = Field(default=None, max_length=18)

    ANSWER = ANSWER_JSON

    app = FastAPI()

    @app.post("/verify")
    async def verify(query: NumberQuery) -> dict:
        return ANSWER
    '''
)


def _serve(
    module: str, port: int, env: dict[str, str], *, factory: bool, cwd: str | None = None
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", module, "--port", str(port), *UVICORN]
    if factory:
        command.insert(4, "--factory")
    return subprocess.Popen(command, env=env, cwd=cwd)


def run(stack: BenchStack) -> dict[str, Any]:
    upgrade(CERTIFICATES, stack.database_url)
    upgrade(GATEWAY, stack.database_url)
    with TemporaryDirectory(prefix="zc-bench-verify-") as tmp:
        common = CommonSettings(
            environment="test", database_url=stack.database_url, nats_url=stack.nats_url,
            events_prefix=stack.prefix, data_dir=Path(tmp), log_level="WARNING",
        )  # fmt: skip
        load_at_start = os.getloadavg()
        build_context(common, CertificatesSettings(), ManualClock(NOW))  # the key rings, made once
        issue_seconds, _, issued = asyncio.run(_issue(common, ISSUED, 0))
        fill_seconds = asyncio.run(_fill(common, STORED - len(issued), first_index=len(issued)))
        numbers = Path(tmp) / "numbers.json"
        numbers.write_text(json.dumps([{"number": c["number"], "holder_name": c["name"]} for c in issued]))
        tokens = Path(tmp) / "tokens.json"
        tokens.write_text(json.dumps([{"token": c["token"]} for c in issued]))
        ports = {name: free_port() for name in ("certificates", "gateway", "uncached", "bare")}
        env = {
            **os.environ,
            "ZC_ENVIRONMENT": "test",
            "ZC_DATABASE_URL": stack.database_url,
            "ZC_NATS_URL": stack.nats_url,
            "ZC_EVENTS_PREFIX": stack.prefix,
            "ZC_DATA_DIR": tmp,
            "ZC_LOG_LEVEL": "WARNING",
            "ZC_GATEWAY_ADMIN_PASSWORD": "bench-admin-password",
            "ZC_GATEWAY_CERTIFICATES_URL": f"http://127.0.0.1:{ports['certificates']}",
            # The per-address limit of public routes would cap one load process at 10/s.
            "ZC_GATEWAY_PUBLIC_RATE_PER_MINUTE": "100000000",
            "ZC_GATEWAY_PUBLIC_RATE_BURST": "100000000",
        }
        answer = {
            "matched": True, "valid": True, "kind": "document", "detail": "",
            "checks": [
                {"name": n, "outcome": "passed", "reason": "通过", "code": ""}
                for n in ("form", "signature_sm2", "signature_ed25519", "issuer_key_valid_at_issue", "status")
            ],
            "certificate": {
                "number": "14-2026-0000001-6", "holderName": "李华", "titleName": "正高级工程师", "series": "工程技术",
                "level": "senior", "obtainedOn": "2026-11-20", "issuedAt": "2026-12-03T02:00:00+00:00",
                "issuer": "山西省人力资源和社会保障厅",
            },
        }  # fmt: skip
        (Path(tmp) / "bare_verify.py").write_text(BARE_APP.replace("ANSWER_JSON", repr(answer)))
        processes = [
            _serve("zhicheng_certificates.app:create_app", ports["certificates"], env, factory=True),
            _serve("zhicheng_gateway.app:create_app", ports["gateway"], env, factory=True),
            _serve(
                "zhicheng_gateway.app:create_app", ports["uncached"], {**env, "ZC_GATEWAY_VERIFY_CACHE_SIZE": "0"},
                factory=True,
            ),
            _serve("bare_verify:app", ports["bare"], env, factory=False, cwd=tmp),
        ]  # fmt: skip
        try:
            for name, port in ports.items():
                # Four Python servers start at once on two shared cores: give them time.
                wait_ready(f"http://127.0.0.1:{port}/{'docs' if name == 'bare' else 'readyz'}", timeout=180.0)
            url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
            targets = {
                "bare FastAPI endpoint": (f"{url['bare']}/verify", numbers),
                "gateway by-number, cached": (f"{url['gateway']}/api/v1/verify/by-number", numbers),
                "gateway by-token, cached": (f"{url['gateway']}/api/v1/verify/by-token", tokens),
                "gateway by-number, cache off": (f"{url['uncached']}/api/v1/verify/by-number", numbers),
            }
            _warm(f"{url['gateway']}/api/v1/verify/by-number", numbers)
            _warm(f"{url['gateway']}/api/v1/verify/by-token", tokens)
            plan = {name: (target, str(body_file)) for name, (target, body_file) in targets.items()}
            _rounds(plan, rounds=1, connections=THROUGHPUT_CONNECTIONS)  # pools, caches
            runs = [
                {
                    "throughput": _rounds(plan, rounds=ROUNDS, connections=THROUGHPUT_CONNECTIONS),
                    "latency": _rounds(plan, rounds=ROUNDS, connections=LATENCY_CONNECTIONS),
                }
                for _ in range(RUNS)
            ]
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(15)
    return {
        "runs": runs,
        "issue_seconds": issue_seconds,
        "fill_seconds": fill_seconds,
        "load_at_start": load_at_start,
    }


def _warm(url: str, bodies_file: Path) -> None:
    """One lookup of every body (16 at a time), so the cache holds every answer the load asks for."""
    import httpx

    bodies = json.loads(bodies_file.read_text())

    async def warm() -> None:
        async with httpx.AsyncClient(timeout=30.0) as client:
            gate = asyncio.Semaphore(THROUGHPUT_CONNECTIONS)

            async def one(body: dict[str, Any]) -> None:
                async with gate:
                    response = await client.post(url, json=body)
                assert response.status_code == 200, response.text
                assert response.json()["valid"], response.text

            await asyncio.gather(*(one(body) for body in bodies))

    asyncio.run(warm())


async def rounds_load(
    plan: dict[str, tuple[str, str]], *, rounds: int, connections: int, slice_seconds: float
) -> dict[str, dict[str, Any]]:
    """The targets in turn, ``rounds`` times, each for ``slice_seconds`` with ``connections``: totals per target."""
    import random

    import httpx

    bodies = {name: json.loads(Path(file).read_text()) for name, (_, file) in plan.items()}
    totals: dict[str, dict[str, Any]] = {name: {"n": 0, "seconds": 0.0, "lat": [], "err": 0} for name in plan}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=10.0) as client:
        for _ in range(rounds):
            for name, (url, _) in plan.items():
                total = totals[name]
                began_slice = time.perf_counter()
                deadline = began_slice + slice_seconds

                async def worker(
                    url: str = url, name: str = name, total: dict[str, Any] = total, deadline: float = deadline
                ) -> None:
                    while time.perf_counter() < deadline:
                        began = time.perf_counter()
                        response = await client.post(url, json=random.choice(bodies[name]))
                        if response.status_code != 200 or not response.json()["valid"]:
                            total["err"] += 1
                        total["lat"].append((time.perf_counter() - began) * 1000)

                await asyncio.gather(*(worker() for _ in range(connections)))
                total["seconds"] += time.perf_counter() - began_slice
    for total in totals.values():
        total["n"] = len(total["lat"])
    return totals


def _rounds(plan: dict[str, tuple[str, str]], *, rounds: int, connections: int) -> dict[str, dict[str, float]]:
    """:func:`rounds_load` in a process of its own: requests/s, p50, p99 and errors per target."""
    code = (
        "import asyncio, json, sys; from bench.verify_bench import rounds_load; "
        "print(json.dumps(asyncio.run(rounds_load(json.loads(sys.argv[1]), rounds=int(sys.argv[2]), "
        "connections=int(sys.argv[3]), slice_seconds=float(sys.argv[4])))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(plan), str(rounds), str(connections), str(SLICE_SECONDS)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    totals = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        name: {
            "rps": t["n"] / t["seconds"],
            "p50": percentile(t["lat"], 0.5),
            "p99": percentile(t["lat"], 0.99),
            "errors": t["err"],
        }
        for name, t in totals.items()
    }


def section(result: dict[str, Any]) -> str:
    load = " / ".join(f"{x:.2f}" for x in result["load_at_start"])
    runs: list[dict[str, dict[str, dict[str, float]]]] = result["runs"]
    bare = "bare FastAPI endpoint"
    lines = [
        HEADING,
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; `.venv/bin/python bench/verify_bench.py`.",
        "The machine is shared with other helpers' builds and tests "
        f"(load average {load} at the start): read the ratios within a run more than the absolute figures.",
        f"{ISSUED:,} certificates issued with both signatures ({result['issue_seconds']:.0f} s), "
        f"{STORED - ISSUED:,} more rows by `COPY` ({result['fill_seconds']:.0f} s): {STORED:,} stored.",
        "Every server under uvicorn with uvloop and one worker; the load is a separate Python process (httpx)",
        "on the same two cores, so every figure also pays for the load. The targets take turns in 2 s slices,",
        f"{ROUNDS} rounds a run; *cached*: the gateway's answer cache warmed with every body; *cache off*: a",
        "gateway with `ZC_GATEWAY_VERIFY_CACHE_SIZE=0`, each lookup going on to the certificates service",
        "(its own worker: a row read, the signature checks from its cache, the anonymous count upserted).",
        f"Throughput with {THROUGHPUT_CONNECTIONS} connections; latency with {LATENCY_CONNECTIONS} "
        "(no queueing of 16 behind one worker). Goal: cached ≥ 0.5 × bare, p99 ≤ 25 ms.",
        "",
        f"| target | run | requests/s ({THROUGHPUT_CONNECTIONS} conn.) | ratio to bare (same run) "
        f"| p50 ({LATENCY_CONNECTIONS} conn.) | p99 ({LATENCY_CONNECTIONS} conn.) | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in runs[0]["throughput"]:
        for i, run in enumerate(runs):
            x, y = run["throughput"][name], run["latency"][name]
            ratio = x["rps"] / run["throughput"][bare]["rps"]
            lines.append(
                f"| {name} | {i + 1} | **{x['rps']:,.0f}** | {ratio:.2f} | {y['p50']:.1f} ms | {y['p99']:.1f} ms "
                f"| {int(x['errors'] + y['errors'])} |"
            )
    return "\n".join(lines) + "\n\n"


def main() -> None:
    with bench_stack() as stack:
        result = run(stack)
    text = section(result)
    print(text)
    write_section(RESULTS, HEADING, text)


if __name__ == "__main__":
    main()
