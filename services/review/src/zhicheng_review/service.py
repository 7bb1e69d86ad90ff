"""Use cases of the review: chains, claims, signed decisions, publicity, objections, re-examination.

Every function takes the unit of work's session and keyword-only arguments; none commits.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import structlog
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.audit import entry_values
from zhicheng_common.auth import Principal, ensure_covers, ensure_role, system_actor
from zhicheng_common.calendar import WorkingDayCalendar, recomputed_reason, years_span
from zhicheng_common.clock import Clock, china_today
from zhicheng_common.events.outbox import record_event
from zhicheng_common.ids import uuid7
from zhicheng_common.journaling import RecordJournal, RecordRef
from zhicheng_common.keys import REVIEW_DECISIONS, KeyRing, RingKey, ring_for
from zhicheng_common.pii import PiiCipher
from zhicheng_common.policy import (
    HasPolicyPack,
    PolicyPack,
    ReviewChains,
    ReviewStep,
    available_packs,
    load_pack,
    pack_by_id,
    pack_for,
    resolve_pack,
)
from zhicheng_common.problems import FieldError, ProblemError
from zhicheng_common.reference import review_status_name, step_name
from zhicheng_common.refusals import Refusal, raise_refused, refused
from zhicheng_common.schemas import fields_of, from_record
from zhicheng_common.settings import CommonSettings
from zhicheng_review import domain
from zhicheng_review.auth import READER_ROLES, SUPERVISORS
from zhicheng_review.domain import (
    OPEN_STATUSES,
    CorrectionItem,
    ObjectionStatus,
    Outcome,
    PublicityStatus,
    ReexaminationStatus,
    ReviewStatus,
)
from zhicheng_review.errors import (
    AlreadyClaimed,
    DecisionNotFound,
    MixedPolicyPacks,
    MixedPublicitySteps,
    NotOwnDeclaration,
    NotWaitingForPublicity,
    ObjectionNotFound,
    ObjectionResolved,
    OutsideBinding,
    PublicityClosed,
    PublicityNotFound,
    ReexaminationAlreadyDecided,
    ReexaminationNotFound,
    ReexaminationUnassigned,
    ReviewNotFound,
    ReviewNotWaiting,
    StepMoved,
)
from zhicheng_review.events import (
    DeclarationDeadlineChanged,
    DeclarationDisqualified,
    DeclarationQualified,
    DeclarationRejected,
    DeclarationReturned,
    IntegrityRequested,
    PublicityWindowChanged,
    ReexaminationDecided,
    ReturnedItem,
)
from zhicheng_review.models import Decision, Objection, Publicity, Reexamination, Review, StepVisit
from zhicheng_review.repository import ReviewRepository, bound_to
from zhicheng_review.schemas import (
    DecisionCreate,
    ObjectionCreate,
    ObjectionUpdate,
    PublicityCreate,
    ReexaminationCreate,
    ReexaminationUpdate,
    StepStatistics,
)
from zhicheng_review.settings import ReviewSettings

log = structlog.get_logger()

DECISION_JOURNAL = RecordJournal("decision")
OBJECTION_JOURNAL = RecordJournal("objection")
PUBLICITY_JOURNAL = RecordJournal("publicity")
REEXAMINATION_JOURNAL = RecordJournal("reexamination")
REVIEW_QUEUE_JOURNAL = RecordJournal("review_queue")
REVIEW_JOURNAL = RecordJournal("review")


@dataclass(frozen=True)
class ReviewContext:
    """What the use cases need besides the session: calendar, key, clock.

    No pack here: every review, publicity and journal entry uses the pack of its own record
    (:func:`pack_of`), the one the declaration was judged by in intake.
    """

    calendar: WorkingDayCalendar
    keys: KeyRing  # the `review-decisions` ring: signs with the key of the moment, verifies with any
    cipher: PiiCipher
    clock: Clock

    def today(self) -> date:
        return china_today(self.clock.now())


def pack_of(record: HasPolicyPack) -> PolicyPack:
    """The pack a review or publicity is bound to (unknown id: 422 ``unknown_policy_pack``)."""
    return pack_for(record)


def chains_of(record: HasPolicyPack) -> ReviewChains:
    """The review chains (CH-4) of the record's pack."""
    return pack_of(record).parameters.review_chains.value


def all_chains() -> list[ReviewChains]:
    """The chains of every shipped pack (queues and statistics span records of several packs)."""
    return [load_pack(pack_id).parameters.review_chains.value for pack_id in available_packs()]


def build_context(common: CommonSettings, settings: ReviewSettings, clock: Clock) -> ReviewContext:
    """Load the pack (with its chains), calendar and the decision key ring (docs/keys.md)."""
    return ReviewContext(
        calendar=WorkingDayCalendar.from_settings_json(common.calendar_overrides),
        keys=ring_for(common, REVIEW_DECISIONS),
        cipher=PiiCipher(common.pii_key),
        clock=clock,
    )


def step_of(ctx: ReviewContext, review: Review) -> ReviewStep:
    return domain.chain_by_id(chains_of(review), review.chain_id).steps[review.step_index]


# --- Chain movement -------------------------------------------------------------------------


async def _publish(session: AsyncSession, review: Review, event: BaseModel) -> None:
    """Add ``event`` to the outbox about the review's declaration (the aggregate other services know)."""
    await record_event(session, event, subject=str(review.declaration_id), region=review.region)


async def _enter_step(session: AsyncSession, *, ctx: ReviewContext, review: Review, index: int) -> None:
    """Move ``review`` to step ``index``; past the last step it is qualified (event to committees)."""
    chain = domain.chain_by_id(chains_of(review), review.chain_id)
    today = ctx.today()
    review.claimed_by = None
    review.claimed_at = None
    review.updated_at = ctx.clock.now()
    if index >= len(chain.steps):
        review.status = ReviewStatus.QUALIFIED
        review.step_due = None
        review.step_due_provisional = False
        qualified = from_record(
            DeclarationQualified,
            review,
            unit_key=review.unit_key or "",
            applicant_name_sealed=ctx.cipher.encrypt(review.applicant_name),
        )
        await REVIEW_JOURNAL.change(
            session,
            review,
            system_actor(review.region, service="review"),
            "review.qualified",
            event=qualified,
            subject=str(review.declaration_id),
            reason="审核链全部环节通过",
            rule_ids=["RV-1", "CH-4"],
            policy_pack=review.policy_pack,
        )
        return
    ReviewRepository(session).add(_arrive(review, chain.steps[index], index, today, ctx))


