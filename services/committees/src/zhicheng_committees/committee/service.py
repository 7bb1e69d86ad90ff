"""Use cases of committees: filing, approval, re-filing, sanctions, scope, the expiry timer.

No HTTP here and no commit (the unit of work commits). Every state change appends to the journal
and writes its event to the outbox in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_committees.committee.domain import (
    CommitteeKind,
    CommitteeStatus,
    FilingReason,
    FilingStatus,
    SanctionKind,
    Scope,
    composition_refusals,
    evaluation_refusal,
    filing_approval_refusal,
    in_scope,
    kind_refusals,
    may_decide,
    refiling_refusal,
    sanction_refusal,
    status_after_sanction,
    validity,
)
from zhicheng_committees.committee.errors import (
    CommitteeNotFound,
    FilingAlreadyDecided,
    FilingNotFound,
    FilingPending,
    NotCommitteeOffice,
)
from zhicheng_committees.committee.events import (
    CommitteeApplied,
    CommitteeApproved,
    CommitteeExpired,
    CommitteePowerWithdrawn,
    CommitteeRefiled,
    CommitteeRejected,
    CommitteeResumed,
    CommitteeSanctioned,
    CommitteeSuspended,
)
from zhicheng_committees.committee.models import Committee, Filing, Sanction
from zhicheng_committees.committee.repository import CommitteeRepository
from zhicheng_committees.committee.schemas import (
    CommitteePage,
    CommitteeRead,
    FilingCreate,
    FilingDecision,
    FilingPage,
    FilingRead,
    ResumptionCreate,
    SanctionCreate,
    ScopeMatch,
    ScopeResult,
)
from zhicheng_committees.deps import Tools, invalid_payload
from zhicheng_common.audit import session_clock
from zhicheng_common.auth import Principal, ensure_covers, system_actor
from zhicheng_common.clock import china_today
from zhicheng_common.events.outbox import record_event
from zhicheng_common.ids import uuid7
from zhicheng_common.journaling import RecordJournal, journal_read
from zhicheng_common.pii import PiiCipher, mask_identifier
from zhicheng_common.policy import PolicyPack, applicable_pack, pack_by_id
from zhicheng_common.problems import Conflict, Forbidden, RuleRefused
from zhicheng_common.reference import code_name
from zhicheng_common.refusals import raise_refused, refused
from zhicheng_common.schemas import fields_of, from_record
from zhicheng_common.series import Level, load_series_catalog

log = structlog.get_logger()
COMMITTEES = RecordJournal("committee")
FILINGS = RecordJournal("filing")


def filing_read(filing: Filing, cipher: PiiCipher) -> FilingRead:
    """A filing as callers see it: the organizer's credit code masked."""
    return from_record(
        FilingRead,
        filing,
        organizer_credit_code=mask_identifier(cipher.decrypt(filing.organizer_credit_code_encrypted)),
    )


def committee_read(
    committee: Committee, filing: Filing, pending_id: uuid.UUID | None, cipher: PiiCipher
) -> CommitteeRead:
    return from_record(CommitteeRead, committee, filing=filing_read(filing, cipher), pending_filing_id=pending_id)


async def ensure_acts_for(repo: CommitteeRepository, actor: Principal, committee_id: uuid.UUID) -> None:
    """403 for a committee office acting on a committee it is not the office of (issue 12)."""
    if not await repo.acts_for(actor, committee_id):
        raise NotCommitteeOffice(f"您不是评审委员会 {committee_id} 的办公室，不能查看或办理其事项")


async def committee_or_404(
    repo: CommitteeRepository, committee_id: uuid.UUID, *, for_update: bool = False
) -> Committee:
    committee = await repo.get(committee_id, for_update=for_update)
    if committee is None:
        raise CommitteeNotFound(f"评委会 {committee_id} 不存在")
    return committee


async def _shown_filing(repo: CommitteeRepository, committee: Committee) -> Filing:
    return (await repo.shown_filings([committee]))[committee.id]


