"""Use cases of the secret ballot (无记名投票, NA-7, MT-3, NA-9): open a round, cast, close and tally.

Read docs/secret-ballot.md first. A vote writes a participation (that the expert voted) and a
sealed, fixed-size envelope (what, under a key held only in this process's memory) in one
transaction; no log line, journal entry or event carries a choice or a receipt. Closing opens the
envelopes, writes one row per applicant marked under a tag only the receipt's holder can compute,
in shuffled order, in one statement, deletes the envelopes, signs the tally, and forgets the key
once the transaction has committed.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_committees.ballot.domain import (
    RoundStatus,
    ballot_refusal,
    ballot_tag,
    envelope_plaintext,
    open_plaintext,
    opinions_refusal,
    round_opening_refusal,
)
from zhicheng_committees.ballot.errors import RoundKeyLost, RoundNotFound
from zhicheng_committees.ballot.models import BallotRound, Envelope, Participation
from zhicheng_committees.ballot.repository import BallotRepository
from zhicheng_committees.ballot.schemas import BallotIn, BallotReceipt, RoundIn, RoundRead, SignedTallyRead
from zhicheng_committees.deps import Tools
from zhicheng_committees.meeting.domain import MeetingStatus, Opinion, opinions_complete
from zhicheng_committees.meeting.repository import SittingRepository
from zhicheng_committees.meeting.service import expert_of, meeting_facts, panel_ids, sitting_of
from zhicheng_committees.result.domain import BallotRow, tally_content, tally_rows
from zhicheng_common.auth import Principal
from zhicheng_common.canonical import canonical_json
from zhicheng_common.journaling import RecordJournal, RecordRef
from zhicheng_common.keys import PublicRing
from zhicheng_common.problems import Conflict
from zhicheng_common.refusals import Refusal, raise_refused, refused

log = structlog.get_logger()
ROUNDS = RecordJournal("ballot_round")


def _round_read(row: BallotRound, voted: int) -> RoundRead:
    return RoundRead(
        meeting_id=row.meeting_id,
        number=row.number,
        status=row.status,
        applicants=list(row.applicants),
        voters=len(row.voters),
        voted=voted,
    )


async def _round(session: AsyncSession, meeting_id: uuid.UUID, number: int, *, lock: str | None = None) -> BallotRound:
    row = await BallotRepository(session).round(meeting_id, number, lock=lock)
    if row is None:
        raise RoundNotFound(f"评审会议 {meeting_id} 没有第{number}轮投票")
    return row


async def open_round(
    session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, body: RoundIn, tools: Tools
) -> RoundRead:
    """MT-3, NA-7: an open meeting holds one round at a time, at most the pack's number; NA-8: after
    every group has written. The voters are the experts attending now; the round's key is drawn."""
    facts = await meeting_facts(session, meeting_id, office=actor)
    sitting = await sitting_of(session, meeting_id, for_update=True)
    ballots = BallotRepository(session)
    held = await ballots.rounds(meeting_id)
    applicants = list(dict.fromkeys(body.applicants)) if body.applicants is not None else list(sitting.applicants)
    raise_refused(
        round_opening_refusal(
            facts.pack,
            meeting_status=MeetingStatus(sitting.status),
            rounds_held=len(held),
            round_open=any(r.status == RoundStatus.OPEN for r in held),
            applicants=applicants,
            meeting_applicants=sitting.applicants,
        )
    )
    sittings = SittingRepository(session)
    groups, recused = await sittings.groups(meeting_id), await sittings.recusals(meeting_id)
    written: dict[str, list[Opinion]] = {}
    for o in await sittings.opinions(meeting_id):
        written.setdefault(o.declaration_id, []).append(Opinion(o.expert_id, o.declaration_id, o.score, ""))
    incomplete = [
        a
        for a in applicants
        if not groups.get(a)
        or not opinions_complete(written.get(a, []), group=groups[a], recused=recused.get(a, set()))
    ]
    raise_refused(opinions_refusal(incomplete))
    panel = panel_ids(await sittings.panel(meeting_id))
    voters = [e for e in await sittings.attending(meeting_id) if e in panel]
    row = BallotRound(
        id=uuid.uuid4(),
        meeting_id=meeting_id,
        number=len(held) + 1,
        status=RoundStatus.OPEN,
        applicants=applicants,
        voters=voters,
        opened_at=tools.now,
    )
    ballots.add(row)
    await ballots.flush()
    tools.ballot_keys.create(row.id)
    p = facts.pack.parameters
    await ROUNDS.change(
        session,
        RecordRef(row.id, facts.meeting.region),
        actor,
        "committee.ballot.round_opened",
        rule_ids=sorted({p.ballot_rounds_max.rule, *p.ballot_rounds_max.also}),
        policy_pack=facts.pack.id,
        data={"meeting_id": str(meeting_id), "round": row.number, "applicants": len(applicants), "voters": len(voters)},
    )
    return _round_read(row, 0)