def _arrive(review: Review, step: ReviewStep, index: int, today: date, ctx: ReviewContext) -> StepVisit:
    """``review`` at step ``index`` from ``today`` (its due day counted, NA-14), and the step's visit."""
    review.status = ReviewStatus.IN_REVIEW
    review.step_index = index
    review.step_key = step.key
    review.step_since = today
    review.step_due = domain.step_due(ctx.calendar, today, step)
    review.step_due_provisional = review.step_due is not None and ctx.calendar.is_provisional_span(
        today, review.step_due
    )
    return StepVisit(
        id=uuid7(),
        review_id=review.id,
        step_key=step.key,
        region=review.region,
        arrived_on=today,
        due_on=review.step_due,
    )


async def _leave_step(session: AsyncSession, *, ctx: ReviewContext, review: Review, outcome: str) -> None:
    visit = await ReviewRepository(session).open_visit(review.id)
    if visit is not None:
        visit.left_on = ctx.today()
        visit.outcome = outcome


async def start_chain(session: AsyncSession, *, ctx: ReviewContext, data: dict[str, Any], region: str) -> Review | None:
    """Start the chain of a submitted declaration (once per declaration)."""
    declaration_id = uuid.UUID(str(data["declaration_id"]))
    # The pack intake judged the declaration by (carried on the event); an event from before it was
    # carried resolves it the same way intake does, from the declaration's region and year.
    named = str(data.get("policy_pack") or "")
    pack = pack_by_id(named) if named else resolve_pack(region, int(data["year"]))
    chain = domain.select_chain(
        pack.parameters.review_chains.value, channel=str(data["channel"]), level=str(data["level"])
    )
    if isinstance(chain, Refusal):
        raise refused(chain)
    committee = data.get("committee_id")
    review = Review(
        id=uuid7(),
        declaration_id=declaration_id,
        applicant_key=str(data["applicant_key"]),
        applicant_name=str(data["applicant_name"]),
        year=int(data["year"]),
        series=str(data["series"]),
        specialty=str(data["specialty"]),
        level=str(data["level"]),
        rank=str(data.get("rank") or ""),
        committee_id=uuid.UUID(str(committee)) if committee else None,
        kind=str(data.get("kind") or "normal"),
        channel=str(data["channel"]),
        employer_name=str(data.get("employer_name") or ""),
        unit_key=str(data.get("unit_key") or "") or None,  # absent in events from before intake sent it
        owner_subject=str(data.get("owner_subject") or ""),
        region=region,
        policy_pack=pack.id,
        chain_id=chain.id,
        status=ReviewStatus.IN_REVIEW,
        step_index=0,
        step_key=chain.steps[0].key,
        step_since=ctx.today(),
    )
    # As _enter_step(…, index=0) would leave it, without adding it to the session: the review (its
    # id is ours, uuid7), its first step's visit and the journal entry REVIEW_JOURNAL.change would
    # write go in with one statement, and only if the declaration has no chain yet (once per
    # declaration: a redelivered event inserts nothing).
    review.claimed_by = None
    review.claimed_at = None
    review.updated_at = ctx.clock.now()
    visit = _arrive(review, chain.steps[0], 0, review.step_since, ctx)
    entry = entry_values(
        session,
        actor=system_actor(region, service="review"),
        action="review.chain_started",
        record_type=REVIEW_JOURNAL.record_type,
        record_id=str(review.id),
        record_region=review.region,
        reason=f"申报已提交，进入审核链 {chain.id}",
        rule_ids=[chain.rule, "CH-4"],
        policy_pack=pack.id,
        data={"declaration_id": str(declaration_id), "chain": chain.id, "channel": review.channel},
    )
    if not await ReviewRepository(session).start(review, visit, entry):
        return None
    return review


async def resume_after_correction(
    session: AsyncSession, *, ctx: ReviewContext, declaration_id: uuid.UUID, corrected_fields: list[str]
) -> bool:
    """A corrected resubmission resumes the chain at the step that returned it (RV-3)."""
    review = await ReviewRepository(session).get_by_declaration(declaration_id, for_update=True)
    if review is None or review.status != ReviewStatus.RETURNED or review.returned_step_index is None:
        log.warning("review.resubmission_ignored", declaration_id=str(declaration_id))
        return False
    index = review.returned_step_index
    review.returned_step_index = None
    review.correction_deadline = None
    review.correction_deadline_provisional = False
    await _enter_step(session, ctx=ctx, review=review, index=index)
    await REVIEW_JOURNAL.change(
        session,
        review,
        system_actor(review.region, service="review"),
        "review.resumed",
        reason="补正后重新提交，从退回环节继续审核",
        rule_ids=["RV-3"],
        policy_pack=review.policy_pack,
        data={"corrected_fields": corrected_fields, "step": review.step_key},
    )
    return True


async def end_chain(
    session: AsyncSession, *, ctx: ReviewContext, declaration_id: uuid.UUID, status: ReviewStatus, rule_ids: list[str]
) -> bool:
    """Withdrawn or abandoned (RV-3) by intake: the chain ends, once."""
    review = await ReviewRepository(session).get_by_declaration(declaration_id, for_update=True)
    if review is None or review.status not in OPEN_STATUSES:
        return False
    await _leave_step(session, ctx=ctx, review=review, outcome=status.value)
    review.status = status
    review.claimed_by = None
    review.claimed_at = None
    review.updated_at = ctx.clock.now()
    await REVIEW_JOURNAL.change(
        session,
        review,
        system_actor(review.region, service="review"),
        f"review.{status.value}",
        reason="申报人撤回" if status is ReviewStatus.WITHDRAWN else "逾期未补正，视为放弃",
        rule_ids=rule_ids,
        policy_pack=review.policy_pack,
    )
    return True


# --- Queues and claims ----------------------------------------------------------------------


