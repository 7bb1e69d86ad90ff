"""Declarations submitted per second through the gateway, each running the whole eligibility engine.

Starts intake and the gateway as uvicorn processes (uvloop, one worker each) on the bench stack,
publishes a committee approval and its plan the way the committees service does (intake keeps them
in its projection), saves N drafts of distinct applicants, then submits them all through the
gateway at a fixed concurrency: each submission verifies the token twice, loads the projections,
runs every rule, and commits the status change, the history row, the journal entry and the outbox
event. A second pass measures refusals (the engine lists every failure; nothing is written).

Run: ``.venv/bin/python bench/intake_bench.py``; it rewrites its own section of bench/RESULTS.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.stack import BenchStack, bench_stack, machine, percentile, wait_ready, write_section
from services.intake.tests.builders import committee_event, declaration_body, plan_event, resident_id
from zhicheng_common.auth import Principal, TokenIssuer, key_id
from zhicheng_common.embedded import free_port
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_common.keys import EMBEDDED_NOT_BEFORE, JWT, init_ring
from zhicheng_common.logging import configure_logging
from zhicheng_common.migrations import upgrade

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADING = "## Intake: declarations submitted through the gateway (eligibility engine)"


@dataclass
class SubmitResult:
    label: str
    count: int
    seconds: float
    latencies: list[float]
    unexpected: int

    @property
    def rate(self) -> float:
        return self.count / self.seconds


async def _publish_committee(stack: BenchStack, committee_id: uuid.UUID, year: int) -> None:
    import nats

    nc = await nats.connect(stack.nats_url)
    try:
        js = nc.jetstream()
        for name, data in (
            ("committees.committee.approved", committee_event(committee_id, valid_until=f"{year + 1}-12-31")),
            (
                "committees.plan.published",
                plan_event(
                    committee_id, year=year, declaration_opens=f"{year}-01-01", declaration_closes=f"{year}-12-31"
                ),
            ),
        ):
            event = CloudEvent(
                id=str(uuid.uuid4()),
                source="/zhicheng/committees",
                type=f"cn.zhicheng.{name}.v1",
                subject=str(committee_id),
                time=datetime.now(UTC),
                data=data,
                region="140000",
            )
            await js.publish(
                f"{stack.prefix}.{name}", event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id}
            )
    finally:
        await nc.close()


def declaration_for(committee_id: uuid.UUID, year: int, n: int, *, eligible: bool) -> dict[str, object]:
    birth = date.fromordinal(date(1970, 1, 1).toordinal() + n % 9000)
    body = declaration_body()
    applicant = body["applicant"]
    applicant["birth_date"] = birth.isoformat()
    applicant["id_number"] = resident_id(birth, n % 1000)
    body["target"].update(year=year, committee_id=str(committee_id))
    body["assessments"] = [{"year": y, "grade": "qualified"} for y in range(year - 6, year)]
    if not eligible:  # three rules fail: EL-1, EL-2, NA-5
        applicant["practiced_specialty"] = "electrical"
        body["current_title"]["obtained_on"] = f"{year - 2}-06-01"
        body["written_commitment"] = False
    return body


async def save_drafts(base: str, headers: dict[str, str], bodies: list[dict[str, object]]) -> list[str]:
    ids: list[str] = []
    async with httpx.AsyncClient(timeout=30.0) as client:
        semaphore = asyncio.Semaphore(16)

        async def one(body: dict[str, object]) -> None:
            async with semaphore:
                response = await client.post(base, json=body, headers=headers)
                response.raise_for_status()
                ids.append(response.json()["id"])

        await asyncio.gather(*(one(b) for b in bodies))
    return ids


async def submit_all(
    base: str, headers: dict[str, str], ids: list[str], *, expect: int, label: str, concurrency: int
) -> SubmitResult:
    latencies: list[float] = []
    unexpected = 0
    queue = list(ids)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30.0, limits=limits) as client:

        async def worker() -> None:
            nonlocal unexpected
            while queue:
                declaration_id = queue.pop()
                began = time.perf_counter()
                response = await client.post(f"{base}/{declaration_id}/submit", headers=headers)
                latencies.append((time.perf_counter() - began) * 1000)
                if response.status_code != expect:
                    unexpected += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return SubmitResult(label, len(ids), seconds, latencies, unexpected)


def run_intake_bench(stack: BenchStack, *, count: int = 1000, concurrency: int = 16) -> list[SubmitResult]:
    from zhicheng_gateway.settings import MIGRATIONS_DIR as GATEWAY
    from zhicheng_intake.settings import MIGRATIONS_DIR as INTAKE

    upgrade(INTAKE, stack.database_url)
    upgrade(GATEWAY, stack.database_url)
    key = Ed25519PrivateKey.generate()
    issuer = TokenIssuer(key, issuer="zhicheng", audience="zhicheng", kid=key_id(key))
    applicant = Principal(subject=f"bench-{uuid.uuid4().hex[:6]}", roles=frozenset({"applicant"}), region="140100")
    headers = {"Authorization": f"Bearer {issuer.issue(applicant, ttl_seconds=3600)}"}
    intake_port, gateway_port = free_port(), free_port()
    year = date.today().year
    committee_id = uuid.uuid4()
    with TemporaryDirectory(prefix="zc-bench-intake-") as tmp:
        # The gateway signs with the `jwt` key ring holding the bench issuer's key (docs/keys.md).
        init_ring(Path(tmp) / "keys" / JWT, JWT, not_before=EMBEDDED_NOT_BEFORE, private_key=key)
        env = {
            **os.environ,
            "ZC_DATABASE_URL": stack.database_url,
            "ZC_NATS_URL": stack.nats_url,
            "ZC_EVENTS_PREFIX": stack.prefix,
            "ZC_JWT_JWKS": json.dumps(issuer.jwks()),
            "ZC_LOG_LEVEL": "WARNING",
            "ZC_DATA_DIR": tmp,
            "ZC_KEYS_DIR": str(Path(tmp) / "keys"),
            "ZC_GATEWAY_ADMIN_PASSWORD": "bench-admin-password",
            "ZC_GATEWAY_INTAKE_URL": f"http://127.0.0.1:{intake_port}",
        }
        processes = [
            subprocess.Popen(
                [
                    sys.executable, "-m", "uvicorn", f"zhicheng_{name}.app:create_app", "--factory",
                    "--port", str(port), "--loop", "uvloop", "--no-access-log", "--log-level", "warning",
                ],
                env=env,
            )
            for name, port in (("intake", intake_port), ("gateway", gateway_port))
        ]  # fmt: skip
        try:
            wait_ready(f"http://127.0.0.1:{intake_port}/readyz")
            wait_ready(f"http://127.0.0.1:{gateway_port}/readyz")
            asyncio.run(_publish_committee(stack, committee_id, year))
            base = f"http://127.0.0.1:{gateway_port}/api/v1/declarations"
            deadline = time.monotonic() + 30
            while not any(
                item["committee_id"] == str(committee_id) and item["windows"]
                for item in httpx.get(f"{base}/windows", headers=headers).json()["items"]
            ):
                if time.monotonic() > deadline:
                    raise TimeoutError("committee projection")
                time.sleep(0.2)
            eligible = [declaration_for(committee_id, year, n, eligible=True) for n in range(count)]
            refused = [declaration_for(committee_id, year, count + n, eligible=False) for n in range(count)]
            accepted_ids = asyncio.run(save_drafts(base, headers, eligible))
            refused_ids = asyncio.run(save_drafts(base, headers, refused))
            return [
                asyncio.run(
                    submit_all(base, headers, accepted_ids, expect=200, label="accepted", concurrency=concurrency)
                ),
                asyncio.run(
                    submit_all(base, headers, refused_ids, expect=409, label="refused", concurrency=concurrency)
                ),
            ]
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(15)


def section(results: list[SubmitResult], *, concurrency: int) -> str:
    rows = [
        f"| {r.label} | {r.count} | {r.seconds:.2f} s | **{r.rate:.0f}/s** | {percentile(r.latencies, 0.5):.1f} ms | "
        f"{percentile(r.latencies, 0.99):.1f} ms | {r.unexpected} |"
        for r in results
    ]
    return "\n".join(
        [
            HEADING,
            "",
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; `.venv/bin/python bench/intake_bench.py`.",
            "`POST /api/v1/declarations/{id}/submit` through the gateway, distinct applicants,",
            f"{concurrency} concurrent connections; one uvicorn worker (uvloop) per service. An accepted",
            "submission runs every rule over intake's projections (committee scope, window, integrity bars,",
            "the applicant's declarations this year) and commits status, history, journal entry and outbox",
            "event; a refused one fails three rules (EL-1, EL-2, NA-5), answers all three and writes nothing.",
            "",
            "The journal's hash chain is one lock per service (one writer at a time): intake writes the",
            "journal entry as the last statement before the commit, so the lock is held only for the commit.",
            "With the entry written before the outbox row and the idempotency key, the same run gave 29/s.",
            "",
            "| submissions | count | time | rate | p50 | p99 | unexpected status |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )


def main() -> None:
    configure_logging("bench", level="WARNING")
    concurrency = 16
    with bench_stack() as stack:
        results = run_intake_bench(stack, concurrency=concurrency)
    text = section(results, concurrency=concurrency)
    write_section(RESULTS, HEADING, text)
    print(text)


if __name__ == "__main__":
    main()
