"""The derivation zc-draw-v1: as documented, deterministic, unbiased, and fair over 10,000 draws."""

from __future__ import annotations

import hashlib
import hmac
import random
from collections import Counter
from collections.abc import Iterator
from datetime import date

import pytest
from scipy.stats import chisquare

from zhicheng_common.series import Rank
from zhicheng_experts.draw.domain import (
    Candidate,
    Lot,
    Quota,
    Relationship,
    Term,
    derive_panel,
    draw_key,
    pool_too_small,
    seed_refusal,
    uniform_below,
)

from .conftest import applicant, expert, prepared

# --- The documented algorithm, written again from docs/expert-draw.md ------------------------------


def documented_panel(
    candidates: list[tuple[str, tuple[str, ...]]],
    quotas: list[tuple[str, int, int]],
    snapshot_hash: bytes,
    secret: bytes,
    seed: str,
) -> list[tuple[str, list[str], list[str]]]:
    """zc-draw-v1 as the document states it, without the production code (an outside re-implementer)."""
    key = hmac.new(secret, b"zc-draw-v1\x00" + snapshot_hash + seed.encode(), hashlib.sha256).digest()
    taken: set[str] = set()
    out = []
    for specialty, members, alternates in quotas:
        ids = sorted(i for i, specs in candidates if specialty in specs and i not in taken)
        words: list[int] = []
        counter = 0
        for i in range(members + alternates):
            n = len(ids) - i
            while True:
                if not words:
                    block = hmac.new(
                        key, specialty.encode() + b"\x00" + counter.to_bytes(8, "big"), hashlib.sha256
                    ).digest()
                    counter += 1
                    words = [int.from_bytes(block[k : k + 4], "big") for k in range(0, 32, 4)]
                x = words.pop(0)
                if x < 2**32 - 2**32 % n:
                    break
            j = i + x % n
            ids[i], ids[j] = ids[j], ids[i]
        out.append((specialty, ids[:members], ids[members : members + alternates]))
        taken.update(ids[: members + alternates])
    return out


def as_tuples(lots: tuple[Lot, ...]) -> list[tuple[str, list[str], list[str]]]:
    return [(lot.specialty, list(lot.members), list(lot.alternates)) for lot in lots]


def test_the_code_draws_what_the_document_describes_on_random_inputs() -> None:
    rng = random.Random(20241108)  # fixed: the test is reproducible
    compared = 0
    for _ in range(300):
        specialties = ["civil", "power", "water", "路桥"][: rng.randint(1, 4)]
        pool = [
            (f"{rng.getrandbits(64):016x}", tuple(sorted(rng.sample(specialties, rng.randint(1, len(specialties))))))
            for _ in range(rng.randint(15, 60))
        ]
        quotas = [(s, rng.randint(1, 3), rng.randint(0, 2)) for s in specialties]
        candidates = [Candidate(i, s) for i, s in pool]
        if pool_too_small(candidates, [Quota(*q) for q in quotas]) is not None:
            continue
        secret, snapshot_hash, seed = rng.randbytes(32), rng.randbytes(32), f"{rng.randint(0, 10**9)} 彩票"
        lots = derive_panel(
            candidates=candidates,
            quotas=[Quota(*q) for q in quotas],
            snapshot_sha256=snapshot_hash,
            secret=secret,
            external_seed=seed,
        )
        assert as_tuples(lots) == documented_panel(pool, quotas, snapshot_hash, secret, seed)
        compared += 1
    assert compared >= 200


# The test vector of docs/expert-draw.md, computed with documented_panel above. zc-draw-v1 must
# never change: a change is a new algorithm version.
VECTOR_CANDIDATES = [
    (f"e{i:02d}", ("civil",) if i <= 10 else ("civil", "power") if i <= 13 else ("power",)) for i in range(1, 21)
]
VECTOR_QUOTAS = [("civil", 3, 2), ("power", 3, 1)]
VECTOR_HASH = hashlib.sha256(b"zc-draw-v1 test vector").digest()
VECTOR_SECRET = bytes(range(32))
VECTOR_SEED = "2024-11-01 03 07 12 19 25 31 + 09"