async def get_committee(
    session: AsyncSession, *, actor: Principal, committee_id: uuid.UUID, tools: Tools
) -> CommitteeRead:
    """One committee; 404 when missing, 403 outside the caller's jurisdiction. The read is journaled."""
    repo = CommitteeRepository(session)
    committee = await committee_or_404(repo, committee_id)
    ensure_covers(actor, committee.region)
    await ensure_acts_for(repo, actor, committee.id)
    await journal_read(session, actor=actor, action="committee.read", record_type="committee", records=[committee])
    pending = await repo.pending_filing_ids([committee.id])
    return committee_read(committee, await _shown_filing(repo, committee), pending.get(committee.id), tools.cipher)


async def committee_history(
    session: AsyncSession, *, actor: Principal, committee_id: uuid.UUID, tools: Tools
) -> list[FilingRead]:
    """Every filing of a committee, oldest first (CM-2: old filings stay as history)."""
    repo = CommitteeRepository(session)
    committee = await committee_or_404(repo, committee_id)
    ensure_covers(actor, committee.region)
    await ensure_acts_for(repo, actor, committee.id)
    filings = await repo.filings_of(committee.id)
    await journal_read(session, actor=actor, action="filing.read", record_type="filing", records=filings)
    return [filing_read(f, tools.cipher) for f in filings]


async def list_committees(
    session: AsyncSession,
    *,
    actor: Principal,
    status: CommitteeStatus | None,
    region: str | None,
    expiring_within_days: int | None,
    limit: int,
    offset: int,
    tools: Tools,
) -> CommitteePage:
    """Committees in the caller's jurisdiction, by status, region, or expiring within N days."""
    if region is not None:
        ensure_covers(actor, region)
    repo = CommitteeRepository(session)
    expiring_by = tools.today + timedelta(days=expiring_within_days) if expiring_within_days is not None else None
    rows, total = await repo.page_readable_by(
        actor, status=status, region=region, expiring_by=expiring_by, limit=limit, offset=offset
    )
    shown = await repo.shown_filings(rows)
    pending = await repo.pending_filing_ids([c.id for c in rows])
    items = [committee_read(c, shown[c.id], pending.get(c.id), tools.cipher) for c in rows]
    await journal_read(session, actor=actor, action="committee.read", record_type="committee", records=rows)
    return CommitteePage(items=items, total=total, limit=limit, offset=offset)


async def list_filings(
    session: AsyncSession,
    *,
    actor: Principal,
    status: FilingStatus | None,
    region: str | None,
    limit: int,
    offset: int,
    tools: Tools,
) -> FilingPage:
    """Filings in the caller's jurisdiction, by status (e.g. the pending ones to decide)."""
    if region is not None:
        ensure_covers(actor, region)
    rows, total = await CommitteeRepository(session).filings_page_readable_by(
        actor, status=status, region=region, limit=limit, offset=offset
    )
    await journal_read(session, actor=actor, action="filing.read", record_type="filing", records=rows)
    return FilingPage(items=[filing_read(f, tools.cipher) for f in rows], total=total, limit=limit, offset=offset)


async def get_filing(session: AsyncSession, *, actor: Principal, filing_id: uuid.UUID, tools: Tools) -> FilingRead:
    """One filing; 403 outside the caller's jurisdiction."""
    filing = await CommitteeRepository(session).get_filing(filing_id)
    if filing is None:
        raise FilingNotFound(f"备案申请 {filing_id} 不存在")
    ensure_covers(actor, filing.region)
    await ensure_acts_for(CommitteeRepository(session), actor, filing.committee_id)
    await journal_read(session, actor=actor, action="filing.read", record_type="filing", records=[filing])
    return filing_read(filing, tools.cipher)


def _check_filing(filing_in: FilingCreate) -> PolicyPack:
    """Specialties of the series (422), then the rules of composition and kind (409 with the rule id)."""
    series = load_series_catalog().get(filing_in.series)
    if series is not None and series.specialties:
        unknown = [s for s in filing_in.specialties if s not in series.specialties]
        if unknown:
            raise invalid_payload([("specialties", f"{series.name}系列没有以下专业：{'、'.join(unknown)}")])
    pack = applicable_pack(filing_in.policy_pack, filing_in.region)  # of the committee's own jurisdiction
    refusals = composition_refusals(
        pack,
        levels=filing_in.levels,
        basis=filing_in.formation_basis,
        specialties=filing_in.specialties,
        member_count=filing_in.member_count,
    )
    refusals += kind_refusals(pack, kind=filing_in.kind, series=filing_in.series, levels=filing_in.levels)
    if refusals:
        raise refused(refusals)
    return pack