def _step_keys_for(ctx: ReviewContext, principal: Principal) -> list[str]:
    return sorted({s.key for cs in all_chains() for c in cs.chains for s in c.steps if principal.has_role(s.role)})


async def work_queue(
    session: AsyncSession, *, ctx: ReviewContext, principal: Principal, limit: int, offset: int
) -> tuple[list[Review], int]:
    """What waits for the caller's roles in the caller's jurisdiction, oldest first (a ``Reviewer``)."""
    rows, total = await ReviewRepository(session).queue(
        principal, step_keys=_step_keys_for(ctx, principal), limit=limit, offset=offset
    )
    if rows:
        await REVIEW_QUEUE_JOURNAL.change(
            session,
            RecordRef(principal.subject, principal.region),
            principal,
            "review.queue_read",
            reason="查看待审队列（含申报人姓名）",
            data={"review_ids": [str(r.id) for r in rows]},
        )
    return list(rows), total


async def _get_review(session: AsyncSession, review_id: uuid.UUID, *, for_update: bool = False) -> Review:
    review = await ReviewRepository(session).get(review_id, for_update=for_update)
    if review is None:
        raise ReviewNotFound(f"审核记录 {review_id} 不存在")
    return review


def _ensure_reaches(principal: Principal, review: Review) -> None:
    """403 unless the review lies in the caller's region and, for a unit reviewer or a committee
    office, belongs to the unit or committee the account is bound to (issue 12)."""
    ensure_covers(principal, review.region)
    if not bound_to(principal, review):
        raise OutsideBinding("该申报不属于您账号绑定的单位或评审委员会")


def _ensure_reviewer_of_step(ctx: ReviewContext, principal: Principal, review: Review) -> ReviewStep:
    """403 unless the caller holds the current step's role and reaches the declaration."""
    step = step_of(ctx, review)
    ensure_role(principal, step.role)
    _ensure_reaches(principal, review)
    return step


def _ensure_at_step(review: Review, step_key: str | None) -> None:
    """409 when the declaration has left the step a claim or decision names (checked under the row lock)."""
    if step_key is not None and step_key != review.step_key:
        raise StepMoved(
            f"该申报已不在“{step_name(step_key)}”环节（当前为“{step_name(review.step_key)}”），请刷新后再操作"
        )


async def review_id_of_declaration(session: AsyncSession, *, declaration_id: uuid.UUID) -> uuid.UUID:
    review = await ReviewRepository(session).get_by_declaration(declaration_id)
    if review is None:
        raise ReviewNotFound(f"申报 {declaration_id} 没有审核记录")
    return review.id


async def read_review(
    session: AsyncSession, *, ctx: ReviewContext, principal: Principal, review_id: uuid.UUID
) -> Review:
    """One review, for reviewers, supervisors and auditors of its jurisdiction (a journaled read)."""
    review = await _get_review(session, review_id)
    ensure_role(principal, *READER_ROLES)
    _ensure_reaches(principal, review)
    await REVIEW_JOURNAL.read(
        session,
        [review],
        principal,
        "review.read",
        reason="查看审核记录（含申报人姓名）",
        policy_pack=review.policy_pack,
    )
    return review


async def claim(
    session: AsyncSession,
    *,
    ctx: ReviewContext,
    principal: Principal,
    review_id: uuid.UUID,
    step_key: str | None = None,
) -> Review:
    """Claim a waiting declaration: one reviewer at a time (409 for the second).

    The review row is locked before its step is read, so a decision that moves the declaration
    on cannot slip in between: a claim holds the step its role was checked for, never the next.
    """
    review = await _get_review(session, review_id, for_update=True)
    _ensure_reaches(principal, review)
    _ensure_at_step(review, step_key)
    _ensure_reviewer_of_step(ctx, principal, review)
    if review.status != ReviewStatus.IN_REVIEW:
        raise ReviewNotWaiting(f"该申报当前状态为“{review_status_name(review.status)}”，不能认领")
    now = ctx.clock.now()
    if not await ReviewRepository(session).try_claim(review.id, subject=principal.subject, at=now):
        await session.refresh(review)
        if review.claimed_by == principal.subject:
            return review
        raise AlreadyClaimed("该申报已被其他审核人员认领")
    await session.refresh(review)
    await REVIEW_JOURNAL.change(
        session,
        review,
        principal,
        "review.claimed",
        rule_ids=["CH-4"],
        policy_pack=review.policy_pack,
        data={"step": review.step_key},
    )
    return review


async def release(session: AsyncSession, *, ctx: ReviewContext, principal: Principal, review_id: uuid.UUID) -> Review:
    """Release a claim: the holder, or a supervisor of the jurisdiction."""
    review = await _get_review(session, review_id, for_update=True)
    _ensure_reaches(principal, review)
    if review.claimed_by != principal.subject:
        ensure_role(principal, *SUPERVISORS)
    previous = review.claimed_by
    review.claimed_by = None
    review.claimed_at = None
    await REVIEW_JOURNAL.change(
        session,
        review,
        principal,
        "review.released",
        policy_pack=review.policy_pack,
        data={"previous_holder": previous},
    )
    return review


# --- Decisions (CH-4, RV-1..RV-5, IN-1) -----------------------------------------------------


def sign_content(key: RingKey, content: dict[str, Any]) -> str:
    signature = key.sign(domain.canonical_json(content))
    return base64.urlsafe_b64encode(signature).decode().rstrip("=")


def content_of(decision: Decision) -> dict[str, Any]:
    return domain.decision_content(
        decision_id=str(decision.id),
        declaration_id=str(decision.declaration_id),
        step=decision.step_key,
        **fields_of(
            decision, "outcome", "opinion", "items", "signer_subject", "signer_role", "signer_unit", "decided_at"
        ),
    )


def signature_valid(ctx: ReviewContext, decision: Decision) -> bool:
    """Whether the stored signature covers the stored decision content (CH-4), by a key of the
    ring whose signing period covered the decision's time (old decisions verify after a rotation)."""
    raw = base64.urlsafe_b64decode(decision.signature + "=" * (-len(decision.signature) % 4))
    return ctx.keys.verify(
        decision.key_id, raw, domain.canonical_json(content_of(decision)), signed_at=decision.decided_at
    )


