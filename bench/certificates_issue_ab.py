"""Issuance of certificates, this code side by side with an earlier commit's, on one PostgreSQL.

Each run issues 10,000 certificates from one process (one replica) with ``issue_all`` in
transactions of 500, as ``bench/certificates_service_bench.py`` does, once with the certificates
service and common library of ``--base`` (default: where this branch left ``main``; their sources
taken with ``git archive`` and put first on the worker's ``PYTHONPATH``) and once with the working
tree's, alternating, so both meet the same machine load. Three runs. Goal (issue 16): 1,000 per second per process.

Run: ``.venv/bin/python bench/certificates_issue_ab.py [--base REF] [--no-write]``; it rewrites its
own section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.certificates_service_bench import ISSUE_PER_RUN, NOW  # noqa: E402
from bench.stack import bench_stack, machine, write_section  # noqa: E402
from zhicheng_certificates.app import build_context  # noqa: E402
from zhicheng_certificates.settings import MIGRATIONS_DIR, CertificatesSettings  # noqa: E402
from zhicheng_common.clock import ManualClock  # noqa: E402
from zhicheng_common.migrations import upgrade  # noqa: E402
from zhicheng_common.settings import CommonSettings  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
HEADING = "## Certificates: issuance per process, side by side with the code before"
RUNS = 3
SOURCE = "services/certificates/src"
SOURCES = (SOURCE, "libs/common/src")


def _git(*args: str) -> bytes:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, check=True).stdout


def _extract(ref: str, into: Path) -> list[Path]:
    """The certificates service's and the common library's sources at ``ref``, unpacked under ``into``."""
    archive = _git("archive", "--format=tar", ref, *SOURCES)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return [into / source for source in SOURCES]


def _issue(common: CommonSettings, sources: list[Path], seed: int, out: Path) -> dict[str, Any]:
    """10,000 certificates from one process running the code at ``sources`` (first on its path)."""
    code = (
        "import sys; from bench.certificates_service_bench import issue_worker; "
        "issue_worker(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*map(str, sources), str(ROOT)])}
    subprocess.run(
        [sys.executable, "-c", code, common.model_dump_json(), str(ISSUE_PER_RUN), str(seed), str(out)],
        env=env,
        check=True,
    )
    result = json.loads(out.read_text())
    return {"rate": ISSUE_PER_RUN / result["elapsed"], "cpu_ms": 1000 * result["cpu"] / ISSUE_PER_RUN}


def run(base: str) -> dict[str, Any]:
    base_commit = _git("rev-parse", "--short", base).decode().strip()
    head = _git("rev-parse", "--short", "HEAD").decode().strip()
    dirty = bool(_git("status", "--porcelain", "--", *SOURCES).strip())
    with bench_stack() as stack, TemporaryDirectory(prefix="zc-bench-issue-ab-") as tmp:
        upgrade(MIGRATIONS_DIR, stack.database_url)
        common = CommonSettings(
            environment="test", database_url=stack.database_url, nats_url=stack.nats_url,
            events_prefix=stack.prefix, data_dir=Path(tmp), log_level="WARNING",
        )  # fmt: skip
        build_context(common, CertificatesSettings(), ManualClock(NOW))  # the key rings, made once
        sources = {"before": _extract(base, Path(tmp) / "base"), "after": [ROOT / s for s in SOURCES]}
        loads = [os.getloadavg()]
        runs: list[dict[str, dict[str, Any]]] = []
        seed = 0
        for _ in range(RUNS):
            one: dict[str, dict[str, Any]] = {}
            for name, paths in sources.items():
                one[name] = _issue(common, paths, seed, Path(tmp) / f"issued-{seed}.json")
                seed += ISSUE_PER_RUN
            runs.append(one)
            loads.append(os.getloadavg())
    return {"base": base, "base_commit": base_commit, "head": head + (" + changes" if dirty else ""),
            "runs": runs, "loads": loads}  # fmt: skip


NOTES = """Where the time went before (py-spy, 200 Hz, one run of 10,000, samples under `issue_all`):
the SM2 signatures 34 % (Tongsuo, in C), `rfc8785` (pure-Python JCS, two per certificate) 14 %,
the ORM (constructing `Certificate` objects, `add`, `flush`) about 12 %, the content checks 8 % (run
twice), the QR token 6 %, sealing the document 5 %, outbox and journal 3 %; and every database
statement waited with nothing else to do. The CPU per certificate was 0.8 ms, the wall time 1.8 ms
and more. What changed: JCS written by Python's C JSON encoder wherever it gives RFC 8785's bytes
(`signing.domain.jcs`, with `rfc8785` for anything else: floats, member names beyond the BMP, other
types; a property test holds the two equal), 4–5 × faster; the content checked once; the rows
inserted with one Core statement per step of 100 instead of ORM objects; and each step's SM2
signatures made in a worker thread (cffi releases the GIL around `EVP_DigestSign`) while the
previous step's certificate and outbox rows are written. After (py-spy, one run): the main thread
spends about half of `issue_all` securing the credentials (Ed25519 proof 17 %, JCS 9 %, checks 10 %),
a quarter on the rows (QR token 11 %, sealing 7 %), 11 % inserting and 8 % on the outbox; the SM2
thread signs meanwhile. Ed25519 (`cryptography`) gained nothing from two threads here (it seems to
keep the GIL), so it stays in the main thread; base58btc is now written two digits at a time (2 ×).
Unchanged: one transaction per batch (per results-confirmed event in the consumer), one certificate
per declaration (the unique index and the consumer's check on redelivery), every event through the
outbox in that transaction, one journal entry per region."""


def section(result: dict[str, Any]) -> str:
    load = " / ".join(f"{x[0]:.1f}" for x in result["loads"])
    lines = [
        HEADING,
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()};",
        "`.venv/bin/python bench/certificates_issue_ab.py`.",
        f"*before* = `{result['base']}` at {result['base_commit']}, *after* = {result['head']}: each run issues",
        f"{ISSUE_PER_RUN:,} certificates from one process (one replica) with `issue_all`, 500 per transaction",
        "(numbers, status-list indices, canonical form, SM2 and Ed25519 signatures, QR token, sealed",
        "document, row, journal entry, outbox event), the two codes one after the other on the same",
        "embedded PostgreSQL. The machine is shared with other helpers' builds and tests (load average,",
        f"1 min, at the start and after each run: {load} on 2 cores): compare the two columns of a run.",
        "CPU = this process's CPU time (all its threads) per certificate; PostgreSQL's is not in it.",
        "Goal (issue 16): 1,000 per second per process.",
        "",
        "| run | before | after | after / before | CPU ms per certificate, before / after |",
        "|---|---|---|---|---|",
    ]
    for i, one in enumerate(result["runs"]):
        b, a = one["before"], one["after"]
        lines.append(
            f"| {i + 1} | {b['rate']:,.0f}/s | **{a['rate']:,.0f}/s** | {a['rate'] / b['rate']:.2f} × "
            f"| {b['cpu_ms']:.2f} / {a['cpu_ms']:.2f} |"
        )
    return "\n".join([*lines, "", NOTES]) + "\n\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", help="the git ref to compare with (default: where this branch left main)")
    parser.add_argument("--no-write", action="store_true", help="print the section, leave RESULTS.md alone")
    args = parser.parse_args()
    base = args.base or _git("merge-base", "HEAD", "main").decode().strip()[:12]
    result = run(base)
    if not args.base:
        result["base"] = "main (where this branch left it)"
    text = section(result)
    print(text)
    if not args.no_write:
        write_section(RESULTS, HEADING, text)


if __name__ == "__main__":
    main()
