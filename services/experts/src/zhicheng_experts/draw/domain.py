"""Pure core of the expert draw (专家抽取): who may be drawn, what a request may ask, how the panel
is derived, and the rules of a draw's life. No I/O, no clock, no randomness: the caller passes the
frozen pool, the meeting, the applicants, today's date, the policy pack and the secret.

* :func:`eligibility` sorts the frozen pool into eligible experts and exclusions, each exclusion
  with its reasons and rule ids (EX-3 term and pool filing, NA-13 integrity bar, NA-2 series, rank
  and field, NA-9/EX-6 recusal against the applicants).
* :func:`request_refusals`, :func:`draw_date_refusal` and :func:`pool_too_small` say what is wrong
  with a draw request (NA-1 size, EX-2 timing, the pool's shortfall per specialty).
* :func:`derive_panel` is the algorithm ``zc-draw-v1`` (``docs/expert-draw.md``): an HMAC-SHA256
  counter-mode byte stream keyed by (secret, snapshot hash, external seed) drives a partial
  Fisher–Yates shuffle of each specialty's candidates, with rejection sampling so that every
  candidate is equally likely.
* :func:`new_draw_refusal`, :func:`reveal_refusal`, :func:`signature_refusal` and
  :func:`replace_member` are the state rules the service applies (a refusal is a 409 problem).

Policy numbers and lists come from the pack through :class:`DrawParameters` (and, for request
checks, the :class:`~zhicheng_common.policy.PolicyPack` itself); none is written here.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict

from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.periods import last_day_from
from zhicheng_common.policy import (
    CommitteeLevel,
    ExpertRankTable,
    FormationBasis,
    Parameter,
    PolicyPack,
    RecusalRelationship,
)
from zhicheng_common.reference import series_name
from zhicheng_common.refusals import Refusal
from zhicheng_common.series import RANK_ORDER, Rank

#: Version of the derivation (docs/expert-draw.md). Any change to the bytes it reads or to how it
#: turns them into a panel is a new version; packs name the version they were drawn with.
ALGORITHM = "zc-draw-v1"
SECRET_BYTES = 32
MAX_SEED_LENGTH = 256

OwnershipKind = Literal["public_institution", "state_owned_enterprise", "private_enterprise", "social_organization"]
ExpertStatus = Literal["active", "suspended", "disqualified"]
ReplacementReason = Literal["declined", "conflicted"]

RANK_NAMES: dict[Rank, str] = {
    Rank.SENIOR: "正高级",
    Rank.ASSOCIATE_SENIOR: "副高级",
    Rank.INTERMEDIATE: "中级",
    Rank.ASSISTANT: "助理级",
    Rank.CLERK: "员级",
}
RELATIONSHIP_NAMES: dict[str, str] = {
    "spouse": "配偶",
    "lineal_relative": "直系血亲",
    "collateral_relative_within_three_generations": "三代以内旁系血亲",
    "close_in_law": "近姻亲",
    "same_unit": "同一单位",
    "teacher_student": "师生",
    "co_author": "合作作者",
}


# --- Inputs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One term (聘期) of an expert: first and last day, both included (EX-3)."""

    start: date
    end: date


@dataclass(frozen=True)
class Relationship:
    """A declared relationship (NA-9) with another person, named by the keyed hash of their resident ID."""

    kind: RecusalRelationship
    other: str


@dataclass(frozen=True)
class Expert:
    """An expert of the frozen pool, as the draw sees them (ids and keyed hashes only, no names).

    Attributes:
        integrity_bars: Ids of the integrity records barring this expert from draws that were in force
            when the pool was frozen (NA-13); the integrity service decides when a record is in force.
    """

    id: str
    resident_id_hash: str
    unit_credit_code: str
    ownership_kind: OwnershipKind
    series: str
    specialties: tuple[str, ...]
    rank_held: Rank
    terms: tuple[Term, ...]
    status: ExpertStatus
    relationships: tuple[Relationship, ...] = ()
    integrity_bars: tuple[str, ...] = ()


@dataclass(frozen=True)
class PoolFiling:
    """The committee's expert-pool filing (专家库备案) the pool was frozen from; days inclusive (EX-3)."""

    id: str
    committee_id: str
    valid_from: date
    valid_until: date