def _ensure_items_fit(review: Review, items: Sequence[CorrectionItem]) -> None:
    """RV-3, NA-5: a return lists every item once, and asks for no proof that is checked elsewhere."""
    raise_refused(domain.return_items_refusal(items))
    raise_refused(domain.proof_asked_again_refusal(items, pack_of(review).parameters.not_asked_again_fields.value))


async def _record_decision(
    session: AsyncSession,
    *,
    ctx: ReviewContext,
    principal: Principal,
    review: Review,
    outcome: Outcome,
    opinion: str,
    items: list[CorrectionItem],
    signer_role: str,
    signer_unit: str,
) -> Decision:
    decided_at = ctx.clock.now()
    key = ctx.keys.signer(decided_at)
    decision = Decision(
        id=uuid7(),
        review_id=review.id,
        declaration_id=review.declaration_id,
        step_key=review.step_key,
        outcome=outcome.value,
        opinion=opinion,
        items=[item.model_dump() for item in items],
        signer_subject=principal.subject,
        signer_role=signer_role,
        signer_unit=signer_unit,
        decided_at=decided_at,
        key_id=key.key_id,
        signature="",
    )
    decision.signature = sign_content(key, content_of(decision))
    ReviewRepository(session).add(decision)
    return decision


async def _return_for_correction(
    session: AsyncSession, *, ctx: ReviewContext, review: Review, items: list[CorrectionItem]
) -> date:
    """RV-3: every item at once, with the deadline in working days from the pack."""
    parameter = pack_of(review).parameters.correction_deadline_working_days
    today = ctx.today()
    deadline = domain.correction_deadline(ctx.calendar, today, parameter.value)
    provisional = ctx.calendar.is_provisional_span(today, deadline)
    step = review.step_key
    await _leave_step(session, ctx=ctx, review=review, outcome=Outcome.RETURN.value)
    review.status = ReviewStatus.RETURNED
    review.returned_step_index = review.step_index
    review.returned_on = today
    review.correction_deadline = deadline
    review.correction_deadline_provisional = provisional
    review.claimed_by = None
    review.claimed_at = None
    review.step_due = None
    review.step_due_provisional = False
    await _publish(
        session,
        review,
        DeclarationReturned(
            declaration_id=review.declaration_id,
            items=[ReturnedItem(field=i.field, message_sealed=ctx.cipher.encrypt(i.message)) for i in items],
            deadline=deadline,
            step=step,
            deadline_provisional=provisional,
        ),
    )
    return deadline


async def _reject(
    session: AsyncSession, *, ctx: ReviewContext, review: Review, reason: str, rule_ids: list[str]
) -> None:
    await _leave_step(session, ctx=ctx, review=review, outcome=Outcome.REJECT.value)
    step = review.step_key
    review.status = ReviewStatus.REJECTED
    review.claimed_by = None
    review.claimed_at = None
    await _publish(
        session,
        review,
        DeclarationRejected(
            declaration_id=review.declaration_id, step=step, reason_sealed=ctx.cipher.encrypt(reason), rule_ids=rule_ids
        ),
    )


async def decide(
    session: AsyncSession,
    *,
    ctx: ReviewContext,
    principal: Principal,
    review_id: uuid.UUID,
    decision_in: DecisionCreate,
) -> tuple[Decision, date | None]:
    """Pass, return for correction, reject or disqualify at the current step; signed (CH-4)."""
    # The row lock is taken before the step is read: a second request (a retry, or a user holding
    # the next step's role too) waits here and then finds the step it names already decided.
    review = await _get_review(session, review_id, for_update=True)
    ensure_covers(principal, review.region)
    if review.status != ReviewStatus.IN_REVIEW:
        raise ReviewNotWaiting(f"该申报当前状态为“{review_status_name(review.status)}”，不能作出审核决定")
    _ensure_at_step(review, decision_in.step_key)
    step = _ensure_reviewer_of_step(ctx, principal, review)
    if review.claimed_by is not None and review.claimed_by != principal.subject:
        raise AlreadyClaimed("该申报已被其他审核人员认领")
    returns_only = pack_of(review).parameters.city_review_returns_only.value
    raise_refused(domain.outcome_refusal(step, decision_in.outcome, decision_in.amendments, returns_only=returns_only))
    outcome = decision_in.outcome
    today = ctx.today()
    rule_ids = ["CH-4", "RV-1"]
    if outcome is Outcome.RETURN:
        _ensure_items_fit(review, decision_in.items)
        rule_ids.extend(["RV-3", "NA-5"])
    raise_refused(
        domain.decision_input_refusal(outcome, items=decision_in.items, facts=decision_in.facts), error=ProblemError
    )
    if outcome is Outcome.PASS:
        raise_refused(domain.batch_late_refusal(step, due=review.step_due, today=today))
        if step.batch_deadline:
            rule_ids.append("RV-5")
    if outcome is Outcome.DISQUALIFY:
        rule_ids.append("IN-1")
    decision = await _record_decision(
        session,
        ctx=ctx,
        principal=principal,
        review=review,
        outcome=outcome,
        opinion=decision_in.opinion,
        items=decision_in.items,
        signer_role=step.role,
        signer_unit=decision_in.signer_unit,
    )
    deadline: date | None = None
    if outcome is Outcome.PASS:
        await _leave_step(session, ctx=ctx, review=review, outcome=outcome.value)
        await _enter_step(session, ctx=ctx, review=review, index=review.step_index + 1)
    elif outcome is Outcome.RETURN:
        deadline = await _return_for_correction(session, ctx=ctx, review=review, items=decision_in.items)
    elif outcome is Outcome.REJECT:
        await _reject(session, ctx=ctx, review=review, reason=decision_in.opinion, rule_ids=["RV-1"])
    else:
        await _leave_step(session, ctx=ctx, review=review, outcome=outcome.value)
        review.status = ReviewStatus.DISQUALIFIED
        review.claimed_by = None
        await _publish(
            session,
            review,
            IntegrityRequested(
                declaration_id=review.declaration_id,
                applicant_key=review.applicant_key,
                facts_sealed=ctx.cipher.encrypt(decision_in.facts or ""),
                rule_ids=["IN-1"],
            ),
        )
        await _publish(
            session,
            review,
            DeclarationDisqualified(
                declaration_id=review.declaration_id,
                reason_sealed=ctx.cipher.encrypt(decision_in.opinion or ""),
                rule_ids=["IN-1"],
            ),
        )
    review.updated_at = ctx.clock.now()
    await DECISION_JOURNAL.change(
        session,
        RecordRef(decision.id, review.region),
        principal,
        f"review.decision.{outcome.value}",
        reason=decision_in.opinion,
        rule_ids=rule_ids,
        policy_pack=review.policy_pack,
        data={
            "review_id": str(review.id),
            "step": decision.step_key,
            "signer_unit": decision.signer_unit,
            "key_id": decision.key_id,
            "signature": decision.signature,
            "correction_deadline": deadline.isoformat() if deadline else None,
            "items": decision.items,
        },
    )
    return decision, deadline


