"""Use cases of the integrity service. No HTTP here and no commit (the unit of work commits).

Every state change writes, in the caller's transaction: the record (or appeal), a history row
(``record_changes``), a journal entry with the rule ids and policy pack, and, when effects start
or stop, the event the other services act on.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.auth import SYSTEM, Principal, Role, ensure_covers, system_actor
from zhicheng_common.clock import Clock, china_today
from zhicheng_common.events.consumer import PermanentEventError
from zhicheng_common.events.outbox import record_event
from zhicheng_common.ids import uuid7
from zhicheng_common.journaling import RecordJournal, RecordRef
from zhicheng_common.pii import PiiCipher, mask_identifier
from zhicheng_common.policy import NoPolicyPack, PolicyPack, pack_for, resolve_pack
from zhicheng_common.problems import FieldError
from zhicheng_common.refusals import Refusal
from zhicheng_common.regions import is_region_code
from zhicheng_common.schemas import fields_of, from_record
from zhicheng_integrity.auth import STAFF_APPELLANT_ROLES
from zhicheng_integrity.domain import (
    OUTCOME_ACTIONS,
    Effects,
    decision_problems,
    default_valid_until,
    next_status,
    normalize_subject_id,
    record_problems,
    rule_ids_for,
    shared_with_credit_platform,
    subject_id_problem,
    transition_refusal,
    validity_problems,
)
from zhicheng_integrity.errors import (
    AppealNotFound,
    AppealPending,
    InvalidIdentifier,
    InvalidTransition,
    NotOwnSubject,
    NotRecordSubject,
    RecordNotFound,
    SubjectMismatch,
    refuse,
)
from zhicheng_integrity.events import RecordDecided, RecordEffects, RecordExpired, RecordWithdrawn
from zhicheng_integrity.models import Appeal, Record, RecordChange
from zhicheng_integrity.repository import RecordRepository
from zhicheng_integrity.schemas import (
    AppealCreate,
    AppealDecision,
    RecordCreate,
    RecordDecision,
    SubjectQuery,
)

log = structlog.get_logger()

RECORD = "integrity_record"
APPEAL = "integrity_appeal"

JOURNAL = RecordJournal(RECORD)


@dataclass(frozen=True)
class IntegrityContext:
    """The service's context, built once in ``create_app()``: the PII cipher and the clock."""

    cipher: PiiCipher
    clock: Clock


def _validity(
    *, start: date, requested_until: date | None, effects: Effects, pack: PolicyPack
) -> tuple[date, list[Refusal]]:
    """The record's last day in force (requested, else from the pack) and the problems with it."""
    default = default_valid_until(
        start,
        record_years=pack.parameters.integrity_record_years.value,
        bar_years=pack.parameters.integrity_declaring_bar_years.value,
        bars_declaring=effects.bar_declaring,
    )
    until = requested_until or default
    return until, list(validity_problems(start, until, latest=default))


def _check_record(
    *,
    subject_kind: str,
    kind: str,
    effects: Effects,
    start: date,
    requested_until: date | None,
    pack: PolicyPack,
    decided_on: date | None = None,
    today: date | None = None,
) -> date:
    """Refuse an inconsistent record (400/409 naming the fields); return its last day in force."""
    until, validity = _validity(start=start, requested_until=requested_until, effects=effects, pack=pack)
    problems = [*record_problems(subject_kind, kind, effects), *validity]
    if decided_on is not None and today is not None:
        problems.extend(decision_problems(decided_on, today))
    if problems:
        raise refuse(problems)
    return until


def _checked_identifier(subject_kind: str, value: str, *, field: str) -> str:
    problem = subject_id_problem(subject_kind, value)
    if problem is not None:
        raise InvalidIdentifier(problem, errors=[FieldError(field=field, code="value_error", message=problem)])
    return normalize_subject_id(subject_kind, value)


def own_subject_key(actor: Principal, subject_kind: str) -> str | None:
    """The keyed hash of the caller's own bound identity for ``subject_kind``, from the token.

    A person is their verified resident ID (``person_key``); a unit is the unit a unit account is
    bound to (``unit_key``, unit reviewers only). The number a caller types never names the subject.
    """
    if subject_kind == "unit":
        return actor.unit_key if actor.has_role(Role.UNIT_REVIEWER) else None
    return actor.person_key