@dataclass(frozen=True)
class Applicant:
    """An applicant of the meeting: keyed hash, unit, and relationships the applicant declared (NA-9)."""

    resident_id_hash: str
    unit_credit_code: str
    relationships: tuple[Relationship, ...] = ()


@dataclass(frozen=True)
class Meeting:
    """The evaluation meeting the panel is drawn for.

    Attributes:
        evaluation_ranks: The ranks evaluated; the highest decides what experts must hold (NA-2).
        specialties: The specialties the meeting evaluates; a draw asks for some of them.
    """

    id: str
    committee_id: str
    date: date
    committee_level: CommitteeLevel
    formation_basis: FormationBasis
    series: str
    evaluation_ranks: tuple[Rank, ...]
    specialties: tuple[str, ...]


@dataclass(frozen=True)
class Quota:
    """How many members and ordered alternates (备选专家) a draw takes from one specialty."""

    specialty: str
    members: int
    alternates: int


@dataclass(frozen=True)
class DrawRequest:
    """What the committee office asks: the panel size and how it splits into specialties."""

    size: int
    quotas: tuple[Quota, ...]


class DrawParameters(BaseModel):
    """The pack's parameters a draw applies, with their rule ids; recorded in the evidence pack so a
    verifier re-runs the exclusions offline without the pack file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pack_id: str
    expert_term_max_years: Parameter[int]
    expert_pool_filing_validity_years: Parameter[int]
    expert_min_rank_held: Parameter[ExpertRankTable]
    recusal_relationships: Parameter[tuple[RecusalRelationship, ...]]
    draw_signers: Parameter[int]

    @classmethod
    def from_pack(cls, pack: PolicyPack) -> Self:
        """Take the draw's parameters from a policy pack."""
        names = [name for name in cls.model_fields if name != "pack_id"]
        return cls(pack_id=pack.id, **{name: getattr(pack.parameters, name) for name in names})


# --- Eligibility (step 2) ------------------------------------------------------------------------


@dataclass(frozen=True)
class Exclusion:
    """One reason an expert is not drawn; ``applicant`` is the keyed hash concerned by a recusal."""

    code: str
    rule: str
    message: str
    also: tuple[str, ...] = ()
    applicant: str | None = None


@dataclass(frozen=True)
class Excluded:
    expert_id: str
    reasons: tuple[Exclusion, ...]


@dataclass(frozen=True)
class Candidate:
    """An eligible expert in the snapshot: the id and the meeting's specialties the expert covers."""

    id: str
    specialties: tuple[str, ...]


@dataclass(frozen=True)
class Eligibility:
    """Every expert of the frozen pool, either eligible or excluded; both sorted by expert id."""

    eligible: tuple[Candidate, ...]
    excluded: tuple[Excluded, ...]


@functools.lru_cache(maxsize=4096)  # pools share a few term starts; this runs once per expert and draw
def last_day_of_years(start: date, years: int) -> date:
    """The last day of a period of ``years`` years whose first day is ``start`` (NA-14).

    Counted as the Civil Code counts (art. 201-202): the period follows the day before ``start`` and
    ends on that day's corresponding day ``years`` later; 29 February maps to the 28th. A term from
    2024-01-01 of 3 years ends on 2026-12-31; one from 2024-03-01 ends on 2027-02-28.
    """
    return last_day_from(start, years)


def required_rank(meeting: Meeting, params: DrawParameters) -> Rank:
    """NA-2: the lowest rank an expert holds for this meeting (the strictest over the ranks evaluated)."""
    table = params.expert_min_rank_held.value
    return max((table[rank] for rank in meeting.evaluation_ranks), key=RANK_ORDER.index)