async def get_round(session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, number: int) -> RoundRead:
    await _may_read(session, actor, meeting_id)
    row = await _round(session, meeting_id, number)
    return _round_read(row, await BallotRepository(session).participations(row.id))


async def _may_read(session: AsyncSession, actor: Principal, meeting_id: uuid.UUID) -> None:
    """A drawn expert of the meeting, or the office within its jurisdiction."""
    if expert_of(await SittingRepository(session).panel(meeting_id), actor) is None:
        await meeting_facts(session, meeting_id, office=actor)


async def cast(
    session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, number: int, body: BallotIn, tools: Tools
) -> BallotReceipt:
    """NA-7: an attending expert casts one ballot per round, as themself, while the round is open;
    NA-9: not on an applicant they recused for. Returns the receipt, which only the voter ever sees."""
    facts = await meeting_facts(session, meeting_id, office=None)
    sittings, ballots = SittingRepository(session), BallotRepository(session)
    row = await _round(session, meeting_id, number, lock="share")
    caller = expert_of(await sittings.panel(meeting_id), actor)
    if caller is None:
        raise refused(Refusal("MT-3", "not_attending", "只有签到出席的评审专家才能投票"))
    raise_refused(
        ballot_refusal(
            caller=caller,
            voter=body.voter if body.voter is not None else caller,
            round_status=RoundStatus(row.status),
            attending=row.voters,
            already_voted=await ballots.has_voted(row.id, caller),
            recused=await sittings.recusals(meeting_id),
            choices=body.choices,
            applicants=row.applicants,
        )
    )
    if not tools.ballot_keys.has(row.id):
        raise RoundKeyLost("本轮投票的密钥不在本服务进程中（服务已重启），请作废本轮并重新投票")
    receipt = secrets.token_urlsafe(18)
    nonce, sealed = tools.ballot_keys.seal(row.id, envelope_plaintext(receipt, row.applicants, body.choices))
    ballots.add(Participation(round_id=row.id, expert_id=caller))
    ballots.add(Envelope(id=uuid.uuid4(), round_id=row.id, nonce=nonce, ciphertext=sealed))
    try:
        await ballots.flush()
    except IntegrityError:  # two requests of one expert raced past the check: the key refuses the second
        raise refused(Refusal("NA-7", "already_voted", "您已在本轮投票，每位专家每轮只能投一次")) from None
    # The journal says that the expert took part, never what they chose or their receipt.
    await ROUNDS.change(
        session,
        RecordRef(row.id, facts.meeting.region),
        actor,
        "committee.ballot.participated",
        rule_ids=["NA-7"],
        data={"meeting_id": str(meeting_id), "round": row.number},
    )
    log.info("committees.ballot.cast", round_id=str(row.id))
    return BallotReceipt(meeting_id=meeting_id, round=row.number, receipt=receipt)