def test_the_documented_test_vector() -> None:
    assert VECTOR_HASH.hex() == "14ca758fdd585852226df2325bbf57614cc25dfc519cd97bbfbbf05b4793ad2f"
    key = draw_key(secret=VECTOR_SECRET, snapshot_sha256=VECTOR_HASH, external_seed=VECTOR_SEED)
    assert key.hex() == "21ef709689f7c8db242fd54e36a92363e7eb1e60d3bcd6d142364079b7de2a8a"
    block = hmac.new(key, b"civil\x00" + bytes(8), hashlib.sha256).digest()
    assert block.hex() == "7755ad8b6195a5ba00c537a10fc3e26c7f8f52219e627236a04a686a5569e719"
    # First word 0x7755ad8b = 2002103691 < 2**32 - 9 (2**32 mod 13 = 9): j = 2002103691 mod 13 = 3.
    assert 2002103691 % 13 == 3
    lots = derive_panel(
        candidates=[Candidate(i, s) for i, s in VECTOR_CANDIDATES],
        quotas=[Quota(*q) for q in VECTOR_QUOTAS],
        snapshot_sha256=VECTOR_HASH,
        secret=VECTOR_SECRET,
        external_seed=VECTOR_SEED,
    )
    assert as_tuples(lots) == [
        ("civil", ["e04", "e08", "e12"], ["e02", "e09"]),
        ("power", ["e13", "e20", "e14"], ["e16"]),
    ]


# --- Rejection sampling ----------------------------------------------------------------------------


def words(*values: int) -> Iterator[int]:
    yield from values


def test_uniform_below_throws_away_the_words_that_would_bias_it() -> None:
    # n = 3: 2**32 mod 3 = 1, so the one word 0xFFFFFFFF is thrown away; the next, 5, gives 5 mod 3 = 2.
    stream = words(0xFFFFFFFF, 5)
    assert uniform_below(3, lambda: next(stream)) == 2
    # 0xFFFFFFFE = 2**32 - 2 is kept: 2**32 ≡ 1 (mod 3), so it is ≡ -1 ≡ 2.
    stream = words(0xFFFFFFFE)
    assert uniform_below(3, lambda: next(stream)) == 2


def test_uniform_below_a_huge_n_keeps_only_words_below_n() -> None:
    # n = 2**31 + 1: 2**32 mod n = 2**31 - 1, so the limit is n itself; plain modulo would make
    # 0 … 2**31 - 2 twice as likely as the rest.
    n = 2**31 + 1
    stream = words(n, 2**32 - 1, 7)
    assert uniform_below(n, lambda: next(stream)) == 7


def test_uniform_below_needs_a_range_it_can_draw_from() -> None:
    assert uniform_below(1, lambda: 0xDEADBEEF) == 0
    with pytest.raises(ValueError, match="between 1"):
        uniform_below(0, lambda: 0)


# --- Determinism and sensitivity -------------------------------------------------------------------

POOL = [Candidate(f"e{i:04d}", ("civil",)) for i in range(30)]
SEVEN = [Quota("civil", 7, 3)]


def panel(*, secret: bytes = bytes(32), snapshot: bytes = bytes(32), seed: str = "12 23 34") -> tuple[Lot, ...]:
    return derive_panel(candidates=POOL, quotas=SEVEN, snapshot_sha256=snapshot, secret=secret, external_seed=seed)


def test_the_same_inputs_give_the_same_panel_in_any_input_order() -> None:
    shuffled = list(reversed(POOL))
    again = derive_panel(
        candidates=shuffled, quotas=SEVEN, snapshot_sha256=bytes(32), secret=bytes(32), external_seed="12 23 34"
    )
    assert again == panel()


def test_one_changed_byte_of_secret_seed_or_snapshot_changes_the_panel() -> None:
    base = panel()
    assert panel(secret=b"\x01" + bytes(31)) != base
    assert panel(seed="12 23 35") != base
    assert panel(snapshot=b"\x01" + bytes(31)) != base


def test_an_expert_is_drawn_once_even_when_covering_several_specialties() -> None:
    shared = [Candidate(f"e{i:02d}", ("civil", "power")) for i in range(12)]
    for n in range(200):
        lots = derive_panel(
            candidates=shared,
            quotas=[Quota("civil", 4, 2), Quota("power", 4, 2)],
            snapshot_sha256=bytes(32),
            secret=bytes(32),
            external_seed=f"seed {n}",
        )
        drawn = [e for lot in lots for e in (*lot.members, *lot.alternates)]
        assert len(drawn) == len(set(drawn)) == 12