async def decisions_of(
    session: AsyncSession, *, ctx: ReviewContext, principal: Principal, review_id: uuid.UUID
) -> list[Decision]:
    review = await read_review(session, ctx=ctx, principal=principal, review_id=review_id)
    return list(await ReviewRepository(session).decisions_of(review.id))


async def verify_decision(
    session: AsyncSession, *, ctx: ReviewContext, principal: Principal, decision_id: uuid.UUID
) -> tuple[Decision, bool]:
    """Check the stored signature against the stored content (CH-4)."""
    repository = ReviewRepository(session)
    decision = await repository.get_decision(decision_id)
    if decision is None:
        raise DecisionNotFound(f"审核决定 {decision_id} 不存在")
    review = await _get_review(session, decision.review_id)
    ensure_role(principal, *READER_ROLES)
    _ensure_reaches(principal, review)
    return decision, signature_valid(ctx, decision)


# --- Publicity and objections (RV-6, NA-6, NA-11) -------------------------------------------


async def open_publicity(
    session: AsyncSession, *, ctx: ReviewContext, principal: Principal, publicity_in: PublicityCreate
) -> Publicity:
    """Open a publicity for a batch waiting at one publicity step; it lasts the pack's working days."""
    repository = ReviewRepository(session)
    reviews = await repository.reviews_by_ids(publicity_in.review_ids)
    found = {r.id for r in reviews}
    missing = [str(i) for i in publicity_in.review_ids if i not in found]
    if missing:
        raise ReviewNotFound(f"审核记录不存在：{', '.join(missing)}")
    step_keys = set()
    for review in reviews:
        step = _ensure_reviewer_of_step(ctx, principal, review)
        if step.kind != "publicity" or review.status != ReviewStatus.IN_REVIEW:
            raise NotWaitingForPublicity(f"申报 {review.declaration_id} 不在待公示环节")
        step_keys.add(step.key)
    if len(step_keys) != 1:
        raise MixedPublicitySteps("一次公示只能包含同一公示环节的申报")
    packs = {review.policy_pack for review in reviews}
    if len(packs) != 1:
        raise MixedPolicyPacks("一次公示只能包含同一政策参数包的申报")
    pack = pack_by_id(packs.pop())
    parameter = pack.parameters.publicity_working_days
    today = ctx.today()
    open_through = domain.publicity_open_through(ctx.calendar, today, parameter.value)
    publicity = Publicity(
        id=uuid7(),
        step_key=step_keys.pop(),
        region=principal.region,
        title=publicity_in.title,
        token=secrets.token_urlsafe(24),
        opened_on=today,
        open_through=open_through,
        open_through_provisional=ctx.calendar.is_provisional_span(today, open_through),
        status=PublicityStatus.OPEN,
        opened_by=principal.subject,
        policy_pack=pack.id,
    )
    repository.add(publicity)
    await repository.flush()
    for review in reviews:
        review.status = ReviewStatus.IN_PUBLICITY
        review.publicity_id = publicity.id
        review.step_due = publicity.open_through
        review.step_due_provisional = publicity.open_through_provisional
    await PUBLICITY_JOURNAL.change(
        session,
        publicity,
        principal,
        "publicity.opened",
        reason=publicity.title,
        rule_ids=[parameter.rule, *parameter.also],
        policy_pack=pack.id,
        data={"open_through": publicity.open_through.isoformat(), "review_ids": [str(r.id) for r in reviews]},
    )
    return publicity


async def _get_publicity(session: AsyncSession, publicity_id: uuid.UUID, *, for_update: bool = False) -> Publicity:
    publicity = await ReviewRepository(session).get_publicity(publicity_id, for_update=for_update)
    if publicity is None:
        raise PublicityNotFound(f"公示 {publicity_id} 不存在")
    return publicity


async def read_publicity(
    session: AsyncSession, *, ctx: ReviewContext, principal: Principal, publicity_id: uuid.UUID
) -> tuple[Publicity, list[uuid.UUID], int]:
    publicity = await _get_publicity(session, publicity_id)
    ensure_role(principal, *READER_ROLES)
    ensure_covers(principal, publicity.region)
    repository = ReviewRepository(session)
    reviews = await repository.reviews_in_publicity(publicity.id)
    return publicity, [r.id for r in reviews], await repository.count_open_objections(publicity.id)


async def public_notice(session: AsyncSession, *, token: str) -> tuple[Publicity, list[Review]]:
    """PUBLIC: what anyone with the link sees of a publicity (names, unit, title applied for)."""
    repository = ReviewRepository(session)
    publicity = await repository.publicity_by_token(token)
    if publicity is None:
        raise PublicityNotFound("公示不存在或链接无效")
    return publicity, list(await repository.reviews_in_publicity(publicity.id))