async def close_round(
    session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, number: int, tools: Tools
) -> RoundRead:
    """Close a round (NA-7: no vote after), open the box, tally against the pack's threshold and sign it."""
    facts = await meeting_facts(session, meeting_id, office=actor)
    ballots, sittings = BallotRepository(session), SittingRepository(session)
    row = await _round(session, meeting_id, number, lock="update")
    if row.status != RoundStatus.OPEN:
        raise refused(Refusal("NA-7", "round_closed", "本轮投票已结束"))
    if not tools.ballot_keys.has(row.id):
        raise RoundKeyLost("本轮投票的密钥不在本服务进程中（服务已重启），请作废本轮并重新投票")
    rows: list[BallotRow] = []
    round_id = str(row.id)
    for envelope in await ballots.envelopes(row.id):
        receipt, choices = open_plaintext(
            tools.ballot_keys.open(row.id, envelope.nonce, envelope.ciphertext), row.applicants
        )
        rows += [BallotRow(ballot_tag(receipt, round_id, a), a, c) for a, c in choices.items()]
    secrets.SystemRandom().shuffle(rows)
    await ballots.insert_ballots(
        [{"tag": r.tag, "round_id": row.id, "declaration_id": r.applicant, "choice": r.choice} for r in rows]
    )
    await ballots.delete_envelopes(row.id)
    recusals = await sittings.recusals(meeting_id)
    recused = {a: len(recusals.get(a, set()) & set(row.voters)) for a in row.applicants}
    tallies = tally_rows(facts.pack, applicants=row.applicants, attending=len(row.voters), recused=recused, rows=rows)
    content = tally_content(
        facts.pack,
        meeting_id=str(meeting_id),
        round_id=round_id,
        round_number=row.number,
        attending=len(row.voters),
        tallies=tallies,
        rows=rows,
        closed_at=tools.now.isoformat(),
    )
    key = tools.tally_keys.signer(tools.now)
    row.tally = content
    row.signature = base64.urlsafe_b64encode(key.sign(canonical_json(content))).decode().rstrip("=")
    row.key_id = key.key_id
    row.status, row.closed_at = RoundStatus.CLOSED, tools.now
    _forget_key_after_commit(session, tools, row.id)
    p = facts.pack.parameters
    await ROUNDS.change(
        session,
        RecordRef(round_id, facts.meeting.region),
        actor,
        "committee.ballot.round_closed",
        rule_ids=sorted({p.pass_threshold.rule, *p.pass_threshold.also, p.recused_expert_reduces_denominator.rule}),
        policy_pack=facts.pack.id,
        data={
            "meeting_id": str(meeting_id),
            "round": row.number,
            "ballots": await ballots.participations(row.id),
            "passed": sorted(t.applicant for t in tallies if t.passed),
            "key_id": key.key_id,
        },
    )
    log.info("committees.ballot.round_closed", round_id=round_id, applicants=len(tallies))
    return _round_read(row, await ballots.participations(row.id))


async def void_round(
    session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, number: int, tools: Tools
) -> RoundRead:
    """Void an open round whose envelope key this process does not hold (it restarted): its sealed
    ballots can never be opened, so they are deleted and the round is never counted; it still
    counts against the pack's rounds (MT-3). A round whose key is here is closed, not voided."""
    facts = await meeting_facts(session, meeting_id, office=actor)
    ballots = BallotRepository(session)
    row = await _round(session, meeting_id, number, lock="update")
    if row.status != RoundStatus.OPEN:
        raise refused(Refusal("NA-7", "round_closed", "本轮投票已结束"))
    if tools.ballot_keys.has(row.id):
        raise Conflict("本轮投票密钥完好，应结束投票并计票，不能作废", code="round_key_present")
    await ballots.delete_envelopes(row.id)
    row.status, row.closed_at = RoundStatus.VOID, tools.now
    await ROUNDS.change(
        session,
        RecordRef(row.id, facts.meeting.region),
        actor,
        "committee.ballot.round_voided",
        rule_ids=["NA-7", "MT-3"],
        policy_pack=facts.pack.id,
        data={"meeting_id": str(meeting_id), "round": row.number, "ballots_lost": await ballots.participations(row.id)},
    )
    return _round_read(row, await ballots.participations(row.id))


def _forget_key_after_commit(session: AsyncSession, tools: Tools, round_id: uuid.UUID) -> None:
    """Drop the round's key once the closing has committed; a failed commit keeps it for a retry."""

    def forget(_session: object) -> None:
        tools.ballot_keys.drop(round_id)

    event.listen(session.sync_session, "after_commit", forget, once=True)