def eligibility(
    *,
    meeting: Meeting,
    filing: PoolFiling,
    experts: Sequence[Expert],
    applicants: Sequence[Applicant],
    frozen_on: date,
    params: DrawParameters,
) -> Eligibility:
    """Sort the frozen pool into eligible experts and exclusions with every reason (step 2).

    An expert is eligible when active, under no integrity bar (NA-13), in a pool filing in force from
    ``frozen_on`` through the meeting (EX-3), in a term on the meeting day (EX-3), of the meeting's
    series holding the required rank and covering one of its specialties (NA-2), not an applicant,
    and with no relationship of a kind the pack lists with any applicant (NA-9, EX-6).

    Raises:
        ValueError: Two experts share an id, or the filing is another committee's (caller's bug).
    """
    if filing.committee_id != meeting.committee_id:
        raise ValueError(f"pool filing {filing.id} is of committee {filing.committee_id}, not {meeting.committee_id}")
    ids = [expert.id for expert in experts]
    if len(set(ids)) != len(ids):
        raise ValueError("two experts of the frozen pool share an id")
    context = _RecusalContext.of(applicants, params)
    filing_reason = _filing_exclusion(filing, frozen_on=frozen_on, meeting_date=meeting.date, params=params)
    rank = required_rank(meeting, params)
    wanted = set(meeting.specialties)
    eligible: list[Candidate] = []
    excluded: list[Excluded] = []
    for expert in sorted(experts, key=lambda e: e.id):
        reasons: list[Exclusion] = []
        if expert.status == "suspended":
            reasons.append(Exclusion("expert_suspended", "EX-1", "专家处于暂停状态，不在可抽取的专家库中"))
        elif expert.status == "disqualified":
            reasons.append(Exclusion("expert_disqualified", "NA-13", "专家资格已取消"))
        for record_id in sorted(expert.integrity_bars):
            reasons.append(Exclusion("integrity_bar", "NA-13", f"诚信记录 {record_id} 生效期间不得参加专家抽取"))
        if filing_reason is not None:
            reasons.append(filing_reason)
        term_reason = _term_exclusion(expert.terms, meeting_date=meeting.date, params=params)
        if term_reason is not None:
            reasons.append(term_reason)
        reasons.extend(_field_exclusions(expert, meeting, rank, params))
        reasons.extend(context.recusals(expert))
        covered = tuple(sorted(wanted.intersection(expert.specialties)))
        if reasons:
            excluded.append(Excluded(expert.id, tuple(reasons)))
        else:
            eligible.append(Candidate(expert.id, covered))
    return Eligibility(tuple(eligible), tuple(excluded))


def _filing_exclusion(
    filing: PoolFiling, *, frozen_on: date, meeting_date: date, params: DrawParameters
) -> Exclusion | None:
    years = params.expert_pool_filing_validity_years
    limit = last_day_of_years(filing.valid_from, years.value)
    until = min(filing.valid_until, limit)
    if filing.valid_from <= frozen_on and meeting_date <= until:
        return None
    if filing.valid_until > limit and meeting_date > limit:
        message = f"专家库备案有效期不超过{years.value}年，自{filing.valid_from}起至{limit}届满，评审会在{meeting_date}"
    else:
        message = (
            f"专家库备案有效期{filing.valid_from}至{filing.valid_until}，不覆盖抽取日{frozen_on}至评审会{meeting_date}"
        )
    return Exclusion("pool_filing_expired", years.rule, message, years.also)


def _term_exclusion(terms: Sequence[Term], *, meeting_date: date, params: DrawParameters) -> Exclusion | None:
    years = params.expert_term_max_years
    for term in terms:
        limit = last_day_of_years(term.start, years.value)
        if term.start <= meeting_date <= min(term.end, limit):
            return None
    too_long = [t for t in terms if t.start <= meeting_date <= t.end]
    if too_long:
        term = too_long[0]
        limit = last_day_of_years(term.start, years.value)
        message = f"每届聘期不超过{years.value}年：自{term.start}起的聘期于{limit}届满，评审会在{meeting_date}"
    elif terms:
        latest = max(terms, key=lambda t: t.end)
        message = f"评审会{meeting_date}不在聘期内（最近一届聘期{latest.start}至{latest.end}）"
    else:
        message = "专家没有聘期记录"
    return Exclusion("term_ended", years.rule, message, years.also)


def _field_exclusions(expert: Expert, meeting: Meeting, rank: Rank, params: DrawParameters) -> list[Exclusion]:
    out: list[Exclusion] = []
    if expert.series != meeting.series:
        message = f"专家职称系列（{series_name(expert.series)}）与评委会系列（{series_name(meeting.series)}）不同"
        out.append(Exclusion("series_not_held", "NA-2", message))
    if RANK_ORDER.index(expert.rank_held) < RANK_ORDER.index(rank):
        out.append(
            Exclusion(
                "level_not_held",
                params.expert_min_rank_held.rule,
                f"本次评审须由{RANK_NAMES[rank]}及以上专家评审，专家职称为{RANK_NAMES[expert.rank_held]}",
                params.expert_min_rank_held.also,
            )
        )
    if not set(meeting.specialties).intersection(expert.specialties):
        out.append(Exclusion("specialty_not_wanted", "NA-2", "专家的专业不在本次评审的专业之内"))
    return out


