"""Secret ballot of a meeting of 25 experts and 500 applicants: ballots accepted per second, tally time.

The committees service runs in-process (httpx ASGI transport, no network) on the embedded
PostgreSQL (or ZC_DATABASE_URL). Each run sets up a fresh meeting: committee, published plan and
pre-filed meeting rows, 500 qualified declarations and a panel of 25 (written through the
consumers' service functions, as the events would), review groups of 3 with their opinions
(inserted directly: they are not what is measured). Over HTTP it then arranges the meeting, signs
the 25 experts in, opens it and a round on the 500 applicants. Timed:

* **cast**: the 25 ballots (500 marks each) posted concurrently, each by the expert's own token:
  checks, participation, sealed envelope, journal entry; ballots accepted per second;
* **cast, one at a time**: the same on a second meeting, sequentially (per-ballot latency);
* **close**: ``POST …/rounds/1/closing``: open 25 envelopes, 12,500 rows tagged, shuffled and
  inserted in one statement, envelopes deleted, tally, Ed25519 signature, journal;
* **tally read + recount**: ``GET …/tally`` and ``recount`` of the document offline.

Run: ``.venv/bin/python bench/ballot_bench.py``; it rewrites its own section of bench/RESULTS.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.stack import BenchStack, bench_stack, machine, write_section
from zhicheng_committees.app import create_app
from zhicheng_committees.committee.models import Committee
from zhicheng_committees.meeting import service as meeting_service
from zhicheng_committees.meeting.models import GroupMember, OpinionRow, PlanMeeting
from zhicheng_committees.meeting.schemas import Qualified
from zhicheng_committees.plan.models import Plan
from zhicheng_committees.result.domain import recount
from zhicheng_committees.settings import MIGRATIONS_DIR, CommitteesSettings
from zhicheng_common.auth import Principal, TokenIssuer, key_id
from zhicheng_common.clock import ManualClock
from zhicheng_common.keys import JWT, init_ring
from zhicheng_common.migrations import upgrade
from zhicheng_common.settings import CommonSettings

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADING = "## Committees: a secret ballot of 25 experts on 500 applicants"
RUNS = 3
EXPERTS = 25
APPLICANTS = 500
REGION = "140000"
MEETING_DAY = date(2024, 10, 11)
NOW = datetime(2024, 10, 11, 1, 0, tzinfo=UTC)  # 09:00 in Beijing on the meeting day


@dataclass(frozen=True)
class Run:
    cast_s: float
    sequential_s: float
    close_s: float
    read_s: float
    recount_s: float
    rows: int
    recount_ok: bool


async def meeting(app: Any) -> tuple[uuid.UUID, uuid.UUID, list[str], list[str]]:
    """A fresh committee, published plan and pre-filed meeting, its applicants and panel."""
    committee_id, plan_id, meeting_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    applicants = sorted(str(uuid.uuid4()) for _ in range(APPLICANTS))
    experts = [f"bench-expert-{i:02d}-{uuid.uuid4().hex[:4]}" for i in range(EXPERTS)]
    async with app.state.database.unit_of_work() as session:
        session.add(Committee(id=committee_id, region=REGION, status="active", valid_until=date(2027, 12, 31)))
        session.add(
            Plan(
                id=plan_id,
                committee_id=committee_id,
                region=REGION,
                year=2024,
                series="engineering",
                levels=["senior"],
                declaration_opens=date(2024, 6, 1),
                declaration_closes=date(2024, 6, 30),
                notice_date=date(2024, 8, 1),
                policy_pack="shanxi-2024",
                status="published",
                version=1,
                created_by="bench",
            )
        )
        await session.flush()
        session.add(
            PlanMeeting(
                id=meeting_id,
                plan_id=plan_id,
                committee_id=committee_id,
                region=REGION,
                position=0,
                meeting_date=MEETING_DAY,
                pre_meeting_filing_date=date(2024, 9, 29),
                pre_meeting_filed_on=date(2024, 9, 29),
                post_meeting_filing_due=date(2024, 11, 1),
            )
        )
        for declaration_id in applicants:
            await meeting_service.apply_qualified(
                session,
                Qualified(
                    declaration_id=uuid.UUID(declaration_id),
                    committee_id=committee_id,
                    year=2024,
                    series="engineering",
                    specialty=None,
                    level="senior",
                    applicant_key="k" * 64,
                    applicant_name_sealed=None,
                    unit_key="",
                    region=REGION,
                ),
            )
        await meeting_service.apply_panel(
            session,
            meeting_id=meeting_id,
            committee_id=committee_id,
            draw_id=uuid.uuid4(),
            members=[{"expert_id": e, "specialty": "s", "account_subject": None} for e in experts],
            replacement=False,
        )
    return committee_id, meeting_id, applicants, experts


async def prepared(
    client: httpx.AsyncClient, app: Any, issuer: TokenIssuer
) -> tuple[str, dict[str, str], list[dict[str, str]], list[str]]:
    committee_id, meeting_id, applicants, experts = await meeting(app)

    def token(subject: str, role: str) -> dict[str, str]:
        principal = Principal(
            subject=subject, roles=frozenset({role}), region=REGION, committees=frozenset({str(committee_id)})
        )
        return {"Authorization": f"Bearer {issuer.issue(principal, ttl_seconds=3600)}"}

    office = token("bench-office", "committee_office")
    voters = [token(e, "expert") for e in experts]
    url = f"/api/v1/committees/meetings/{meeting_id}"
    response = await client.put(
        f"{url}/arrangement", json={"venue": "会议室", "forms": ["material_review"]}, headers=office
    )
    assert response.status_code == 200, response.text
    for headers in voters:
        assert (await client.post(f"{url}/sign-in", headers=headers)).status_code == 200
    assert (await client.post(f"{url}/opening", json={"chair": experts[0]}, headers=office)).status_code == 200
    async with app.state.database.unit_of_work() as session:
        for i, applicant in enumerate(applicants):
            for e in (experts[i % EXPERTS], experts[(i + 1) % EXPERTS], experts[(i + 2) % EXPERTS]):
                session.add(GroupMember(meeting_id=meeting_id, declaration_id=applicant, expert_id=e))
                session.add(
                    OpinionRow(
                        meeting_id=meeting_id,
                        declaration_id=applicant,
                        expert_id=e,
                        score=80,
                        text_encrypted="-",
                        written_at=NOW,
                    )
                )
    response = await client.post(f"{url}/rounds", json={}, headers=office)
    assert response.status_code == 201, response.text
    return url, office, voters, applicants


def paper(applicants: list[str], i: int) -> dict[str, str]:
    return {a: ("yes", "no", "abstain")[(i + j) % 3] for j, a in enumerate(applicants)}


async def one_run(client: httpx.AsyncClient, app: Any, issuer: TokenIssuer) -> Run:
    url, office, voters, applicants = await prepared(client, app, issuer)
    started = time.perf_counter()
    responses = await asyncio.gather(
        *(
            client.post(f"{url}/rounds/1/ballots", json={"choices": paper(applicants, i)}, headers=h)
            for i, h in enumerate(voters)
        )
    )
    cast_s = time.perf_counter() - started
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses if r.status_code != 201][:1]
    started = time.perf_counter()
    assert (await client.post(f"{url}/rounds/1/closing", headers=office)).status_code == 200
    close_s = time.perf_counter() - started
    started = time.perf_counter()
    tally = (await client.get(f"{url}/rounds/1/tally", headers=office)).json()
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    problems = recount(tally["content"])
    recount_s = time.perf_counter() - started

    url2, _, voters2, applicants2 = await prepared(client, app, issuer)
    started = time.perf_counter()
    for i, h in enumerate(voters2):
        r = await client.post(f"{url2}/rounds/1/ballots", json={"choices": paper(applicants2, i)}, headers=h)
        assert r.status_code == 201, r.text
    sequential_s = time.perf_counter() - started
    return Run(cast_s, sequential_s, close_s, read_s, recount_s, len(tally["content"]["ballots"]), not problems)


async def run_all(stack: BenchStack) -> list[Run]:
    with TemporaryDirectory(prefix="zc-bench-ballot-") as data_dir:
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
        app = create_app(common, CommitteesSettings(scheduler_enabled=False), clock=ManualClock(NOW))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://committees.bench", timeout=120
            ) as client:
                return [await one_run(client, app, issuer) for _ in range(RUNS)]


def section(runs: list[Run], load: float) -> str:
    rows = [
        f"| {n} | {r.cast_s * 1000:.0f} ms | **{EXPERTS / r.cast_s:.0f}/s** | "
        f"{r.sequential_s * 1000 / EXPERTS:.0f} ms | "
        f"**{r.close_s * 1000:.0f} ms** | {r.read_s * 1000:.0f} ms | {r.recount_s * 1000:.0f} ms | {r.rows:,} | "
        f"{'yes' if r.recount_ok else 'NO'} |"
        for n, r in enumerate(runs, 1)
    ]
    return "\n".join(
        [
            HEADING,
            "",
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; `.venv/bin/python bench/ballot_bench.py`.",
            "A meeting of 25 experts voting on 500 applicants, one round (docs/secret-ballot.md), through the",
            "committees service in-process on the embedded PostgreSQL. *25 ballots* = the 25 ballots (500 marks",
            "each) posted concurrently, and the ballots accepted per second; *one ballot* = the mean latency when",
            "the 25 are posted one after the other (a second meeting); *close* = opening the 25 envelopes, the",
            "12,500 tagged rows shuffled and inserted in one statement, the envelopes deleted, the tally counted",
            "and signed; *read* = `GET …/tally` (every row); *recount* = `recount` of that document offline.",
            "The machine is shared with other helpers' builds and tests (load average, 1 min, when the runs",
            f"started: {load:.1f} on {os.cpu_count()} cores): read the figures as orders of magnitude.",
            "",
            "| run | 25 ballots | accepted | one ballot | close + tally | read | recount | rows | recount agrees |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )


def main() -> None:
    load = os.getloadavg()[0]
    with bench_stack() as stack:
        upgrade(MIGRATIONS_DIR, stack.database_url)
        runs = asyncio.run(run_all(stack))
    text = section(runs, load)
    write_section(RESULTS, HEADING, text)
    print(text)


if __name__ == "__main__":
    main()