#: What a filing keeps of its request as given.
FILED_AS_GIVEN = (
    "region",
    "name",
    "organizer_name",
    "kind",
    "formation_basis",
    "series",
    "member_count",
    "policy_pack",
)


async def _file(
    session: AsyncSession,
    repo: CommitteeRepository,
    filing_in: FilingCreate,
    *,
    committee: Committee,
    reason: FilingReason,
    actor: Principal,
    tools: Tools,
) -> Filing:
    """A filing application of ``committee`` (new, CM-1, or a re-filing, CM-2), pending, journaled with
    its ``committees.filing.applied``; a committee's filings are numbered from 1."""
    cipher = tools.cipher
    filing = Filing(
        committee_id=committee.id,
        sequence=await repo.next_sequence(committee.id),
        reason=reason,
        status=FilingStatus.PENDING,
        **fields_of(filing_in, *FILED_AS_GIVEN),
        organizer_credit_code_hash=cipher.keyed_hash(filing_in.organizer_credit_code),
        organizer_credit_code_encrypted=cipher.encrypt(filing_in.organizer_credit_code),
        specialties=list(filing_in.specialties),
        levels=list(filing_in.levels),
        scope_regions=list(filing_in.scope_regions),
        scope_ownership_kinds=[str(k) for k in filing_in.scope_ownership_kinds],
        documents=[d.model_dump(mode="json") for d in filing_in.documents],
        office=filing_in.office.model_dump(mode="json"),
        submitted_by=actor.subject,
        submitted_at=session_clock(session).now(),  # the service's clock, not the database's (docs/clock.md)
    )
    repo.add(filing)
    await repo.flush()
    rules = ["CM-1", "NA-1"] if filing.reason == FilingReason.NEW else ["CM-2", "NA-1"]
    await FILINGS.change(
        session,
        filing,
        actor,
        "committee.filing.applied",
        reason=filing.reason,
        rule_ids=rules,
        policy_pack=filing.policy_pack,
        data={"committee_id": str(committee.id), "name": filing.name, "region": filing.region},
        event=from_record(CommitteeApplied, filing, filing_id=filing.id),
        subject=str(committee.id),
    )
    return filing


async def apply_filing(session: AsyncSession, *, actor: Principal, filing_in: FilingCreate, tools: Tools) -> FilingRead:
    """An organizer applies for the approval and filing of a new committee (CM-1)."""
    ensure_covers(actor, filing_in.region)
    _check_filing(filing_in)
    repo = CommitteeRepository(session)
    committee = Committee(id=uuid7(), region=filing_in.region, status=CommitteeStatus.PENDING)
    repo.add(committee)
    await repo.flush()
    filing = await _file(
        session, repo, filing_in, committee=committee, reason=FilingReason.NEW, actor=actor, tools=tools
    )
    log.info("committees.filing.applied", committee_id=str(committee.id), filing_id=str(filing.id))
    return filing_read(filing, tools.cipher)


async def refile(
    session: AsyncSession,
    *,
    actor: Principal,
    committee_id: uuid.UUID,
    filing_in: FilingCreate,
    reason: FilingReason,
    tools: Tools,
) -> FilingRead:
    """A committee re-files on a change of name, organizer or scope, a delegation, or expiry (CM-2)."""
    repo = CommitteeRepository(session)
    committee = await committee_or_404(repo, committee_id, for_update=True)
    ensure_covers(actor, committee.region)
    await ensure_acts_for(repo, actor, committee.id)
    ensure_covers(actor, filing_in.region)
    refusal = refiling_refusal(CommitteeStatus(committee.status), reason)
    if refusal is not None:
        raise refused([refusal])
    if await repo.pending_filing(committee.id) is not None:
        raise FilingPending("该评委会已有待处理的备案申请，请等待核准结果")
    _check_filing(filing_in)
    filing = await _file(session, repo, filing_in, committee=committee, reason=reason, actor=actor, tools=tools)
    return filing_read(filing, tools.cipher)