@dataclass(frozen=True)
class _RecusalContext:
    """The applicants indexed for recusal: by keyed hash, by unit, and the relations they declared."""

    rule: str
    also: tuple[str, ...]
    kinds: frozenset[str]
    applicant_hashes: frozenset[str]
    units: dict[str, tuple[str, ...]]
    declared_by_applicants: dict[str, tuple[tuple[str, str], ...]]

    @classmethod
    def of(cls, applicants: Sequence[Applicant], params: DrawParameters) -> _RecusalContext:
        kinds = frozenset(params.recusal_relationships.value)
        units: dict[str, list[str]] = {}
        declared: dict[str, list[tuple[str, str]]] = {}
        for applicant in applicants:
            units.setdefault(applicant.unit_credit_code, []).append(applicant.resident_id_hash)
            for relation in applicant.relationships:
                if relation.kind in kinds:
                    declared.setdefault(relation.other, []).append((applicant.resident_id_hash, relation.kind))
        return cls(
            rule=params.recusal_relationships.rule,
            also=params.recusal_relationships.also,
            kinds=kinds,
            applicant_hashes=frozenset(a.resident_id_hash for a in applicants),
            units={unit: tuple(sorted(set(hashes))) for unit, hashes in units.items()},
            declared_by_applicants={other: tuple(sorted(set(pairs))) for other, pairs in declared.items()},
        )

    def recusals(self, expert: Expert) -> list[Exclusion]:
        out: list[Exclusion] = []
        if expert.resident_id_hash in self.applicant_hashes:
            out.append(
                Exclusion("is_applicant", self.rule, "专家本人是本次评审的申报人", self.also, expert.resident_id_hash)
            )
        if "same_unit" in self.kinds:
            for applicant in self.units.get(expert.unit_credit_code, ()):
                if applicant != expert.resident_id_hash:
                    message = f"与申报人同一单位（{expert.unit_credit_code}）"
                    out.append(Exclusion("same_unit_as_applicant", self.rule, message, self.also, applicant))
        pairs: set[tuple[str, str]] = {
            (r.other, r.kind) for r in expert.relationships if r.other in self.applicant_hashes
        }
        pairs.update(self.declared_by_applicants.get(expert.resident_id_hash, ()))
        for applicant, kind in sorted(pairs):
            if kind in self.kinds:
                message = f"与申报人存在{RELATIONSHIP_NAMES.get(kind, kind)}关系，应当回避"
                out.append(Exclusion("relationship_with_applicant", self.rule, message, self.also, applicant))
        return out


# --- Request checks (NA-1, EX-2) and the pool's shortfall ----------------------------------------


def draw_date_refusal(
    pack: PolicyPack, calendar: WorkingDayCalendar, *, draw_date: date, meeting_date: date
) -> Refusal | None:
    """EX-2: experts are drawn at least the pack's working days before the meeting (NA-14 counting).

    Raises:
        UnknownCalendarYear: The calendar does not know a year between the two days.
    """
    days = pack.parameters.expert_draw_working_days_before_meeting
    if calendar.has_at_least_working_days(draw_date, meeting_date, days.value):
        return None
    latest = calendar.working_days_before(meeting_date, days.value)
    return Refusal(
        days.rule,
        "draw_too_late",
        f"专家应于评审会前{days.value}个工作日抽取（评审会{meeting_date}，最迟{latest}），今天是{draw_date}",
        ("draw_date",),
    )


