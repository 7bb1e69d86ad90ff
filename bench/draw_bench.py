"""Time of an expert draw and of its verification, on a province-sized pool (no servers needed).

A frozen pool of 3,000 experts (10 specialties, three declared relationships each, some suspended,
barred, out of term, of another series or rank), 500 applicants with their units and declared
relationships; a senior meeting per series asks for 25 members and 10 alternates over 5
specialties. Timed, three runs:

* **draw**: request checks (NA-1, EX-2), eligibility with every exclusion (step 2), the canonical
  snapshot and audit document with their SHA-256 (step 1), ``pool_too_small``, and the derivation
  ``zc-draw-v1`` with the result document (steps 3–4);
* **sign**: three Ed25519 signatures of the result;
* **verify**: ``json.loads`` of the pack file's text and ``verify_pack`` (every check).

Run: ``.venv/bin/python bench/draw_bench.py``; it rewrites its own section of bench/RESULTS.md.
"""

from __future__ import annotations

import json
import random
import secrets
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.stack import machine, write_section
from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.policy import RecusalRelationship, load_pack
from zhicheng_common.series import Rank
from zhicheng_experts.draw.domain import (
    Applicant,
    DrawParameters,
    DrawRequest,
    Expert,
    ExpertStatus,
    Meeting,
    PoolFiling,
    Quota,
    Relationship,
    Term,
    commitment_of,
    pool_too_small,
    request_refusals,
)
from zhicheng_experts.draw.evidence import draw_result, evidence_pack, prepare_draw, sign_result, verify_pack

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADING = "## Experts: a draw of 25 members and 10 alternates from 3,000 experts, and its verification"

EXPERTS = 3000
APPLICANTS = 500
RUNS = 3
SPECIALTIES = [f"spec{i:02d}" for i in range(10)]
KINDS: list[RecusalRelationship] = [
    "spouse",
    "lineal_relative",
    "collateral_relative_within_three_generations",
    "close_in_law",
    "teacher_student",
    "co_author",
]
PACK = load_pack("shanxi-2024")
CALENDAR = WorkingDayCalendar()
MEETING = Meeting(
    id="meeting-bench",
    committee_id="committee-bench",
    date=date(2024, 11, 15),
    committee_level="senior",
    formation_basis="per_series",
    series="engineering",
    evaluation_ranks=(Rank.ASSOCIATE_SENIOR,),
    specialties=tuple(SPECIALTIES[:5]),
)
REQUEST = DrawRequest(size=25, quotas=tuple(Quota(s, 5, 2) for s in SPECIALTIES[:5]))
FILING = PoolFiling("filing-bench", "committee-bench", date(2023, 1, 1), date(2025, 12, 31))
DRAW_DAY = date(2024, 11, 8)


def population(rng: random.Random) -> tuple[list[Expert], list[Applicant]]:
    applicant_hashes = [f"applicant-{i:04d}" for i in range(APPLICANTS)]
    experts: list[Expert] = []
    for i in range(EXPERTS):
        roll = rng.random()
        status: ExpertStatus = "suspended" if roll < 0.03 else "disqualified" if roll < 0.04 else "active"
        term_end = date(2024, 6, 30) if rng.random() < 0.03 else date(2025, 12, 31)
        relationships = tuple(
            Relationship(
                rng.choice(KINDS),
                rng.choice(applicant_hashes) if rng.random() < 0.05 else f"person-{rng.getrandbits(48):012x}",
            )
            for _ in range(3)
        )
        experts.append(
            Expert(
                id=f"{rng.getrandbits(128):032x}",
                resident_id_hash=f"expert-{i:04d}",
                unit_credit_code=f"U{rng.randrange(1500):04d}",
                ownership_kind=rng.choice(["public_institution", "state_owned_enterprise", "private_enterprise"]),
                series="economics" if rng.random() < 0.02 else "engineering",
                specialties=tuple(sorted(set(rng.sample(SPECIALTIES, rng.randint(1, 2))))),
                rank_held=Rank.SENIOR if rng.random() < 0.3 else Rank.ASSOCIATE_SENIOR,
                terms=(Term(date(2022, 7, 1), term_end),),
                status=status,
                relationships=relationships,
                integrity_bars=(f"record-{i}",) if rng.random() < 0.02 else (),
            )
        )
    applicants = [
        Applicant(
            resident_id_hash=applicant_hashes[i],
            unit_credit_code=f"U{rng.randrange(5000):04d}",  # units U0000-U1499 are experts' too
            relationships=(Relationship("teacher_student", f"expert-{rng.randrange(EXPERTS):04d}"),)
            if rng.random() < 0.1
            else (),
        )
        for i in range(APPLICANTS)
    ]
    return experts, applicants


