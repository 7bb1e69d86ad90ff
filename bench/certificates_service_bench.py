"""Certificates through the service, on PostgreSQL: issuance, then verification with 1,000,000 stored.

* **Issuance**: ``issue_all`` (what the results consumer and the recognition route run) for 10,000
  certificates in transactions of 500: number and status-list index, the canonical form, the SM2
  and Ed25519 signatures, the QR token, the sealed document, the row, the journal entry and the
  outbox event (``bench/certificates_issue_ab.py`` runs it beside an earlier commit's code).
  Three runs of 10,000 from one process, three from two processes at once (two
  replicas). Goal: 1,000 per second.
* **1,000,000 stored**: the 60,000 issued certificates plus 940,000 rows bulk-loaded with
  ``COPY`` (distinct numbers of 2025, status-list indices, keyed hashes; a placeholder instead of a
  signed document, since none of them is asked for): the tables and indexes are those of a
  million certificates.
* **Verification**: the service under uvicorn (uvloop, one worker); a load process posts to
  ``/public/verifications/by-token`` and ``/by-number`` (number and name) for certificates drawn
  at random from the 60,000 issued, 16 concurrent connections, 10 s per run, three runs each.
  The service caches a document's signature checks per (number, hash of the sealed document);
  the status is read from the row on every request.

Run: ``.venv/bin/python bench/certificates_service_bench.py``; it rewrites its own section of
bench/RESULTS.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
import httpx

from bench.stack import BenchStack, bench_stack, machine, percentile, wait_ready, write_section
from zhicheng_certificates.app import build_context
from zhicheng_certificates.certificate.domain import mod37_36_check_char
from zhicheng_certificates.certificate.service import HolderIdentity, IssueCertificate, issue_all
from zhicheng_certificates.settings import MIGRATIONS_DIR, CertificatesSettings
from zhicheng_common.auth import system_actor
from zhicheng_common.clock import ManualClock
from zhicheng_common.db import Database, asyncpg_dsn
from zhicheng_common.embedded import free_port
from zhicheng_common.migrations import upgrade
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import resident_id

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADING = "## Certificates: issuance and verification through the service (1,000,000 stored)"
RUNS = 3
ISSUE_PER_RUN = 10_000
BATCH = 500
STORED = 1_000_000
CONCURRENCY = 16
SECONDS = 10.0
NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
NAMES = ["欧阳明华", "李华", "王芳", "张伟", "刘洋", "陈红", "赵敏", "孙立"]


def _command(index: int) -> IssueCertificate:
    return IssueCertificate(
        holder=HolderIdentity(NAMES[index % len(NAMES)], "female" if index % 2 else "male", resident_id()),
        series="engineering",
        specialty="electrical",
        level="senior",
        title_name="正高级工程师",
        committee_id=uuid.UUID("5b0e9f3c-1c1d-4b7e-9a51-0c7f2d6e8a01"),
        committee_name="山西省工程技术系列高级职称评审委员会",
        approving_authority="山西省人力资源和社会保障厅",
        document_number="晋人社职字〔2026〕12号",
        obtained_on=date(2026, 11, 20),
        region="140000",
        basis="evaluation",
        declaration_id=uuid.uuid4(),
    )


async def _issue(common: CommonSettings, count: int, seed: int) -> tuple[float, float, list[dict[str, str]]]:
    """Issue ``count`` certificates in this process; (wall seconds, CPU seconds, what was issued)."""
    context = build_context(common, CertificatesSettings(), ManualClock(NOW))
    database = Database(common.database_url, "certificates", clock=context.clock)
    actor = system_actor("140000", service="certificates")
    issued: list[dict[str, str]] = []
    commands = [_command(seed + i) for i in range(count)]
    try:
        began, cpu = time.perf_counter(), time.process_time()
        for start in range(0, len(commands), BATCH):
            batch = commands[start : start + BATCH]
            async with database.unit_of_work() as session:
                rows = await issue_all(session, context=context, commands=batch, actor=actor, now=NOW)
            issued += [
                {"number": r.number, "name": c.holder.name, "token": r.token} for r, c in zip(rows, batch, strict=True)
            ]
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    finally:
        await database.dispose()
    return elapsed, cpu, issued


def issue_worker(environment: str, count: int, seed: int, out: str) -> None:
    """One issuing process (a replica of the service): writes its wall and CPU time and what it issued."""
    common = CommonSettings.model_validate_json(environment)
    elapsed, cpu, issued = asyncio.run(_issue(common, count, seed))
    Path(out).write_text(json.dumps({"elapsed": elapsed, "cpu": cpu, "issued": issued}))


def _issue_in_processes(
    common: CommonSettings, processes: int, seed: int, tmp: Path
) -> tuple[float, float, list[dict[str, str]]]:
    """10,000 certificates from ``processes`` processes started together; (certificates/s, CPU ms each, issued)."""
    code = (
        "import sys; from bench.certificates_service_bench import issue_worker; "
        "issue_worker(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])"
    )
    share = ISSUE_PER_RUN // processes
    outs = [tmp / f"issued-{seed}-{i}.json" for i in range(processes)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    running = [
        subprocess.Popen(
            [sys.executable, "-c", code, common.model_dump_json(), str(share), str(seed + i * share), str(out)], env=env
        )
        for i, out in enumerate(outs)
    ]
    for process in running:
        assert process.wait() == 0
    results = [json.loads(out.read_text()) for out in outs]
    issued = [c for r in results for c in r["issued"]]
    slowest = max(r["elapsed"] for r in results)  # the issuing itself, without the processes' start-up
    cpu_ms = 1000 * sum(r["cpu"] for r in results) / len(issued)
    return len(issued) / slowest, cpu_ms, issued


async def _fill(common: CommonSettings, count: int, first_index: int) -> float:
    """``count`` rows by COPY: numbers of 2025 (serial 1…count), indices from ``first_index``."""
    began = time.perf_counter()
    connection = await asyncpg.connect(asyncpg_dsn(common.database_url))
    try:
        now = datetime.now(UTC)
        records = []
        for serial in range(1, count + 1):
            digits = f"142025{serial:07d}"
            key = f"{serial:064x}"
            records.append(
                (
                    uuid.uuid4(), f"14-2025-{serial:07d}-{mod37_36_check_char(digits)}", "14", 2025, serial,
                    f"filler.{digits}", first_index + serial - 1, key, key, "filler", "140105********0000",
                    "filler", "filler", "filler", "filler", "engineering", "electrical", "senior", "正高级工程师",
                    None, "山西省工程技术系列高级职称评审委员会", date(2025, 11, 20), now, "140000", "evaluation",
                    None, None, "valid", None, None, None, None, None, "bench", now,
                )
            )  # fmt: skip
        columns = [
            "id", "number", "province", "year", "serial", "licence_id", "status_list_index", "holder_key",
            "holder_name_hash", "holder_name_sealed", "resident_id_masked", "document_sealed", "token",
            "sm2_key_id", "ed25519_key_id", "series", "specialty", "level", "title_name", "committee_id",
            "committee_name", "obtained_on", "issued_at", "region", "basis", "declaration_id", "confirmation_id",
            "status", "status_reason_category", "status_record_id", "status_changed_at", "superseded_by",
            "supersedes", "created_by", "created_at",
        ]  # fmt: skip
        await connection.copy_records_to_table(
            "certificates", schema_name="certificates", records=records, columns=columns
        )
        await connection.execute("SELECT setval('certificates.status_list_index_seq', $1)", first_index + count - 1)
        await connection.execute("ANALYZE certificates.certificates")
    finally:
        await connection.close()
    return time.perf_counter() - began


@dataclass
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


async def post_load(
    url: str, bodies: list[dict[str, Any]], *, concurrency: int, seconds: float
) -> tuple[int, list[float], int]:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=10.0) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                body = random.choice(bodies)
                began = time.perf_counter()
                response = await client.post(url, json=body)
                if response.status_code != 200 or not response.json()["valid"]:
                    errors += 1
                latencies.append((time.perf_counter() - began) * 1000)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(latencies), latencies, errors


def _load(url: str, bodies_file: Path, seconds: float) -> Load:
    code = (
        "import asyncio, json, sys; from bench.certificates_service_bench import post_load; "
        "n, lat, err = asyncio.run(post_load(sys.argv[1], json.load(open(sys.argv[2])), "
        "concurrency=int(sys.argv[3]), seconds=float(sys.argv[4]))); "
        "print(json.dumps({'n': n, 'lat': lat, 'err': err}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, url, str(bodies_file), str(CONCURRENCY), str(seconds)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return Load(data["n"], seconds, percentile(data["lat"], 0.5), percentile(data["lat"], 0.99), data["err"])


def run(stack: BenchStack) -> dict[str, Any]:
    upgrade(MIGRATIONS_DIR, stack.database_url)
    with TemporaryDirectory(prefix="zc-bench-certs-") as tmp:
        common = CommonSettings(
            environment="test", database_url=stack.database_url, nats_url=stack.nats_url,
            events_prefix=stack.prefix, data_dir=Path(tmp), log_level="WARNING",
        )  # fmt: skip
        load_at_start = os.getloadavg()
        build_context(common, CertificatesSettings(), ManualClock(NOW))  # the key rings, made once
        rates: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
        issued: list[dict[str, str]] = []
        seed = 0
        for processes in (1, 2):
            for _ in range(RUNS):
                rate, cpu_ms, done = _issue_in_processes(common, processes, seed, Path(tmp))
                rates[processes].append((rate, cpu_ms))
                issued += done
                seed += ISSUE_PER_RUN
        fill_seconds = asyncio.run(_fill(common, STORED - len(issued), first_index=len(issued)))
        by_token = Path(tmp) / "tokens.json"
        by_token.write_text(json.dumps([{"token": c["token"]} for c in issued]))
        by_number = Path(tmp) / "numbers.json"
        by_number.write_text(json.dumps([{"number": c["number"], "holder_name": c["name"]} for c in issued]))
        port = free_port()
        env = {
            **os.environ,
            "ZC_ENVIRONMENT": "test",
            "ZC_DATABASE_URL": stack.database_url,
            "ZC_NATS_URL": stack.nats_url,
            "ZC_EVENTS_PREFIX": stack.prefix,
            "ZC_DATA_DIR": tmp,
            "ZC_LOG_LEVEL": "WARNING",
        }
        process = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "zhicheng_certificates.app:create_app", "--factory",
                "--port", str(port), "--loop", "uvloop", "--no-access-log", "--log-level", "warning",
            ],
            env=env,
        )  # fmt: skip
        try:
            wait_ready(f"http://127.0.0.1:{port}/readyz")
            base = f"http://127.0.0.1:{port}/api/v1/certificates/public/verifications"
            _load(f"{base}/by-token", by_token, 2.0)  # warm-up: pools
            loads = {
                "token": [_load(f"{base}/by-token", by_token, SECONDS) for _ in range(RUNS)],
                "number": [_load(f"{base}/by-number", by_number, SECONDS) for _ in range(RUNS)],
            }
        finally:
            process.terminate()
            process.wait(15)
    return {"rates": rates, "fill": fill_seconds, "loads": loads, "load_at_start": load_at_start}


def section(result: dict[str, Any]) -> str:
    rates = result["rates"]
    load = " / ".join(f"{x:.2f}" for x in result["load_at_start"])
    lines = [
        HEADING,
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()};",
        "`.venv/bin/python bench/certificates_service_bench.py`.",
        "The machine is shared with other helpers' builds and tests "
        f"(load average {load} at the start), so the runs differ.",
        "Embedded PostgreSQL on the same machine; the service in-process for issuance, under uvicorn",
        "(uvloop, one worker) for verification, with the load process beside it.",
        "",
        f"**Issuance** of {ISSUE_PER_RUN:,} certificates per run (`issue_all`, {BATCH} per transaction: number,",
        "status-list index, canonical form, SM2 and Ed25519 signatures, QR token, sealed document, row,",
        "journal entry, outbox event). Goal: 1,000 per second per process. In each transaction the numbers",
        "and indices are reserved at once; each step of 100 certificates is secured (checks, JCS, Ed25519",
        "proof), then SM2-signed in a thread (Tongsuo signs without the GIL) while the previous step's rows",
        "and outbox rows are written, one statement each; one journal entry per region closes the batch.",
        "The same code side by side with the code before: the next section.",
        "",
        "One process is one replica of the service; two processes are two replicas issuing at once (the",
        "serial counter is reserved in a short transaction of its own, so they do not wait on each other).",
        "Rate = 10,000 / the slower process's issuing time; CPU = this code's CPU time per certificate.",
        "",
        "| processes | run | certificates/s | CPU per certificate |",
        "|---|---|---|---|",
        *(
            f"| {p} | {i + 1} | **{rate:,.0f}/s** | {cpu:.2f} ms |"
            for p, runs in rates.items()
            for i, (rate, cpu) in enumerate(runs)
        ),
        "",
        f"Then {STORED - 6 * ISSUE_PER_RUN:,} more rows by `COPY` in {result['fill']:.0f} s, for {STORED:,} stored.",
        "",
        f"**Verification** with {STORED:,} stored: {CONCURRENCY} connections, {SECONDS:.0f} s per run, certificates",
        f"drawn at random from the {6 * ISSUE_PER_RUN:,} issued (a wrong or invalid answer counts as an error).",
        "",
        "| route | run | requests/s | p50 | p99 | errors |",
        "|---|---|---|---|---|---|",
    ]
    for route, runs in result["loads"].items():
        for i, x in enumerate(runs):
            lines.append(
                f"| by-{route} | {i + 1} | **{x.rps:,.0f}** | {x.p50_ms:.1f} ms | {x.p99_ms:.1f} ms | {x.errors} |"
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
