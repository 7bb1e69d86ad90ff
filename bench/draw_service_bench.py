"""Time of an expert draw through the experts service, on PostgreSQL, and of verifying its pack.

The pool of ``bench/draw_bench.py`` (3,000 experts, 500 applicants with units and relationships)
is served to the service through its pool snapshot interface; the service runs in-process behind
httpx's ASGI transport (no network), on the embedded PostgreSQL (or ZC_DATABASE_URL). Timed, three
runs, each for a fresh meeting:

* **ask**: ``POST …/draws`` (the committee office): request checks, eligibility, the snapshot and
  audit documents with their hashes, the commitment, the journal entry; stored in one transaction;
* **seed**: ``POST /draws/{id}/seed`` (the supervisor): the derivation and the stored result;
* **sign**: three ``signing-payload`` reads and ``signatures`` posts (two drawers, one supervisor);
* **verify**: ``GET /draws/{id}/evidence`` (the auditor), then ``verify_pack`` offline.

Run: ``.venv/bin/python bench/draw_service_bench.py`` (or ``make bench``); it
rewrites its own section of bench/RESULTS.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncSession

from bench.draw_bench import EXPERTS, FILING, MEETING, REQUEST, population
from bench.stack import BenchStack, bench_stack, machine, write_section
from zhicheng_common.auth import Principal, TokenIssuer, key_id
from zhicheng_common.clock import ManualClock
from zhicheng_common.keys import JWT, init_ring
from zhicheng_common.migrations import upgrade
from zhicheng_common.settings import CommonSettings
from zhicheng_experts.app import create_app
from zhicheng_experts.draw.domain import Applicant, Expert
from zhicheng_experts.draw.evidence import verify_pack
from zhicheng_experts.draw.repository import PoolSnapshot
from zhicheng_experts.settings import MIGRATIONS_DIR, ExpertsSettings

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADING = "## Experts: the same draw through the service (PostgreSQL) and its evidence pack"
RUNS = 3
REGION = "140100"
# Friday 8 November 2024, 09:00 in Beijing: five working days before the meeting of the 15th.
NOW = datetime(2024, 11, 8, 1, 0, tzinfo=UTC)


@dataclass
class BenchPool:
    experts: tuple[Expert, ...]
    applicants: tuple[Applicant, ...]

    async def eligible_pool_snapshot(
        self, session: AsyncSession, committee_id: uuid.UUID, meeting_id: uuid.UUID, *, frozen_on: date
    ) -> PoolSnapshot | None:
        meeting = replace(MEETING, id=str(meeting_id), committee_id=str(committee_id))
        filing = replace(FILING, committee_id=str(committee_id))
        return PoolSnapshot(meeting, REGION, "shanxi-2024", filing, self.experts, self.applicants)

    async def contact_emails(self, session: AsyncSession, expert_ids: Sequence[str]) -> Mapping[str, str]:
        return {}


@dataclass(frozen=True)
class Run:
    ask_s: float
    ask_cpu_s: float
    seed_s: float
    seed_cpu_s: float
    sign_s: float
    evidence_s: float
    verify_s: float
    verify_cpu_s: float
    pack_bytes: int
    ok: bool


def _pem(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


async def one_run(client: httpx.AsyncClient, issuer: TokenIssuer) -> Run:
    committee_id, meeting_id = uuid.uuid4(), uuid.uuid4()

    def headers(subject: str, role: str) -> dict[str, str]:
        principal = Principal(
            subject=subject, roles=frozenset({role}), region="140000", committees=frozenset({str(committee_id)})
        )
        return {"Authorization": f"Bearer {issuer.issue(principal, ttl_seconds=3600)}"}

    office, supervisor, auditor = (
        headers("drawer-1", "committee_office"),
        headers("sup-1", "supervisor"),
        headers("aud-1", "auditor"),
    )
    body = {
        "size": REQUEST.size,
        "quotas": [
            {"specialty": q.specialty, "members": q.members, "alternates": q.alternates} for q in REQUEST.quotas
        ],
    }
    started, started_cpu = time.perf_counter(), time.process_time()
    asked = await client.post(
        f"/api/v1/experts/committees/{committee_id}/meetings/{meeting_id}/draws", json=body, headers=office
    )
    asked_at, asked_cpu = time.perf_counter(), time.process_time()
    if asked.status_code != 201:
        raise RuntimeError(asked.text)
    draw_id = asked.json()["draw_id"]
    seeded = await client.post(
        f"/api/v1/experts/draws/{draw_id}/seed",
        json={"external_seed": f"{random.randrange(10**7):07d} 03 07"},
        headers=supervisor,
    )
    seeded_at, seeded_cpu = time.perf_counter(), time.process_time()
    if seeded.status_code != 200:
        raise RuntimeError(seeded.text)
    keys = [Ed25519PrivateKey.generate() for _ in range(3)]
    for key, who in zip(keys, (office, headers("drawer-2", "committee_office"), supervisor), strict=True):
        payload = (await client.get(f"/api/v1/experts/draws/{draw_id}/signing-payload", headers=who)).json()["payload"]
        signature = key.sign(payload.encode()).hex()
        response = await client.post(
            f"/api/v1/experts/draws/{draw_id}/signatures",
            json={"public_key_pem": _pem(key), "signature": signature},
            headers=who,
        )
        if response.status_code != 201:
            raise RuntimeError(response.text)
    signed_at = time.perf_counter()
    evidence = await client.get(f"/api/v1/experts/draws/{draw_id}/evidence", headers=auditor)
    fetched_at, fetched_cpu = time.perf_counter(), time.process_time()
    document: dict[str, Any] = json.loads(evidence.content)
    verification = verify_pack(document, [k.public_key() for k in keys])
    verified_at, verified_cpu = time.perf_counter(), time.process_time()
    return Run(
        ask_s=asked_at - started,
        ask_cpu_s=asked_cpu - started_cpu,
        seed_s=seeded_at - asked_at,
        seed_cpu_s=seeded_cpu - asked_cpu,
        sign_s=signed_at - seeded_at,
        evidence_s=fetched_at - signed_at,
        verify_s=verified_at - fetched_at,
        verify_cpu_s=verified_cpu - fetched_cpu,
        pack_bytes=len(evidence.content),
        ok=verification.ok,
    )


async def run_all(stack: BenchStack) -> list[Run]:
    experts, applicants = population(random.Random(20241115))
    with TemporaryDirectory(prefix="zc-bench-draw-") as data_dir:
        key = Ed25519PrivateKey.generate()
        issuer = TokenIssuer(key, issuer="zhicheng-bench", audience="zhicheng", kid=key_id(key))
        init_ring(Path(data_dir) / "keys" / JWT, JWT, not_before=datetime(2020, 1, 1, tzinfo=UTC), private_key=key)
        common = CommonSettings(
            data_dir=Path(data_dir),
            environment="test",
            database_url=stack.database_url,
            nats_url=stack.nats_url,
            events_prefix=stack.prefix,
            jwt_issuer="zhicheng-bench",
            jwt_jwks=json.dumps(issuer.jwks()),
            jwt_jwks_file=None,
            jwt_jwks_url=None,
            log_level="WARNING",
        )
        app = create_app(
            common,
            ExpertsSettings(scheduler_enabled=False),
            clock=ManualClock(NOW),
            pool_source=BenchPool(tuple(experts), tuple(applicants)),
        )
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://experts.bench", timeout=60) as client:
                return [await one_run(client, issuer) for _ in range(RUNS)]


def section(runs: list[Run], load: float) -> str:
    rows = [
        f"| {n} | **{r.ask_s * 1000:.0f} ms** ({r.ask_cpu_s * 1000:.0f} ms) | "
        f"**{r.seed_s * 1000:.0f} ms** ({r.seed_cpu_s * 1000:.0f} ms) | {r.sign_s * 1000:.0f} ms | "
        f"{r.evidence_s * 1000:.0f} ms | **{r.verify_s * 1000:.0f} ms** ({r.verify_cpu_s * 1000:.0f} ms) | "
        f"{r.pack_bytes / 1e6:.2f} MB | "
        f"{'yes' if r.ok else 'NO'} |"
        for n, r in enumerate(runs, 1)
    ]
    return "\n".join(
        [
            HEADING,
            "",
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; "
            "`.venv/bin/python bench/draw_service_bench.py`.",
            f"The pool of the section above ({EXPERTS:,} experts, 500 applicants) served through the draw's pool",
            "snapshot interface to the experts service, run in-process (httpx ASGI transport, no network) on",
            "the embedded PostgreSQL; each run a fresh meeting. *ask* = `POST …/draws` (checks, eligibility,",
            "snapshot and audit documents stored as JSONB with their hashes, commitment, journal); *seed* =",
            "`POST /draws/{id}/seed` (derivation, stored result); *sign* = three signing-payload reads and",
            "signature posts, the third publishing `experts.panel.drawn`; *evidence* = `GET /draws/{id}/evidence`;",
            "*verify* = `verify_pack` of the fetched pack, offline. Goal: the draw (ask + seed) and the",
            "verification each under 1 s. The machine is shared with other helpers' builds and tests: each",
            "cell gives the wall time and, in brackets, the CPU time of this process (the service runs in it;",
            "PostgreSQL's own work is in its processes and shows only in the wall time). Load average",
            f"(1 min) when the runs started: {load:.1f} on {os.cpu_count()} cores.",
            "",
            "| run | ask: wall (CPU) | seed: wall (CPU) | sign (3) | evidence | verify: wall (CPU) | pack | verified |",
            "|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            "The first run of the process also pays its one-time costs (the first request of each route,",
            "the database driver's first JSONB codec and statement preparation), hence its higher ask.",
            "",
        ]
    )


def run_draw_service_bench(stack: BenchStack) -> list[Run]:
    upgrade(MIGRATIONS_DIR, stack.database_url)
    return asyncio.run(run_all(stack))


def main() -> None:
    load = os.getloadavg()[0]
    with bench_stack() as stack:
        runs = run_draw_service_bench(stack)
    text = section(runs, load)
    write_section(RESULTS, HEADING, text)
    print(text)


if __name__ == "__main__":
    main()