async def _deciding(
    repo: CommitteeRepository, actor: Principal, committee_id: uuid.UUID, *, for_update: bool = False
) -> tuple[Committee, Filing, PolicyPack]:
    """The committee, its filing in force and that filing's pack, for the department that decides the
    filing (CM-1, CM-3): 404 when the committee is missing, 403 for any other caller."""
    committee = await committee_or_404(repo, committee_id, for_update=for_update)
    filing = await _shown_filing(repo, committee)
    pack = pack_by_id(filing.policy_pack)
    _ensure_authority(pack, actor, levels=filing.levels, region=committee.region)
    return committee, filing, pack


def _ensure_authority(pack: PolicyPack, actor: Principal, *, levels: Sequence[str], region: str) -> None:
    ensure_covers(actor, region)
    refusal = may_decide(pack, actor, levels=_levels(levels), region=region)
    if refusal is not None:
        raise refused(refusal, error=Forbidden)


def _levels(values: Sequence[str]) -> list[Level]:
    allowed: dict[str, Level] = {
        "junior": "junior",
        "intermediate": "intermediate",
        "associate_senior": "associate_senior",
        "senior": "senior",
    }
    return [allowed[v] for v in values]


def _filing_data(committee: Committee, filing: Filing) -> dict[str, object]:
    assert committee.valid_from is not None
    assert committee.valid_until is not None
    return {
        "committee_id": committee.id,
        "filing_id": filing.id,
        "name": filing.name,
        "kind": filing.kind,
        "formation_basis": filing.formation_basis,
        "series": filing.series,
        "specialties": list(filing.specialties),
        "levels": list(filing.levels),
        "scope_regions": list(filing.scope_regions),
        "scope_ownership_kinds": list(filing.scope_ownership_kinds),
        "policy_pack": filing.policy_pack,
        "valid_from": committee.valid_from,
        "valid_until": committee.valid_until,
        "region": filing.region,
        "organizer_name": filing.organizer_name,
        "member_count": filing.member_count,
        "status": committee.status,
    }


#: The one step a filing is decided in (the HR department's approval, CM-1/CM-3), named in its
#: journal entries and in the refusal of a second decision.
FILING_DECISION_STEP = "filing_decision"


async def decide_filing(
    session: AsyncSession, *, actor: Principal, filing_id: uuid.UUID, decision: FilingDecision, tools: Tools
) -> FilingRead:
    """The HR department with authority for the level and region approves or rejects a filing (CM-1, CM-3)."""
    repo = CommitteeRepository(session)
    # Decided once (issue 12): the filing's row is locked and re-read before its state is checked,
    # so of two decisions arriving together the second sees the first's outcome and is refused.
    filing = await repo.get_filing(filing_id, for_update=True)
    if filing is None:
        raise FilingNotFound(f"备案申请 {filing_id} 不存在")
    committee = await committee_or_404(repo, filing.committee_id, for_update=True)
    pack = pack_by_id(filing.policy_pack)
    _ensure_authority(pack, actor, levels=filing.levels, region=filing.region)
    if filing.status != FilingStatus.PENDING:
        raise FilingAlreadyDecided(
            f"备案申请 {filing_id} 的核准步骤已处理（{code_name('filing_statuses', filing.status)}），"
            f"{filing.decided_by or ''} {filing.decided_on.isoformat() if filing.decided_on else ''}".rstrip()
        )
    raise_refused(filing_approval_refusal(CommitteeStatus(committee.status), approve=decision.approve))
    filing.decided_by = actor.subject
    filing.decided_on = tools.today
    filing.opinion = decision.opinion
    rules = [pack.parameters.committee_approval_authorities.rule, "CM-1"]
    if not decision.approve:
        filing.status = FilingStatus.REJECTED
        if committee.current_filing_id is None:
            committee.status = CommitteeStatus.REJECTED
        await FILINGS.change(
            session,
            filing,
            actor,
            "committee.filing.rejected",
            reason=decision.opinion,
            rule_ids=rules,
            policy_pack=pack.id,
            data={"committee_id": str(committee.id), "step": FILING_DECISION_STEP},
            event=CommitteeRejected(committee_id=committee.id, filing_id=filing.id, opinion=decision.opinion),
            subject=str(committee.id),
        )
        return filing_read(filing, tools.cipher)
    previous_id = committee.current_filing_id
    if previous_id is not None:
        previous = await repo.get_filing(previous_id)
        if previous is not None:
            previous.status = FilingStatus.SUPERSEDED
    filing.status = FilingStatus.APPROVED
    committee.current_filing_id = filing.id
    committee.region = filing.region
    committee.valid_from, committee.valid_until = validity(pack, tools.today)
    # CM-10: a re-filing does not lift a suspension; expiry ends with the new validity.
    if committee.status != CommitteeStatus.SUSPENDED:
        committee.status = CommitteeStatus.ACTIVE
    await repo.flush()
    refiled = previous_id is not None
    data = _filing_data(committee, filing)
    event = (
        CommitteeRefiled.model_validate({**data, "previous_filing_id": previous_id, "reason": filing.reason})
        if refiled
        else CommitteeApproved.model_validate(data)
    )
    await FILINGS.change(
        session,
        filing,
        actor,
        "committee.filing.approved",
        reason=decision.opinion,
        rule_ids=[*rules, "CM-2"] if refiled else rules,
        policy_pack=pack.id,
        data={
            "committee_id": str(committee.id),
            "step": FILING_DECISION_STEP,
            "valid_from": committee.valid_from,
            "valid_until": committee.valid_until,
            "previous_filing_id": str(previous_id) if previous_id else None,
        },
        event=event,
        subject=str(committee.id),
    )
    log.info("committees.filing.approved", committee_id=str(committee.id), filing_id=str(filing.id), refiled=refiled)
    return filing_read(filing, tools.cipher)