async def file_objection(
    session: AsyncSession, *, ctx: ReviewContext, token: str, objection_in: ObjectionCreate
) -> Objection:
    """PUBLIC: anyone with the publicity link files an objection, with contact details (RV-6)."""
    repository = ReviewRepository(session)
    publicity = await repository.publicity_by_token(token)
    if publicity is None:
        raise PublicityNotFound("公示不存在或链接无效")
    raise_refused(
        domain.objection_refusal(
            open=publicity.status == PublicityStatus.OPEN, today=ctx.today(), open_through=publicity.open_through
        )
    )
    review = await repository.get(objection_in.review_id)
    if review is None or review.publicity_id != publicity.id:
        raise ProblemError(
            "该申报不在本次公示中",
            code="not_in_publicity",
            errors=[FieldError(field="review_id", code="not_in_publicity", message="不在本次公示名单中")],
        )
    objection = Objection(
        id=uuid7(),
        publicity_id=publicity.id,
        review_id=review.id,
        content=objection_in.content,
        contact_name_enc=ctx.cipher.encrypt(objection_in.contact_name),
        contact_phone_enc=ctx.cipher.encrypt(objection_in.contact_phone),
        filed_at=ctx.clock.now(),
        status=ObjectionStatus.OPEN,
    )
    repository.add(objection)
    await OBJECTION_JOURNAL.change(
        session,
        RecordRef(objection.id, publicity.region),
        Principal(subject="public", roles=frozenset({"public"}), region=publicity.region, name="public"),
        "objection.filed",
        rule_ids=["RV-6"],
        policy_pack=publicity.policy_pack,
        data={"publicity_id": str(publicity.id), "review_id": str(review.id)},
    )
    return objection


def _ensure_publicity_officer(ctx: ReviewContext, principal: Principal, publicity: Publicity) -> None:
    roles = {s.role for c in chains_of(publicity).chains for s in c.steps if s.key == publicity.step_key}
    ensure_role(principal, *sorted(roles), *SUPERVISORS)
    ensure_covers(principal, publicity.region)


async def objections_of(
    session: AsyncSession, *, ctx: ReviewContext, principal: Principal, publicity_id: uuid.UUID
) -> list[Objection]:
    """The objections of a publicity with their contact details (a journaled read of personal data)."""
    publicity = await _get_publicity(session, publicity_id)
    _ensure_publicity_officer(ctx, principal, publicity)
    objections = list(await ReviewRepository(session).objections_of(publicity.id))
    await PUBLICITY_JOURNAL.read(
        session,
        [publicity],
        principal,
        "objection.read",
        reason="处理异议（含异议人联系方式）",
        data={"objection_ids": [str(o.id) for o in objections]},
    )
    return objections


async def resolve_objection(
    session: AsyncSession,
    *,
    ctx: ReviewContext,
    principal: Principal,
    objection_id: uuid.UUID,
    resolution_in: ObjectionUpdate,
) -> Objection:
    """Resolve an objection (RV-6): upheld → the declaration is returned or rejected; or dismissed."""
    repository = ReviewRepository(session)
    objection = await repository.get_objection(objection_id, for_update=True)
    if objection is None:
        raise ObjectionNotFound(f"异议 {objection_id} 不存在")
    publicity = await _get_publicity(session, objection.publicity_id)
    _ensure_publicity_officer(ctx, principal, publicity)
    if objection.status != ObjectionStatus.OPEN:
        raise ObjectionResolved("该异议已处理")
    raise_refused(domain.resolution_refusal(resolution_in.resolution, resolution_in.action), error=ProblemError)
    if resolution_in.resolution == "upheld":
        assert resolution_in.action is not None  # refused just above when missing (RV-6)
        review = await _get_review(session, objection.review_id, for_update=True)
        if review.status == ReviewStatus.IN_PUBLICITY:
            outcome = Outcome(resolution_in.action)
            if outcome is Outcome.RETURN:
                _ensure_items_fit(review, resolution_in.items)
            decision = await _record_decision(
                session,
                ctx=ctx,
                principal=principal,
                review=review,
                outcome=outcome,
                opinion=resolution_in.reasons,
                items=resolution_in.items,
                signer_role=step_of(ctx, review).role,
                signer_unit=resolution_in.signer_unit,
            )
            if outcome is Outcome.RETURN:
                await _return_for_correction(session, ctx=ctx, review=review, items=resolution_in.items)
            else:
                await _reject(session, ctx=ctx, review=review, reason=resolution_in.reasons, rule_ids=["RV-6"])
            await DECISION_JOURNAL.change(
                session,
                RecordRef(decision.id, review.region),
                principal,
                f"review.decision.{outcome.value}",
                reason=resolution_in.reasons,
                rule_ids=["CH-4", "RV-6"],
                policy_pack=review.policy_pack,
                data={"objection_id": str(objection.id), "signature": decision.signature},
            )
    objection.status = ObjectionStatus(resolution_in.resolution)
    objection.resolution = resolution_in.reasons
    objection.resolved_by = principal.subject
    objection.resolved_at = ctx.clock.now()
    await OBJECTION_JOURNAL.change(
        session,
        RecordRef(objection.id, publicity.region),
        principal,
        f"objection.{resolution_in.resolution}",
        reason=resolution_in.reasons,
        rule_ids=["RV-6"],
        policy_pack=publicity.policy_pack,
    )
    return objection


async def _close(session: AsyncSession, *, ctx: ReviewContext, publicity: Publicity, actor: Principal) -> None:
    publicity.status = PublicityStatus.CLOSED
    publicity.closed_at = ctx.clock.now()
    for review in await ReviewRepository(session).reviews_in_publicity(publicity.id):
        if review.status != ReviewStatus.IN_PUBLICITY:
            continue
        await _leave_step(session, ctx=ctx, review=review, outcome="publicized")
        await _enter_step(session, ctx=ctx, review=review, index=review.step_index + 1)
    parameter = pack_of(publicity).parameters.publicity_working_days
    await PUBLICITY_JOURNAL.change(
        session,
        publicity,
        actor,
        "publicity.closed",
        reason="公示期满且无未处理异议",
        rule_ids=[parameter.rule, *parameter.also],
        policy_pack=publicity.policy_pack,
    )