def request_refusals(
    pack: PolicyPack, calendar: WorkingDayCalendar, *, meeting: Meeting, request: DrawRequest, draw_date: date
) -> list[Refusal]:
    """Everything wrong with a draw request: size (NA-1), the split into specialties, timing (EX-2)."""
    out: list[Refusal] = []
    p = pack.parameters
    if p.members_odd.value and request.size % 2 == 0:
        out.append(Refusal("NA-1", "members_not_odd", f"评审专家人数应为单数，申请抽取{request.size}人", ("size",)))
    minimum = p.minimum_members(meeting.committee_level, meeting.formation_basis)
    if request.size < minimum.value:
        out.append(
            Refusal(
                minimum.rule,
                "too_few_members",
                f"本级评委会评审专家不少于{minimum.value}人，申请抽取{request.size}人",
                ("size",),
            )
        )
    if not request.quotas:
        out.append(Refusal(None, "specialties_required", "须列明抽取的专业及人数", ("quotas",)))
    seen: set[str] = set()
    for index, quota in enumerate(request.quotas):
        where = (f"quotas.{index}",)
        if quota.specialty in seen:
            out.append(Refusal(None, "specialty_repeated", f"专业 {quota.specialty} 重复列出", where))
        seen.add(quota.specialty)
        if quota.specialty not in meeting.specialties:
            out.append(
                Refusal(None, "specialty_not_in_meeting", f"专业 {quota.specialty} 不在本次评审会的专业之内", where)
            )
        if quota.members < 1 or quota.alternates < 0:
            message = f"专业 {quota.specialty} 的委员人数须至少1人、备选人数不能为负"
            out.append(Refusal(None, "quota_invalid", message, where))
    total = sum(quota.members for quota in request.quotas)
    if request.quotas and total != request.size:
        out.append(
            Refusal(
                None,
                "specialty_counts_mismatch",
                f"各专业委员人数合计{total}人，与抽取总人数{request.size}人不符",
                ("size", "quotas"),
            )
        )
    late = draw_date_refusal(pack, calendar, draw_date=draw_date, meeting_date=meeting.date)
    if late is not None:
        out.append(late)
    return out


@dataclass(frozen=True)
class Shortfall:
    """A specialty the eligible pool cannot fill: ``needed`` = members + alternates, ``available`` = guaranteed."""

    specialty: str
    needed: int
    available: int

    @property
    def missing(self) -> int:
        return self.needed - self.available


def shortfalls(candidates: Sequence[Candidate], quotas: Sequence[Quota]) -> list[Shortfall]:
    """The specialties the eligible pool cannot fill, in the request's order.

    An expert covering several requested specialties is drawn at most once, so a specialty counts
    only the candidates it is sure to keep: its own, less those that earlier specialties of the
    request could take (at most as many as they draw).
    """
    holders = {quota.specialty: {c.id for c in candidates if quota.specialty in c.specialties} for quota in quotas}
    out: list[Shortfall] = []
    earlier: set[str] = set()
    taken = 0
    for quota in quotas:
        own = holders[quota.specialty]
        available = len(own) - min(len(own & earlier), taken)
        needed = quota.members + quota.alternates
        if available < needed:
            out.append(Shortfall(quota.specialty, needed, available))
        earlier |= own
        taken += needed
    return out


def pool_too_small(candidates: Sequence[Candidate], quotas: Sequence[Quota]) -> Refusal | None:
    """``pool_too_small`` naming each specialty's shortfall, or None when the pool can fill the draw."""
    short = shortfalls(candidates, quotas)
    if not short:
        return None
    parts = [f"专业 {s.specialty} 需{s.needed}人，可抽取{s.available}人，缺{s.missing}人" for s in short]
    fields = tuple(f"quotas.{[q.specialty for q in quotas].index(s.specialty)}" for s in short)
    return Refusal(None, "pool_too_small", "符合条件的专家不足：" + "；".join(parts), fields)


# --- Canonical documents and the derivation zc-draw-v1 (steps 1, 3, 4) ----------------------------


def canonical_json(value: Any) -> bytes:
    """The canonical bytes of a JSON value: keys sorted, no spaces, UTF-8, non-ASCII kept as is.

    The documents of a draw hold only objects with ASCII keys, arrays, strings, integers, booleans
    and null, for which this is the same as RFC 8785 (JCS).
    """
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def commitment_of(secret: bytes) -> str:
    """The commitment published before the draw: SHA-256 of the secret, in hex."""
    return sha256_hex(secret)


def seed_refusal(external_seed: str) -> Refusal | None:
    """The external seed is 1 to 256 characters, no control characters, no surrounding spaces."""
    bad = (
        not external_seed
        or len(external_seed) > MAX_SEED_LENGTH
        or external_seed != external_seed.strip()
        or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in external_seed)
    )
    if bad:
        return Refusal(
            "EX-1",
            "seed_invalid",
            f"外部随机种子须为1至{MAX_SEED_LENGTH}个字符，不含控制字符，首尾无空格（例如当期彩票开奖号码）",
            ("external_seed",),
        )
    return None