# --- the signed tally of a closed round, for the results (h15b: publicity, confirmation) ---------


@dataclass(frozen=True)
class SignedTally:
    """A closed round's tally as the results need it: the signed document and who passed."""

    meeting_id: uuid.UUID
    round: int
    content: dict[str, Any]
    signature: str
    key_id: str
    passed: list[str]
    failed: list[str]

    def counts(self) -> dict[str, dict[str, Any]]:
        """Declaration id → its counts (yes, no, abstain, blank, denominator, required, passed …)."""
        return {row["applicant"]: row for row in self.content["applicants"]}


def _signed(row: BallotRound) -> SignedTally:
    assert row.tally is not None
    assert row.signature is not None
    assert row.key_id is not None
    counts = row.tally["applicants"]
    return SignedTally(
        meeting_id=row.meeting_id,
        round=row.number,
        content=row.tally,
        signature=row.signature,
        key_id=row.key_id,
        passed=sorted(c["applicant"] for c in counts if c["passed"]),
        failed=sorted(c["applicant"] for c in counts if not c["passed"]),
    )


async def signed_tally(session: AsyncSession, meeting_id: uuid.UUID, number: int | None = None) -> SignedTally | None:
    """The signed tally of round ``number`` of the meeting (the last closed round when None); None
    while that round is open or when no round closed. No access check: for other use cases."""
    rounds = [r for r in await BallotRepository(session).rounds(meeting_id) if r.status == RoundStatus.CLOSED]
    if number is not None:
        rounds = [r for r in rounds if r.number == number]
    return _signed(rounds[-1]) if rounds else None


@dataclass(frozen=True)
class MeetingOutcome:
    """Each applicant's result: decided by the last closed round that voted on them (MT-3)."""

    meeting_id: uuid.UUID
    passed: list[str]
    failed: list[str]
    not_voted: list[str]
    decided_by: dict[str, int]  # declaration id → round number
    tallies: list[SignedTally]


async def meeting_outcome(session: AsyncSession, meeting_id: uuid.UUID) -> MeetingOutcome:
    """The result of every applicant of the meeting from its closed rounds (no access check)."""
    sitting = await sitting_of(session, meeting_id)
    closed = [_signed(r) for r in await BallotRepository(session).rounds(meeting_id) if r.status == RoundStatus.CLOSED]
    decided: dict[str, tuple[int, bool]] = {}
    for tally in closed:  # in round order: a later round's vote replaces an earlier one
        for applicant, row in tally.counts().items():
            decided[applicant] = (tally.round, bool(row["passed"]))
    return MeetingOutcome(
        meeting_id=meeting_id,
        passed=sorted(a for a, (_, ok) in decided.items() if ok),
        failed=sorted(a for a, (_, ok) in decided.items() if not ok),
        not_voted=sorted(set(sitting.applicants) - set(decided)),
        decided_by={a: n for a, (n, _) in decided.items()},
        tallies=closed,
    )


def tally_signature_valid(ring: PublicRing, tally: SignedTally) -> bool:
    """Whether the tally's signature is the ring's over its canonical JSON, by a key in force at closing."""
    padded = tally.signature + "=" * (-len(tally.signature) % 4)
    signed_at = datetime.fromisoformat(str(tally.content["closed_at"]))
    return ring.verify(
        tally.key_id, base64.urlsafe_b64decode(padded), canonical_json(tally.content), signed_at=signed_at
    )


async def read_tally(session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, number: int) -> SignedTallyRead:
    """The published tally of a closed round: to the meeting's experts and the office (NA-7)."""
    await _may_read(session, actor, meeting_id)
    row = await _round(session, meeting_id, number)
    if row.status != RoundStatus.CLOSED:
        raise refused(Refusal("NA-7", "round_not_closed", "本轮投票尚未结束，计票结果未公布"))
    tally = _signed(row)
    return SignedTallyRead.model_validate(
        {
            "content": tally.content,
            "signature": tally.signature,
            "key_id": tally.key_id,
            "passed": tally.passed,
            "failed": tally.failed,
        }
    )