async def close_publicity(
    session: AsyncSession, *, ctx: ReviewContext, principal: Principal, publicity_id: uuid.UUID
) -> Publicity:
    """Close a publicity by hand: refused until its last working day has ended, or with open objections (RV-6)."""
    publicity = await _get_publicity(session, publicity_id, for_update=True)
    _ensure_publicity_officer(ctx, principal, publicity)
    if publicity.status != PublicityStatus.OPEN:
        raise PublicityClosed("公示已结束")
    open_objections = await ReviewRepository(session).count_open_objections(publicity.id)
    raise_refused(
        domain.publicity_close_refusal(
            today=ctx.today(), open_through=publicity.open_through, open_objections=open_objections
        )
    )
    await _close(session, ctx=ctx, publicity=publicity, actor=principal)
    return publicity


async def batch_of(session: AsyncSession, *, publicity_id: uuid.UUID) -> list[uuid.UUID]:
    """The declarations (review ids) a publicity listed."""
    return [r.id for r in await ReviewRepository(session).reviews_in_publicity(publicity_id)]


async def close_due_publicities(session: AsyncSession, *, ctx: ReviewContext, now: datetime) -> int:
    """Scheduler: publicities close by themselves the day after their last working day, unless an objection is open."""
    repository = ReviewRepository(session)
    today = china_today(now)
    closed = 0
    for publicity in await repository.publicities_due(today):
        open_objections = await repository.count_open_objections(publicity.id)
        if not domain.can_close_publicity(
            today=today, open_through=publicity.open_through, open_objections=open_objections
        ):
            log.info("publicity.waiting_for_objections", publicity_id=str(publicity.id), open=open_objections)
            continue
        await _close(session, ctx=ctx, publicity=publicity, actor=system_actor(publicity.region, service="review"))
        closed += 1
    return closed


# --- Re-examination (NA-12) -----------------------------------------------------------------


async def request_reexamination(
    session: AsyncSession, *, ctx: ReviewContext, principal: Principal, request_in: ReexaminationCreate
) -> Reexamination:
    """An applicant asks for re-examination of a decision or complains (NA-12); recorded."""
    review = await _get_review(session, request_in.review_id)
    ensure_covers(principal, review.region)
    if principal.subject != review.owner_subject:
        raise NotOwnDeclaration("只能对本人的申报申请复查", rule="NA-12")
    if request_in.decision_id is not None:
        decision = await ReviewRepository(session).get_decision(request_in.decision_id)
        if decision is None or decision.review_id != review.id:
            raise ProblemError(
                "复查所针对的审核决定不属于该申报",
                code="decision_not_of_review",
                errors=[FieldError(field="decision_id", code="mismatch", message="不属于该申报")],
            )
    request = Reexamination(
        id=uuid7(),
        review_id=review.id,
        decision_id=request_in.decision_id,
        requested_by=principal.subject,
        reason=request_in.reason,
        requested_at=ctx.clock.now(),
        status=ReexaminationStatus.REQUESTED,
    )
    ReviewRepository(session).add(request)
    await REEXAMINATION_JOURNAL.change(
        session,
        RecordRef(request.id, review.region),
        principal,
        "reexamination.requested",
        reason=request_in.reason,
        rule_ids=["NA-12"],
        policy_pack=review.policy_pack,
        data={"review_id": str(review.id)},
    )
    return request


async def read_reexamination(
    session: AsyncSession, *, ctx: ReviewContext, principal: Principal, reexamination_id: uuid.UUID
) -> Reexamination:
    request = await ReviewRepository(session).get_reexamination(reexamination_id)
    if request is None:
        raise ReexaminationNotFound(f"复查申请 {reexamination_id} 不存在")
    review = await _get_review(session, request.review_id)
    ensure_covers(principal, review.region)
    if request.requested_by != principal.subject:
        ensure_role(principal, *READER_ROLES)
        _ensure_reaches(principal, review)
    return request


async def handle_reexamination(
    session: AsyncSession,
    *,
    ctx: ReviewContext,
    principal: Principal,
    reexamination_id: uuid.UUID,
    update_in: ReexaminationUpdate,
) -> Reexamination:
    """Assign a re-examination (supervisor), or decide it (the assignee or a supervisor); NA-12."""
    request = await ReviewRepository(session).get_reexamination(reexamination_id, for_update=True)
    if request is None:
        raise ReexaminationNotFound(f"复查申请 {reexamination_id} 不存在")
    review = await _get_review(session, request.review_id)
    ensure_covers(principal, review.region)
    if request.status == ReexaminationStatus.DECIDED:
        raise ReexaminationAlreadyDecided("该复查申请已办结")
    if update_in.assignee is not None:
        ensure_role(principal, *SUPERVISORS)
        request.assignee = update_in.assignee
        request.status = ReexaminationStatus.ASSIGNED
        await REEXAMINATION_JOURNAL.change(
            session,
            RecordRef(request.id, review.region),
            principal,
            "reexamination.assigned",
            rule_ids=["NA-12"],
            data={"assignee": update_in.assignee},
        )
    if update_in.outcome is not None:
        if request.assignee != principal.subject:
            ensure_role(principal, *SUPERVISORS)
        if request.assignee is None:
            raise ReexaminationUnassigned("复查申请须先指派承办人", rule="NA-12")
        raise_refused(domain.reexamination_outcome_refusal(update_in.outcome_text), error=ProblemError)
        request.outcome = update_in.outcome
        request.outcome_text = update_in.outcome_text
        request.status = ReexaminationStatus.DECIDED
        request.decided_by = principal.subject
        request.decided_at = ctx.clock.now()
        await _publish(
            session,
            review,
            ReexaminationDecided(
                reexamination_id=request.id,
                declaration_id=review.declaration_id,
                outcome=update_in.outcome,
                outcome_text_sealed=ctx.cipher.encrypt(update_in.outcome_text or ""),
            ),
        )
        await REEXAMINATION_JOURNAL.change(
            session,
            RecordRef(request.id, review.region),
            principal,
            "reexamination.decided",
            reason=update_in.outcome_text,
            rule_ids=["NA-12"],
            data={"outcome": update_in.outcome},
        )
    if update_in.assignee is None and update_in.outcome is None:
        raise ProblemError(
            "请指派承办人或作出复查结论",
            code="nothing_to_do",
            errors=[FieldError(field="assignee", code="required", message="assignee 或 outcome 至少一项")],
        )
    return request


# --- Statistics -----------------------------------------------------------------------------