OWN_SUBJECT_REFUSAL = (
    "只能查询或申诉与您账号绑定的本人证件号码（或本单位信用代码）的记录；如未绑定，请持证件到人社部门办理身份核验"
)


def _ensure_own_subject(actor: Principal, subject_kind: str, subject_key: str) -> None:
    """403 unless ``subject_key`` is the caller's own bound identity; the same answer whatever is stored."""
    own = own_subject_key(actor, subject_kind)
    if own is None or own != subject_key:
        raise NotOwnSubject(OWN_SUBJECT_REFUSAL)


async def _history(
    session: AsyncSession,
    record: Record,
    *,
    actor: Principal,
    action: str,
    from_status: str | None,
    now: datetime,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    RecordRepository(session).add(
        RecordChange(
            record_id=record.id,
            at=now,
            actor=actor.subject,
            action=action,
            from_status=from_status,
            to_status=record.status,
            reason=reason,
            data=data or {},
        )
    )
    record.updated_at = now


async def _journal(
    session: AsyncSession, record: Record, *, actor: Principal, action: str, reason: str | None = None, **data: Any
) -> None:
    await JOURNAL.change(
        session,
        record,
        actor,
        action,
        reason=reason,
        rule_ids=record.rule_ids,
        policy_pack=record.policy_pack,
        data={"status": record.status, "subject_kind": record.subject_kind, "subject_key": record.subject_key, **data},
    )


async def _publish_decided(
    session: AsyncSession, record: Record, *, cipher: PiiCipher, supersedes: uuid.UUID | None = None
) -> None:
    assert record.valid_from is not None
    assert record.valid_until is not None
    # NA-13: what the national credit platform's subscription receives, sealed (docs/feeds.md).
    shared = shared_with_credit_platform(record.kind)
    await record_event(
        session,
        from_record(
            RecordDecided,
            record,
            record_id=record.id,
            effects=RecordEffects.model_validate(record.effects),
            supersedes=supersedes,
            shared_with_credit_platform=shared,
            subject_name_sealed=cipher.encrypt(record.subject_name) if shared and record.subject_name else None,
            subject_id_sealed=record.subject_id_encrypted if shared else None,
            deciding_authority=record.deciding_authority if shared else None,
            decision_date=record.decision_date if shared else None,
        ),
        subject=str(record.id),
        region=record.region,
    )


async def _publish_withdrawn(session: AsyncSession, record: Record, *, superseded_by: uuid.UUID | None = None) -> None:
    await record_event(
        session,
        RecordWithdrawn(
            record_id=record.id,
            subject_kind=record.subject_kind,
            subject_key=record.subject_key,
            outcome="changed" if superseded_by else "withdrawn",
            superseded_by=superseded_by,
            kind=record.kind,
            shared_with_credit_platform=shared_with_credit_platform(record.kind),
        ),
        subject=str(record.id),
        region=record.region,
    )


async def create_record(
    session: AsyncSession, *, actor: Principal, record_in: RecordCreate, ctx: IntegrityContext
) -> Record:
    """Enter a decided record in the actor's jurisdiction and publish its effects (IN-2, NA-13, EL-20).

    Its numbers come from the pack of the record's own region for the year of the decision
    (422 ``no_policy_pack`` when none covers them), and the record keeps that pack's id.
    """
    cipher, now = ctx.cipher, ctx.clock.now()
    region = record_in.region or actor.region
    ensure_covers(actor, region)
    pack = resolve_pack(region, record_in.decision_date.year)
    effects = record_in.effects.to_domain()
    start = record_in.valid_from or record_in.decision_date
    until = _check_record(
        subject_kind=record_in.subject_kind,
        kind=record_in.kind,
        effects=effects,
        start=start,
        requested_until=record_in.valid_until,
        pack=pack,
        decided_on=record_in.decision_date,
        today=china_today(now),
    )
    same = ("subject_kind", "subject_name", "kind", "facts", "deciding_authority", "decision_date", "committee_id")
    record = Record(
        id=uuid7(),
        **fields_of(record_in, *same),
        subject_key=cipher.keyed_hash(record_in.subject_id_number),
        subject_id_encrypted=cipher.encrypt(record_in.subject_id_number),
        subject_id_masked=mask_identifier(record_in.subject_id_number),
        evidence=[e.model_dump(mode="json") for e in record_in.evidence],
        effects=effects.as_dict(),
        valid_from=start,
        valid_until=until,
        region=region,
        status="decided",
        source="manual",
        rule_ids=rule_ids_for(record_in.kind, effects),
        policy_pack=pack.id,
        created_by=actor.subject,
        created_at=now,
        updated_at=now,
    )
    repository = RecordRepository(session)
    repository.add(record)
    await repository.flush()
    await _history(session, record, actor=actor, action="decide", from_status=None, now=now)
    await _journal(session, record, actor=actor, action="integrity.record.decided", effects=record.effects)
    await _publish_decided(session, record, cipher=cipher)
    log.info("integrity.record.decided", record_id=str(record.id), region=region, kind=record.kind)
    return record


async def open_record_from_review(
    session: AsyncSession,
    *,
    event_id: str,
    region: str | None,
    declaration_id: uuid.UUID,
    applicant_key: str,
    facts: str,
    rule_ids: Sequence[str],
    now: datetime,
) -> Record:
    """Open a proposed record from review's ``review.integrity.requested`` (IN-1); HR staff decide it.

    The record is bound to the pack of its region for this year; a region no pack covers is a
    permanent error (dead-lettered, to be replayed once a pack is shipped), never another pack.
    """
    if region is None or not is_region_code(region):
        raise PermanentEventError(f"review.integrity.requested without a valid region: {region!r}")
    try:
        pack = resolve_pack(region, china_today(now).year)
    except NoPolicyPack as exc:
        raise PermanentEventError(f"review.integrity.requested for a region no policy pack covers: {exc}") from exc
    existing = await RecordRepository(session).get_by_source_event(event_id)
    if existing is not None:
        return existing
    kind = "falsified_materials"
    proposed_effects = Effects(bar_declaring=True)  # NA-13's default for fraud; the decision may change it
    record = Record(
        id=uuid7(),
        subject_kind="person",
        subject_key=applicant_key,
        kind=kind,
        facts=facts,
        evidence=[],
        effects=proposed_effects.as_dict(),
        region=region,
        status="proposed",
        source="event",
        source_event_id=event_id,
        declaration_id=declaration_id,
        rule_ids=sorted({*rule_ids_for(kind, proposed_effects), *rule_ids}),
        policy_pack=pack.id,
        created_by=SYSTEM.subject,
        created_at=now,
        updated_at=now,
    )
    repository = RecordRepository(session)
    repository.add(record)
    await repository.flush()
    actor = system_actor(region)
    await _history(session, record, actor=actor, action="propose", from_status=None, now=now, reason="审核环节移交")
    await _journal(
        session,
        record,
        actor=actor,
        action="integrity.record.proposed",
        reason="review.integrity.requested",
        declaration_id=str(declaration_id),
        event_id=event_id,
    )
    log.info("integrity.record.proposed", record_id=str(record.id), declaration_id=str(declaration_id))
    return record


async def _locked_record(session: AsyncSession, record_id: uuid.UUID) -> Record:
    record = await RecordRepository(session).get(record_id, for_update=True)
    if record is None:
        raise RecordNotFound(f"诚信记录 {record_id} 不存在")
    return record


def _move(record: Record, action: str) -> str:
    """Apply ``action`` to the record's status (409 when its state does not allow it); returns the old status."""
    target = next_status(record.status, action)
    if target is None:
        raise InvalidTransition(transition_refusal(record.status, action))
    previous = record.status
    record.status = target
    return previous


async def decide_record(
    session: AsyncSession, *, actor: Principal, record_id: uuid.UUID, decision_in: RecordDecision, ctx: IntegrityContext
) -> Record:
    """Decide a record proposed by review: its effects start and are published (IN-1, NA-13, EL-20).

    The numbers are those of the pack the record was bound to when proposed (an id no pack has:
    422 ``unknown_policy_pack``).
    """
    cipher, now = ctx.cipher, ctx.clock.now()
    record = await _locked_record(session, record_id)
    ensure_covers(actor, record.region)
    pack = pack_for(record)
    if next_status(record.status, "decide") is None:
        raise InvalidTransition(transition_refusal(record.status, "decide"))
    if decision_in.subject_id_number is not None:
        number = _checked_identifier(record.subject_kind, decision_in.subject_id_number, field="subject_id_number")
        if cipher.keyed_hash(number) != record.subject_key:
            raise SubjectMismatch(
                "所填证件号码与审核环节移交的申报人不符",
                errors=[
                    FieldError(field="subject_id_number", code="subject_mismatch", message="证件号码与记录对象不符")
                ],
            )
        record.subject_id_encrypted = cipher.encrypt(number)
        record.subject_id_masked = mask_identifier(number)
    kind = decision_in.kind or record.kind
    effects = decision_in.effects.to_domain()
    until = _check_record(
        subject_kind=record.subject_kind,
        kind=kind,
        effects=effects,
        start=decision_in.decision_date,
        requested_until=decision_in.valid_until,
        pack=pack,
        decided_on=decision_in.decision_date,
        today=china_today(now),
    )
    previous = _move(record, "decide")
    record.kind = kind
    record.effects = effects.as_dict()
    record.deciding_authority = decision_in.deciding_authority
    record.decision_date = decision_in.decision_date
    record.valid_from = decision_in.decision_date
    record.valid_until = until
    record.rule_ids = sorted({*record.rule_ids, *rule_ids_for(kind, effects)})
    if decision_in.evidence:
        record.evidence = [*record.evidence, *(e.model_dump(mode="json") for e in decision_in.evidence)]
    if decision_in.subject_name:
        record.subject_name = decision_in.subject_name
    await _history(session, record, actor=actor, action="decide", from_status=previous, now=now)
    await _journal(session, record, actor=actor, action="integrity.record.decided", effects=record.effects)
    await _publish_decided(session, record, cipher=cipher)
    log.info("integrity.record.decided", record_id=str(record.id), region=record.region, kind=record.kind)
    return record


async def file_appeal(
    session: AsyncSession, *, actor: Principal, record_id: uuid.UUID, appeal_in: AppealCreate, ctx: IntegrityContext
) -> Appeal:
    """File an appeal: by the subject (proving their identifier) or by HR staff for them; the record is frozen."""
    cipher, now = ctx.cipher, ctx.clock.now()
    record = await _locked_record(session, record_id)
    staff = actor.has_role(*STAFF_APPELLANT_ROLES)
    if staff:
        ensure_covers(actor, record.region)
    else:
        # The subject is who the token says the caller is, never a number the caller types.
        if own_subject_key(actor, record.subject_kind) != record.subject_key:
            raise NotRecordSubject("您账号绑定的身份不是该记录的当事人")
    if appeal_in.subject_id_number is not None:
        number = _checked_identifier(record.subject_kind, appeal_in.subject_id_number, field="subject_id_number")
        if cipher.keyed_hash(number) != record.subject_key:
            raise NotRecordSubject("证件号码与该记录的当事人不符")
    repository = RecordRepository(session)
    if await repository.open_appeal(record.id) is not None:
        raise AppealPending("该记录已有待处理的申诉，处理完毕前不能再次申诉")
    previous = _move(record, "appeal")
    appeal = Appeal(
        id=uuid7(),
        record_id=record.id,
        status="open",
        grounds=appeal_in.grounds,
        evidence=[e.model_dump(mode="json") for e in appeal_in.evidence],
        filed_as="staff" if staff else "subject",
        filed_by=actor.subject,
        filed_at=now,
    )
    repository.add(appeal)
    await _history(
        session, record, actor=actor, action="appeal", from_status=previous, now=now, data={"appeal_id": str(appeal.id)}
    )
    await _journal(
        session,
        record,
        actor=actor,
        action="integrity.appeal.filed",
        appeal_id=str(appeal.id),
        filed_as=appeal.filed_as,
    )
    log.info("integrity.appeal.filed", record_id=str(record.id), appeal_id=str(appeal.id))
    return appeal


async def decide_appeal(
    session: AsyncSession,
    *,
    actor: Principal,
    record_id: uuid.UUID,
    appeal_id: uuid.UUID,
    decision_in: AppealDecision,
    now: datetime,
    cipher: PiiCipher,
) -> Appeal:
    """Uphold, change or withdraw an appealed record; a change supersedes it with a new record, nothing is deleted.

    A change is judged by the pack the record was decided under, which the replacement keeps.
    """
    record = await _locked_record(session, record_id)
    ensure_covers(actor, record.region)
    repository = RecordRepository(session)
    appeal = await repository.get_appeal(record.id, appeal_id, for_update=True)
    if appeal is None:
        raise AppealNotFound(f"记录 {record_id} 没有申诉 {appeal_id}")
    if appeal.status != "open":
        raise InvalidTransition("申诉已处理，不能再次处理")
    action = OUTCOME_ACTIONS[decision_in.outcome]
    if next_status(record.status, action) is None:
        raise InvalidTransition(transition_refusal(record.status, action))
    replacement: Record | None = None
    if decision_in.outcome == "changed":
        replacement = _replacement(record, decision_in, actor=actor, pack=pack_for(record), now=now)
        repository.add(replacement)
        await repository.flush()
    previous = _move(record, action)
    appeal.status = decision_in.outcome
    appeal.decided_by = actor.subject
    appeal.decided_at = now
    appeal.decision_reason = decision_in.reason
    history = {"appeal_id": str(appeal.id)}
    reason = decision_in.reason

    async def decided(step: str, action: str) -> None:
        """The appealed record's history step and journal entry for this decision."""
        await _history(
            session, record, actor=actor, action=step, from_status=previous, now=now, reason=reason, data=history
        )
        await _journal(session, record, actor=actor, action=action, reason=reason, **history)

    if decision_in.outcome == "upheld":
        await decided("uphold", "integrity.appeal.upheld")
    elif decision_in.outcome == "withdrawn":
        record.withdrawn_at = now
        await decided("withdraw", "integrity.record.withdrawn")
        await _publish_withdrawn(session, record)
    else:
        assert replacement is not None
        record.withdrawn_at = now
        record.superseded_by_id = replacement.id
        appeal.replacement_record_id = replacement.id
        history["replacement_record_id"] = str(replacement.id)
        await decided("supersede", "integrity.record.superseded")
        await _history(
            session,
            replacement,
            actor=actor,
            action="decide",
            from_status=None,
            now=now,
            reason=decision_in.reason,
            data={"supersedes": str(record.id)},
        )
        await _journal(
            session,
            replacement,
            actor=actor,
            action="integrity.record.decided",
            reason=decision_in.reason,
            supersedes=str(record.id),
            effects=replacement.effects,
        )
        await _publish_withdrawn(session, record, superseded_by=replacement.id)
        await _publish_decided(session, replacement, cipher=cipher, supersedes=record.id)
    log.info("integrity.appeal.decided", record_id=str(record.id), appeal_id=str(appeal.id), outcome=appeal.status)
    return appeal


#: What a record changed on appeal keeps of the record it replaces: its subject, decision and start.
KEPT_ON_APPEAL = (
    "subject_kind",
    "subject_key",
    "subject_id_encrypted",
    "subject_id_masked",
    "subject_name",
    "evidence",
    "deciding_authority",
    "decision_date",
    "committee_id",
    "valid_from",
    "region",
    "source",
    "declaration_id",
)


def _replacement(
    record: Record, decision_in: AppealDecision, *, actor: Principal, pack: PolicyPack, now: datetime
) -> Record:
    """The record that replaces one changed on appeal: same subject and start, the changed values."""
    changes = decision_in.changes
    assert changes is not None
    assert record.valid_from is not None
    kind = changes.kind or record.kind
    effects = Effects.from_dict(record.effects)
    if changes.effects is not None:
        given = changes.effects.model_dump(exclude_unset=True)
        effects = Effects.from_dict({**effects.as_dict(), **given})
    requested = changes.valid_until
    if requested is None and record.valid_until is not None:
        # Keep the old end unless it no longer fits the new effects (e.g. a dropped declaring bar).
        _, problems = _validity(start=record.valid_from, requested_until=record.valid_until, effects=effects, pack=pack)
        requested = None if problems else record.valid_until
    until = _check_record(
        subject_kind=record.subject_kind,
        kind=kind,
        effects=effects,
        start=record.valid_from,
        requested_until=requested,
        pack=pack,
    )
    return Record(
        id=uuid7(),
        **fields_of(record, *KEPT_ON_APPEAL),
        kind=kind,
        facts=changes.facts or record.facts,
        effects=effects.as_dict(),
        valid_until=until,
        status="decided",
        rule_ids=rule_ids_for(kind, effects),
        policy_pack=pack.id,
        supersedes_id=record.id,
        created_by=actor.subject,
        created_at=now,
        updated_at=now,
    )


async def expire_lapsed(session: AsyncSession, *, now: datetime) -> int:
    """Expire every record in force whose validity ended before today (Beijing); each publishes its event once."""
    today = china_today(now)
    repository = RecordRepository(session)
    records = await repository.claim_lapsed(today)
    for record in records:
        actor = system_actor(record.region)
        previous = _move(record, "expire")
        record.expired_at = now
        appeal = await repository.open_appeal(record.id)
        if appeal is not None:  # the record lapsed before the appeal was decided: nothing left to decide
            appeal.status = "lapsed"
            appeal.decided_by = SYSTEM.subject
            appeal.decided_at = now
            appeal.decision_reason = "记录有效期届满，申诉终结"
        await _history(
            session, record, actor=actor, action="expire", from_status=previous, now=now, reason="有效期届满"
        )
        await _journal(
            session, record, actor=actor, action="integrity.record.expired", valid_until=str(record.valid_until)
        )
        assert record.valid_until is not None
        await record_event(
            session,
            RecordExpired(
                record_id=record.id,
                subject_kind=record.subject_kind,
                subject_key=record.subject_key,
                valid_until=record.valid_until,
                kind=record.kind,
                shared_with_credit_platform=shared_with_credit_platform(record.kind),
            ),
            subject=str(record.id),
            region=record.region,
        )
        log.info("integrity.record.expired", record_id=str(record.id), valid_until=str(record.valid_until))
    return len(records)


# --- reads: every one is journaled (who, whose, when) ---------------------------------------------


async def get_record(
    session: AsyncSession, *, actor: Principal, record_id: uuid.UUID
) -> tuple[Record, Sequence[Appeal], Sequence[RecordChange]]:
    """One record with its appeals and history; 403 outside the actor's jurisdiction. The read is journaled."""
    repository = RecordRepository(session)
    record = await repository.get(record_id)
    if record is None:
        raise RecordNotFound(f"诚信记录 {record_id} 不存在")
    ensure_covers(actor, record.region)
    await _journal(session, record, actor=actor, action="integrity.record.read")
    return record, await repository.appeals_of(record.id), await repository.history_of(record.id)


async def list_records(
    session: AsyncSession,
    *,
    actor: Principal,
    kind: str | None = None,
    region: str | None = None,
    year: int | None = None,
    status: str | None = None,
    subject_kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Record], int]:
    """One page of the records in the actor's jurisdiction matching the filters. The read is journaled."""
    if region is not None:
        ensure_covers(actor, region)
    records, total = await RecordRepository(session).page_readable_by(
        actor, kind=kind, region=region, year=year, status=status, subject_kind=subject_kind, limit=limit, offset=offset
    )
    filters = {"kind": kind, "region": region, "year": year, "status": status, "subject_kind": subject_kind}
    await JOURNAL.change(
        session,
        RecordRef("*", region or actor.region),  # the jurisdiction listed
        actor,
        "integrity.record.listed",
        data={
            "filters": {k: v for k, v in filters.items() if v is not None},
            "record_ids": [str(r.id) for r in records],
            "limit": limit,
            "offset": offset,
        },
    )
    return records, total