async def sanction(
    session: AsyncSession, *, actor: Principal, committee_id: uuid.UUID, sanction_in: SanctionCreate, tools: Tools
) -> Sanction:
    """The filing HR department takes a measure against a committee (NA-13); suspension and withdrawal (CM-10)."""
    repo = CommitteeRepository(session)
    committee, _, pack = await _deciding(repo, actor, committee_id, for_update=True)
    needs_deadline = sanction_in.kind in (SanctionKind.SUSPENSION, SanctionKind.RECTIFICATION_ORDER)
    if needs_deadline and sanction_in.rectification_deadline is None:
        raise invalid_payload([("rectification_deadline", "暂停评审和责令整改须规定整改期限")])
    if sanction_in.rectification_deadline is not None and sanction_in.rectification_deadline <= tools.today:
        raise invalid_payload([("rectification_deadline", "整改期限应晚于今天")])
    status = CommitteeStatus(committee.status)
    refusal = sanction_refusal(status, sanction_in.kind)
    if refusal is not None:
        raise refused([refusal])
    row = Sanction(
        committee_id=committee.id,
        kind=sanction_in.kind,
        reason=sanction_in.reason,
        decided_by=actor.subject,
        decided_on=tools.today,
        rectification_deadline=sanction_in.rectification_deadline,
    )
    repo.add(row)
    committee.status = status_after_sanction(status, sanction_in.kind)
    if sanction_in.kind is SanctionKind.SUSPENSION:
        committee.rectification_deadline = sanction_in.rectification_deadline
    await repo.flush()
    rules = (
        ["NA-13", "CM-10"]
        if sanction_in.kind in (SanctionKind.SUSPENSION, SanctionKind.POWER_WITHDRAWAL)
        else ["NA-13"]
    )
    await COMMITTEES.change(
        session,
        committee,
        actor,
        f"committee.sanction.{sanction_in.kind.value}",
        reason=sanction_in.reason,
        rule_ids=rules,
        policy_pack=pack.id,
        data={"sanction_id": str(row.id), "rectification_deadline": sanction_in.rectification_deadline},
        event=CommitteeSanctioned(
            committee_id=committee.id,
            sanction_id=row.id,
            kind=sanction_in.kind,
            reason=sanction_in.reason,
            decided_on=tools.today,
            rectification_deadline=sanction_in.rectification_deadline,
        ),
    )
    region = committee.region
    if sanction_in.kind is SanctionKind.SUSPENSION:
        await record_event(
            session,
            CommitteeSuspended(
                committee_id=committee.id,
                reason=sanction_in.reason,
                rectification_deadline=sanction_in.rectification_deadline,
            ),
            subject=str(committee.id),
            region=region,
        )
    if sanction_in.kind is SanctionKind.POWER_WITHDRAWAL:
        await record_event(
            session,
            CommitteePowerWithdrawn(committee_id=committee.id, reason=sanction_in.reason),
            subject=str(committee.id),
            region=region,
        )
    return row