async def statistics(session: AsyncSession, *, ctx: ReviewContext, principal: Principal) -> list[StepStatistics]:
    """Per step: waiting, overdue, and the median and p90 working days spent (closed stays); a ``StatisticsReader``."""
    repository = ReviewRepository(session)
    open_counts = await repository.open_visit_counts(principal, ctx.today())
    spent: dict[str, Counter[int]] = defaultdict(Counter)
    for key, arrived, left, count in await repository.closed_spans(principal):
        spent[key][ctx.calendar.working_days_between(arrived, left)] += count
    keys: list[str] = []
    for chain in (c for cs in all_chains() for c in cs.chains):
        keys.extend(s.key for s in chain.steps if s.key not in keys)
    return [
        StepStatistics(
            step_key=key,
            waiting=open_counts.get(key, (0, 0))[0],
            overdue=open_counts.get(key, (0, 0))[1],
            completed=sum(spent[key].values()),
            median_working_days=domain.counted_median(spent[key]),
            p90_working_days=domain.counted_percentile(spent[key], 0.9),
        )
        for key in keys
    ]


# --- Years whose holiday arrangement was loaded (issue 11 §5, NA-14) ---------------------------


async def recompute_deadlines(session: AsyncSession, *, ctx: ReviewContext, years: frozenset[int]) -> int:
    """Recompute every open deadline counted through ``years`` with the calendar as it is now.

    Correction deadlines (RV-3) of returned declarations, the due days of review steps and the
    last days of open publicities (RV-6). A deadline that moves, or whose provisional mark
    changes, is updated with a journal entry and an event; the others are left alone, so running
    it twice (another replica, a restart, the same file loaded again) changes nothing further.

    Returns:
        How many deadlines changed.
    """
    if not years:
        return 0
    repository = ReviewRepository(session)
    first, last = years_span(years)
    changed = 0
    for review in await repository.returned_touching(first, last):
        if review.returned_on is None or review.correction_deadline is None:  # excluded by the query
            continue
        days = pack_of(review).parameters.correction_deadline_working_days
        due = domain.correction_deadline(ctx.calendar, review.returned_on, days.value)
        provisional = ctx.calendar.is_provisional_span(review.returned_on, due)
        if (due, provisional) == (review.correction_deadline, review.correction_deadline_provisional):
            continue
        previous = review.correction_deadline
        review.correction_deadline, review.correction_deadline_provisional = due, provisional
        await _deadline_changed(
            session,
            ctx=ctx,
            review=review,
            kind="correction",
            previous=previous,
            due=due,
            years=years,
            provisional=provisional,
            rule_ids=[days.rule, "NA-14"],
        )
        changed += 1
    for review in await repository.in_review_touching(first, last):
        step = step_of(ctx, review)
        step_due = domain.step_due(ctx.calendar, review.step_since, step)
        if step_due is None or review.step_due is None:
            continue
        provisional = ctx.calendar.is_provisional_span(review.step_since, step_due)
        if (step_due, provisional) == (review.step_due, review.step_due_provisional):
            continue
        previous = review.step_due
        review.step_due, review.step_due_provisional = step_due, provisional
        visit = await repository.open_visit(review.id)
        if visit is not None:
            visit.due_on = step_due
        await _deadline_changed(
            session,
            ctx=ctx,
            review=review,
            kind="step",
            previous=previous,
            due=step_due,
            years=years,
            provisional=provisional,
            rule_ids=["CH-4", "NA-14"],
        )
        changed += 1
    for publicity in await repository.open_publicities_touching(first, last):
        changed += await _recompute_publicity(session, ctx=ctx, publicity=publicity, years=years)
    return changed


async def _deadline_changed(
    session: AsyncSession,
    *,
    ctx: ReviewContext,
    review: Review,
    kind: Literal["correction", "step"],
    previous: date,
    due: date,
    provisional: bool,
    years: frozenset[int],
    rule_ids: list[str],
) -> None:
    review.updated_at = ctx.clock.now()
    moved = previous != due
    await REVIEW_JOURNAL.change(
        session,
        review,
        system_actor(review.region, service="review"),
        f"review.deadline.{'moved' if moved else 'confirmed'}",
        event=DeclarationDeadlineChanged(
            declaration_id=review.declaration_id,
            deadline_kind=kind,
            previous=previous,
            due=due,
            provisional=provisional,
            moved=moved,
            calendar_years=sorted(years),
        ),
        reason=recomputed_reason(years),
        rule_ids=rule_ids,
        policy_pack=review.policy_pack,
        data={"deadline": kind, "previous": previous.isoformat(), "due": due.isoformat(), "provisional": provisional},
        subject=str(review.declaration_id),
    )


async def _recompute_publicity(
    session: AsyncSession, *, ctx: ReviewContext, publicity: Publicity, years: frozenset[int]
) -> int:
    parameter = pack_of(publicity).parameters.publicity_working_days
    open_through = domain.publicity_open_through(ctx.calendar, publicity.opened_on, parameter.value)
    provisional = ctx.calendar.is_provisional_span(publicity.opened_on, open_through)
    if (open_through, provisional) == (publicity.open_through, publicity.open_through_provisional):
        return 0
    previous = publicity.open_through
    publicity.open_through, publicity.open_through_provisional = open_through, provisional
    reviews = await ReviewRepository(session).reviews_in_publicity(publicity.id)
    for review in reviews:
        review.step_due, review.step_due_provisional = open_through, provisional
    moved = previous != open_through
    await PUBLICITY_JOURNAL.change(
        session,
        publicity,
        system_actor(publicity.region, service="review"),
        f"publicity.window.{'moved' if moved else 'confirmed'}",
        event=PublicityWindowChanged(
            publicity_id=publicity.id,
            previous_open_through=previous,
            open_through=open_through,
            provisional=provisional,
            moved=moved,
            review_ids=[r.id for r in reviews],
            calendar_years=sorted(years),
        ),
        reason=recomputed_reason(years, "公示期"),
        rule_ids=[parameter.rule, "NA-14"],
        policy_pack=publicity.policy_pack,
        data={"previous": previous.isoformat(), "open_through": open_through.isoformat(), "provisional": provisional},
    )
    return 1