def draw_key(*, secret: bytes, snapshot_sha256: bytes, external_seed: str) -> bytes:
    """K = HMAC-SHA256(secret, "zc-draw-v1" ‖ 0x00 ‖ snapshot hash (32 bytes) ‖ UTF-8 of the seed)."""
    if len(secret) != SECRET_BYTES:
        raise ValueError(f"the secret has {SECRET_BYTES} bytes, not {len(secret)}")
    if len(snapshot_sha256) != hashlib.sha256().digest_size:
        raise ValueError("the snapshot hash has 32 bytes")
    message = ALGORITHM.encode() + b"\x00" + snapshot_sha256 + external_seed.encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).digest()


class WordStream:
    """The byte stream of one specialty, read as 32-bit big-endian words.

    Block ``j`` is HMAC-SHA256(K, UTF-8 of the specialty ‖ 0x00 ‖ ``j`` as 8 bytes big-endian), for
    ``j = 0, 1, 2, …``; the blocks are read in order, 4 bytes at a time.
    """

    def __init__(self, key: bytes, specialty: str) -> None:
        self._mac = hmac.new(key, digestmod=hashlib.sha256)
        self._label = specialty.encode("utf-8") + b"\x00"
        self._counter = 0
        self._buffer = b""

    def next_word(self) -> int:
        if not self._buffer:
            mac = self._mac.copy()
            mac.update(self._label + self._counter.to_bytes(8, "big"))
            self._buffer = mac.digest()
            self._counter += 1
        word, self._buffer = self._buffer[:4], self._buffer[4:]
        return int.from_bytes(word, "big")


def uniform_below(n: int, next_word: Callable[[], int]) -> int:
    """A uniform integer in ``[0, n)`` from 32-bit words, by rejection sampling (no modulo bias).

    Words at or above ``2**32 - (2**32 mod n)`` are thrown away, so that every remainder has the
    same number of words; a kept word ``x`` gives ``x mod n``.
    """
    if not 1 <= n <= 2**32:
        raise ValueError(f"n must be between 1 and 2**32: {n}")
    limit = 2**32 - (2**32 % n)
    while True:
        word = next_word()
        if word < limit:
            return word % n


@dataclass(frozen=True)
class Lot:
    """What one specialty drew: members in drawing order, then ordered alternates."""

    specialty: str
    members: tuple[str, ...]
    alternates: tuple[str, ...]


def derive_panel(
    *,
    candidates: Sequence[Candidate],
    quotas: Sequence[Quota],
    snapshot_sha256: bytes,
    secret: bytes,
    external_seed: str,
) -> tuple[Lot, ...]:
    """The panel of ``zc-draw-v1`` (docs/expert-draw.md): deterministic in its inputs.

    For each quota in the request's order: the candidates covering the specialty and not drawn by
    an earlier quota, sorted by id; a partial Fisher–Yates shuffle driven by the specialty's stream
    (for ``i = 0 … m-1``: ``j = i + uniform_below(n - i)``, swap ``i`` and ``j``); the first
    ``members`` are members, the next ``alternates`` are alternates.

    Raises:
        ValueError: A specialty has fewer candidates than it draws (check :func:`pool_too_small` first).
    """
    key = draw_key(secret=secret, snapshot_sha256=snapshot_sha256, external_seed=external_seed)
    drawn: set[str] = set()
    lots: list[Lot] = []
    for quota in quotas:
        pool = sorted(c.id for c in candidates if quota.specialty in c.specialties and c.id not in drawn)
        take = quota.members + quota.alternates
        if take > len(pool):
            raise ValueError(f"specialty {quota.specialty} has {len(pool)} candidates for {take} places")
        stream = WordStream(key, quota.specialty)
        for i in range(take):
            j = i + uniform_below(len(pool) - i, stream.next_word)
            pool[i], pool[j] = pool[j], pool[i]
        lots.append(Lot(quota.specialty, tuple(pool[: quota.members]), tuple(pool[quota.members : take])))
        drawn.update(pool[:take])
    return tuple(lots)


# --- The life of a draw (EX-1) -------------------------------------------------------------------