async def _journal_subject_read(
    session: AsyncSession,
    actor: Principal,
    action: str,
    query: SubjectQuery,
    subject_key: str,
    records: Sequence[Record],
) -> None:
    """A look-up by subject is journaled found or not: the subject's keyed hash and the records found."""
    await JOURNAL.read_all(
        session,
        actor,
        action,
        data={
            "subject_kind": query.subject_kind,
            "subject_key": subject_key,
            "record_ids": [str(r.id) for r in records],
        },
    )


async def find_by_subject(
    session: AsyncSession, *, actor: Principal, query: SubjectQuery, cipher: PiiCipher
) -> Sequence[Record]:
    """Staff: every record on one subject within the actor's jurisdiction. Journaled, found or not."""
    subject_key = cipher.keyed_hash(query.subject_id_number)
    records = await RecordRepository(session).of_subject(query.subject_kind, subject_key, readable_by=actor)
    await _journal_subject_read(session, actor, "integrity.record.searched", query, subject_key, records)
    return records


async def own_records(
    session: AsyncSession, *, actor: Principal, query: SubjectQuery, cipher: PiiCipher
) -> Sequence[Record]:
    """The caller's own decided records, wherever decided (proposals are not yet records). Journaled.

    The number must be the caller's bound identity (403 otherwise, before anything is looked up).
    """
    subject_key = cipher.keyed_hash(query.subject_id_number)
    _ensure_own_subject(actor, query.subject_kind, subject_key)
    records = [
        r for r in await RecordRepository(session).of_subject(query.subject_kind, subject_key) if r.status != "proposed"
    ]
    await _journal_subject_read(session, actor, "integrity.record.read_by_subject", query, subject_key, records)
    return records