async def resume(
    session: AsyncSession, *, actor: Principal, committee_id: uuid.UUID, resumption_in: ResumptionCreate, tools: Tools
) -> CommitteeRead:
    """A suspended committee that has rectified evaluates again (CM-10)."""
    repo = CommitteeRepository(session)
    committee, filing, pack = await _deciding(repo, actor, committee_id, for_update=True)
    if committee.status != CommitteeStatus.SUSPENDED:
        raise Conflict(
            f"评委会当前状态为{code_name('committee_statuses', committee.status)}，无需恢复",
            code="not_suspended",
            rule="CM-10",
        )
    committee.status = CommitteeStatus.ACTIVE
    committee.rectification_deadline = None
    await COMMITTEES.change(
        session,
        committee,
        actor,
        "committee.resumed",
        reason=resumption_in.reason,
        rule_ids=["CM-10"],
        policy_pack=pack.id,
        event=CommitteeResumed(committee_id=committee.id, reason=resumption_in.reason),
    )
    await repo.flush()
    return committee_read(committee, filing, None, tools.cipher)


async def list_sanctions(session: AsyncSession, *, actor: Principal, committee_id: uuid.UUID) -> Sequence[Sanction]:
    """The measures taken against a committee, oldest first."""
    repo = CommitteeRepository(session)
    committee = await committee_or_404(repo, committee_id)
    ensure_covers(actor, committee.region)
    await ensure_acts_for(repo, actor, committee.id)
    return await repo.sanctions_of(committee.id)


async def scope_query(
    session: AsyncSession,
    *,
    series: str,
    level: str,
    region: str,
    specialty: str | None,
    ownership_kind: str | None,
    tools: Tools,
) -> ScopeResult:
    """The active committees that may evaluate an applicant of this series, level, region, … (CM-4)."""
    rows = await CommitteeRepository(session).active_of_series(series, tools.today)
    items = [
        ScopeMatch(
            committee_id=c.id,
            name=f.name,
            region=c.region,
            kind=CommitteeKind(f.kind),
            series=f.series,
            specialties=list(f.specialties),
            levels=list(f.levels),
            valid_until=c.valid_until,
            policy_pack=f.policy_pack,
        )
        for c, f in rows
        if in_scope(
            Scope(
                series=f.series,
                specialties=tuple(f.specialties),
                levels=tuple(f.levels),
                regions=tuple(f.scope_regions),
                ownership_kinds=tuple(f.scope_ownership_kinds),
            ),
            series=series,
            level=level,
            region=region,
            specialty=specialty,
            ownership_kind=ownership_kind,
        )
    ]
    return ScopeResult(items=items)


def ensure_may_plan(committee: Committee, today: date) -> None:
    """CM-10, CM-2: only an active committee within its validity plans and opens meetings; others name why not."""
    status = CommitteeStatus(committee.status)
    refusal = evaluation_refusal(status, valid_until=committee.valid_until, today=today)
    if refusal is not None:
        raise refused(refusal, error=RuleRefused)


async def expire_committees(session: AsyncSession, now: datetime) -> int:
    """CM-2: committees past their validity end expire, once each, with their event."""
    today = china_today(now)
    rows = await CommitteeRepository(session).claim_expired(today)
    for committee in rows:
        assert committee.valid_until is not None
        committee.status = CommitteeStatus.EXPIRED
        await COMMITTEES.change(
            session,
            committee,
            system_actor(committee.region),
            "committee.expired",
            reason="filing_validity_ended",
            rule_ids=["CM-2", "NA-1"],
            data={"valid_until": committee.valid_until},
            event=CommitteeExpired(
                committee_id=committee.id, valid_until=committee.valid_until, reason="filing_validity_ended"
            ),
        )
        log.info("committees.committee.expired", committee_id=str(committee.id))
    return len(rows)


async def filing_department_of(session: AsyncSession, *, actor: Principal, committee_id: uuid.UUID) -> Filing:
    """CM-1, CM-3, NA-11: the caller must be the department that decides the committee's filing (the HR
    department of its level, or for a self-evaluating unit the department that filed it); 403
    otherwise. Returns the filing in force, whose name the results carry."""
    _, filing, _ = await _deciding(CommitteeRepository(session), actor, committee_id)
    return filing