class DrawStatus(StrEnum):
    """``committed``: the secret's hash is published; ``drawn``: the secret is revealed and the panel
    derived; ``signed``: the pack's number of signers signed; ``voided``: replaced by a redraw."""

    COMMITTED = "committed"
    DRAWN = "drawn"
    SIGNED = "signed"
    VOIDED = "voided"


def new_draw_refusal(previous: Collection[DrawStatus], reason: str | None) -> Refusal | None:
    """EX-1: a meeting's first draw needs no reason; any further one needs a recorded reason.

    Without this a draw could be repeated until someone liked the panel.
    """
    if previous and not (reason or "").strip():
        return Refusal(
            "EX-1", "redraw_needs_reason", f"本次评审会已有{len(previous)}次抽取记录，重新抽取须说明理由", ("reason",)
        )
    return None


def draws_voided_by(previous: Iterable[tuple[str, DrawStatus]]) -> tuple[str, ...]:
    """The earlier draws a redraw (with its reason) voids: every one not voided yet."""
    return tuple(draw_id for draw_id, status in previous if status is not DrawStatus.VOIDED)


def reveal_refusal(status: DrawStatus) -> Refusal | None:
    """EX-1: a commitment serves one draw; once its secret is revealed it can never draw again."""
    if status is DrawStatus.COMMITTED:
        return None
    if status is DrawStatus.VOIDED:
        return Refusal("EX-1", "draw_voided", "该次抽取已作废，不能再抽取")
    return Refusal("EX-1", "commitment_revealed", "该次抽取的承诺已揭示，不能再次抽取；如需重抽须另行申请并说明理由")


def signature_refusal(status: DrawStatus, *, signer_id: str, signed_by: Collection[str]) -> Refusal | None:
    """EX-1: drawers and supervisors sign a drawn result, each once."""
    if status not in (DrawStatus.DRAWN, DrawStatus.SIGNED):
        return Refusal("EX-1", "not_drawn", "尚未抽取或已作废的结果不能签名")
    if signer_id in signed_by:
        return Refusal("EX-1", "already_signed", "同一抽取人员只能签名一次")
    return None


def status_after_signatures(signers: int, params: DrawParameters) -> DrawStatus:
    """EX-1: the result is signed once the pack's number of drawers or supervisors signed it."""
    return DrawStatus.SIGNED if signers >= params.draw_signers.value else DrawStatus.DRAWN


@dataclass(frozen=True)
class Replacement:
    """A drawn expert replaced by the next alternate of the same specialty, with the reason."""

    specialty: str
    replaced: str
    replacement: str
    reason: ReplacementReason
    note: str


@dataclass(frozen=True)
class PanelState:
    """The drawn panel and the replacements made since, in order."""

    lots: tuple[Lot, ...]
    replacements: tuple[Replacement, ...] = field(default=())

    def members(self, specialty: str) -> tuple[str, ...]:
        """The current members of a specialty: drawn members with replacements applied in order."""
        lot = self._lot(specialty)
        current = list(lot.members)
        for r in self.replacements:
            if r.specialty == specialty:
                current[current.index(r.replaced)] = r.replacement
        return tuple(current)

    def alternates_left(self, specialty: str) -> tuple[str, ...]:
        used = {r.replacement for r in self.replacements if r.specialty == specialty}
        return tuple(a for a in self._lot(specialty).alternates if a not in used)

    def _lot(self, specialty: str) -> Lot:
        return next(lot for lot in self.lots if lot.specialty == specialty)


def replace_member(
    state: PanelState, *, expert_id: str, reason: ReplacementReason, note: str = ""
) -> tuple[PanelState, Replacement] | Refusal:
    """A member who declines or is found conflicted is replaced by the next alternate of the specialty."""
    lot = next((lot for lot in state.lots if expert_id in state.members(lot.specialty)), None)
    if lot is None:
        return Refusal(None, "not_a_member", "该专家不是本次评审会的抽中专家", ("expert_id",))
    if reason == "conflicted" and not note.strip():
        return Refusal("NA-9", "conflict_needs_note", "因回避替换须写明回避事由", ("note",))
    left = state.alternates_left(lot.specialty)
    if not left:
        return Refusal("EX-1", "no_alternate_left", f"专业 {lot.specialty} 已无备选专家，须重新抽取并说明理由")
    made = Replacement(lot.specialty, expert_id, left[0], reason, note.strip())
    return replace(state, replacements=(*state.replacements, made)), made