@dataclass(frozen=True)
class Run:
    draw_s: float
    draw_cpu_s: float
    sign_s: float
    verify_s: float
    verify_cpu_s: float
    eligible: int
    excluded: int
    pack_bytes: int
    ok: bool
    reasons: Counter[str]


def one_run(experts: list[Expert], applicants: list[Applicant], keys: list[Ed25519PrivateKey]) -> Run:
    params = DrawParameters.from_pack(PACK)
    secret = secrets.token_bytes(32)
    commitment = commitment_of(secret)
    seed = f"{secrets.randbelow(10**7):07d} 03 07 12 19 25 31 + 09"

    started, started_cpu = time.perf_counter(), time.process_time()
    refusals = request_refusals(PACK, CALENDAR, meeting=MEETING, request=REQUEST, draw_date=DRAW_DAY)
    prepared = prepare_draw(
        meeting=MEETING,
        request=REQUEST,
        filing=FILING,
        experts=experts,
        applicants=applicants,
        frozen_on=DRAW_DAY,
        params=params,
    )
    too_small = pool_too_small(prepared.candidates, REQUEST.quotas)
    result = draw_result(
        snapshot=prepared.snapshot,
        snapshot_sha256=prepared.snapshot_sha256,
        audit_sha256=prepared.audit_sha256,
        commitment=commitment,
        secret=secret,
        external_seed=seed,
    )
    drawn, drawn_cpu = time.perf_counter(), time.process_time()
    if refusals or too_small:
        raise RuntimeError(f"the bench request is refused: {refusals} {too_small}")

    signatures = [
        sign_result(result, signer_id=f"signer-{i}", role="drawer" if i < 2 else "supervisor", private_key=key)
        for i, key in enumerate(keys)
    ]
    signed = time.perf_counter()
    text = json.dumps(
        evidence_pack(
            prepared, commitment=commitment, secret=secret, external_seed=seed, result=result, signatures=signatures
        ),
        ensure_ascii=False,
    )

    verify_started, verify_started_cpu = time.perf_counter(), time.process_time()
    document: dict[str, Any] = json.loads(text)
    verification = verify_pack(document, [key.public_key() for key in keys])
    verified, verified_cpu = time.perf_counter(), time.process_time()
    return Run(
        draw_s=drawn - started,
        draw_cpu_s=drawn_cpu - started_cpu,
        sign_s=signed - drawn,
        verify_s=verified - verify_started,
        verify_cpu_s=verified_cpu - verify_started_cpu,
        eligible=len(prepared.eligibility.eligible),
        excluded=len(prepared.eligibility.excluded),
        pack_bytes=len(text.encode()),
        ok=verification.ok,
        reasons=Counter(r.code for e in prepared.eligibility.excluded for r in e.reasons),
    )


def section(runs: list[Run]) -> str:
    reasons = ", ".join(f"{code} {count}" for code, count in runs[0].reasons.most_common())
    rows = [
        f"| {n} | **{r.draw_s * 1000:.0f} ms** ({r.draw_cpu_s * 1000:.0f} ms) | {r.sign_s * 1000:.1f} ms | "
        f"**{r.verify_s * 1000:.0f} ms** ({r.verify_cpu_s * 1000:.0f} ms) | "
        f"{r.eligible} / {r.excluded} | {r.pack_bytes / 1e6:.2f} MB | {'yes' if r.ok else 'NO'} |"
        for n, r in enumerate(runs, 1)
    ]
    return "\n".join(
        [
            HEADING,
            "",
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; `.venv/bin/python bench/draw_bench.py`.",
            "The machine is shared with other helpers' builds and tests, so wall times depend on what else",
            "runs: each cell gives the wall time and, in brackets, the CPU time of this process. One process,",
            "pure Python, no servers.",
            f"Pool of {EXPERTS:,} experts in 10 specialties with 3 declared relationships each,",
            f"{APPLICANTS} applicants (units and declared relationships); a senior meeting per series draws 25",
            "members and 10 alternates, 5 + 2 from each of 5 specialties. Reasons of exclusion (an expert may",
            f"have several): {reasons}.",
            "*draw* = request checks, eligibility with every exclusion,",
            "canonical snapshot and audit document with their SHA-256, `pool_too_small`, derivation `zc-draw-v1`",
            "and the result; *verify* = `json.loads` of the pack and `verify_pack` (every check, 3 signatures).",
            "Goal: draw and verify each under 1 s.",
            "",
            "| run | draw: wall (CPU) | sign (3) | verify: wall (CPU) | eligible / excluded | pack | verified |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )


def run_draw_bench() -> list[Run]:
    experts, applicants = population(random.Random(20241115))
    keys = [Ed25519PrivateKey.generate() for _ in range(3)]
    return [one_run(experts, applicants, keys) for _ in range(RUNS)]


def main() -> None:
    text = section(run_draw_bench())
    write_section(RESULTS, HEADING, text)
    print(text)


if __name__ == "__main__":
    main()