def test_EX_1_the_external_seed_is_a_plain_line_of_text() -> None:
    assert seed_refusal("2024130 03 07 12 19 25 31 + 09") is None
    for bad in ("", " 12", "12 ", "12\n34", "x" * 257):
        refusal = seed_refusal(bad)
        assert refusal is not None
        assert (refusal.rule, refusal.code) == ("EX-1", "seed_invalid")


def test_the_secret_has_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        draw_key(secret=bytes(16), snapshot_sha256=bytes(32), external_seed="x")


# --- EX-1 fairness: 10,000 draws with different seeds ----------------------------------------------

DRAWS = 10_000


def test_EX_1_every_eligible_expert_is_drawn_as_often_as_chance_says_and_no_excluded_one_ever() -> None:
    # 40 experts in the frozen pool; 10 are excluded (applicant's unit, declared spouse, integrity
    # bar, suspended, term ended, other series, rank too low, outside the specialties, …), so 30 are
    # eligible for a panel of 7 members and 3 alternates of one specialty.
    pool = [expert(i) for i in range(30)]
    pool += [
        expert(30, unit_credit_code="A0001"),
        expert(31, relationships=(Relationship("spouse", "applicant-0002"),)),
        expert(32, integrity_bars=("record-1",)),
        expert(33, status="suspended"),
        expert(34, status="disqualified"),
        expert(35, terms=(Term(date(2020, 1, 1), date(2022, 12, 31)),)),
        expert(36, series="economics"),
        expert(37, rank_held=Rank.INTERMEDIATE),
        expert(38, specialties=("water",)),
        expert(39, resident_id_hash="applicant-0002"),
    ]
    draw = prepared(pool, (Quota("civil", 7, 3),), applicants=(applicant(1), applicant(2)))
    eligible = [c.id for c in draw.candidates]
    excluded = {e.expert_id for e in draw.eligibility.excluded}
    assert len(eligible) == 30
    assert excluded == {f"e{i:04d}" for i in range(30, 40)}

    members: Counter[str] = Counter()
    alternates: Counter[str] = Counter()
    first: Counter[str] = Counter()
    snapshot_hash = bytes.fromhex(draw.snapshot_sha256)
    secret = hashlib.sha256(b"one secret for the whole test").digest()
    for n in range(DRAWS):
        (lot,) = derive_panel(
            candidates=draw.candidates,
            quotas=(Quota("civil", 7, 3),),
            snapshot_sha256=snapshot_hash,
            secret=secret,
            external_seed=f"lottery {n:05d}",
        )
        members.update(lot.members)
        alternates.update(lot.alternates)
        first[lot.members[0]] += 1

    drawn = set(members) | set(alternates)
    assert drawn.isdisjoint(excluded)
    assert drawn == set(eligible)  # and every eligible expert was drawn at some point
    # By hand: each of the 30 is a member with p = 7/30, an alternate with p = 3/30 and the first
    # member with p = 1/30, so the expected counts are 10000·7/30, 10000·3/30 = 1000, 10000/30.
    for counts, share in ((members, 7 / 30), (alternates, 3 / 30), (first, 1 / 30)):
        observed = [counts[e] for e in eligible]
        assert sum(observed) == round(DRAWS * share * 30)
        assert chisquare(observed, [DRAWS * share] * 30).pvalue >= 0.001


def test_EX_1_fairness_holds_per_specialty() -> None:
    # civil: 20 candidates for 5 members → p = 5/20; power: 12 for 3 → p = 3/12; both 2500 expected.
    candidates = [Candidate(f"c{i:02d}", ("civil",)) for i in range(20)]
    candidates += [Candidate(f"p{i:02d}", ("power",)) for i in range(12)]
    counts: Counter[str] = Counter()
    for n in range(DRAWS):
        lots = derive_panel(
            candidates=candidates,
            quotas=(Quota("civil", 5, 0), Quota("power", 3, 0)),
            snapshot_sha256=bytes(32),
            secret=bytes(32),
            external_seed=str(n),
        )
        for lot in lots:
            counts.update(lot.members)
    civil = [counts[f"c{i:02d}"] for i in range(20)]
    power = [counts[f"p{i:02d}"] for i in range(12)]
    assert chisquare(civil, [DRAWS * 5 / 20] * 20).pvalue >= 0.001
    assert chisquare(power, [DRAWS * 3 / 12] * 12).pvalue >= 0.001
