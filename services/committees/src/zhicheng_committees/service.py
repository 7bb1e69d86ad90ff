"""Use cases of the committees service: filing, approval, re-filing, sanctions, plans, scope, timers.

No HTTP here and no commit (the unit of work commits). Every state change appends to the journal
and writes its event to the outbox in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_committees import domain
from zhicheng_committees.domain import (
    CommitteeStatus,
    FilingReason,
    FilingStatus,
    PlanStatus,
    SanctionKind,
)
from zhicheng_committees.errors import (
    CalendarUnknown,
    CommitteeNotFound,
    FilingAlreadyDecided,
    FilingNotFound,
    FilingPending,
    InvalidPayload,
    MeetingNotFound,
    NotCommitteeOffice,
    PlanExists,
    PlanNotFound,
)
from zhicheng_committees.events import (
    CommitteeApplied,
    CommitteeApproved,
    CommitteeExpired,
    CommitteePowerWithdrawn,
    CommitteeRefiled,
    CommitteeRejected,
    CommitteeResumed,
    CommitteeSanctioned,
    CommitteeSuspended,
    MeetingDeadlineChanged,
    MeetingPreFiled,
    PlanChanged,
    PlanPublished,
)
from zhicheng_committees.models import Committee, Filing, Plan, PlanMeeting, Sanction
from zhicheng_committees.repository import CommitteeRepository, PlanRepository
from zhicheng_committees.schemas import (
    CommitteePage,
    CommitteeRead,
    DocumentRef,
    FilingCreate,
    FilingDecision,
    FilingPage,
    FilingRead,
    MeetingDetail,
    MeetingRead,
    Office,
    OverdueMeetingPage,
    OverdueMeetingRead,
    PlanCreate,
    PlanRead,
    PreMeetingFilingCreate,
    ResultsEntryCreate,
    ResumptionCreate,
    SanctionCreate,
    ScopeMatch,
    ScopeResult,
)
from zhicheng_common.audit import append_entry, session_clock
from zhicheng_common.auth import Principal, ensure_covers, system_actor
from zhicheng_common.calendar import UnknownCalendarYear, WorkingDayCalendar
from zhicheng_common.clock import Clock, china_today
from zhicheng_common.events.outbox import record_event
from zhicheng_common.ids import uuid7
from zhicheng_common.journaling import journal_change, journal_read
from zhicheng_common.pii import PiiCipher, mask_identifier
from zhicheng_common.policy import PolicyPack, applicable_pack, pack_by_id, resolve_pack
from zhicheng_common.problems import Conflict, FieldError, Forbidden, RuleRefused
from zhicheng_common.reference import code_name
from zhicheng_common.refusals import Refusal, raise_refused, refused
from zhicheng_common.series import Level, load_series_catalog

log = structlog.get_logger()


@dataclass(frozen=True)
class Tools:
    """What use cases need besides the session: today's date, the calendar and the PII cipher."""

    now: datetime
    today: date
    calendar: WorkingDayCalendar
    cipher: PiiCipher


@dataclass(frozen=True)
class CommitteesContext:
    """The service's context, built once in ``create_app()``: the clock, the working-day calendar and
    the PII cipher."""

    clock: Clock
    calendar: WorkingDayCalendar
    cipher: PiiCipher

    def tools(self) -> Tools:
        """The tools of one request: its instant and today's China date, read once from the clock."""
        now = self.clock.now()
        return Tools(now=now, today=china_today(now), calendar=self.calendar, cipher=self.cipher)


def _invalid(problems: Sequence[tuple[str, str]]) -> InvalidPayload:
    fields = "、".join(field for field, _ in problems)
    return InvalidPayload(
        f"以下字段有误：{fields}",
        errors=[FieldError(field=field, code="value_error", message=message) for field, message in problems],
    )


# --- reading -------------------------------------------------------------------------------------


def filing_read(filing: Filing, cipher: PiiCipher) -> FilingRead:
    """A filing as callers see it: the organizer's credit code masked."""
    return FilingRead(
        id=filing.id,
        committee_id=filing.committee_id,
        sequence=filing.sequence,
        reason=FilingReason(filing.reason),
        status=FilingStatus(filing.status),
        region=filing.region,
        name=filing.name,
        organizer_name=filing.organizer_name,
        organizer_credit_code=mask_identifier(cipher.decrypt(filing.organizer_credit_code_encrypted)),
        kind=domain.CommitteeKind(filing.kind),
        formation_basis=domain.FormationBasis(filing.formation_basis),
        series=filing.series,
        specialties=list(filing.specialties),
        levels=list(filing.levels),
        scope_regions=list(filing.scope_regions),
        scope_ownership_kinds=list(filing.scope_ownership_kinds),
        documents=[DocumentRef.model_validate(d) for d in filing.documents],
        office=Office.model_validate(filing.office),
        member_count=filing.member_count,
        policy_pack=filing.policy_pack,
        submitted_by=filing.submitted_by,
        submitted_at=filing.submitted_at,
        decided_by=filing.decided_by,
        decided_on=filing.decided_on,
        opinion=filing.opinion,
    )


def committee_read(
    committee: Committee, filing: Filing, pending_id: uuid.UUID | None, cipher: PiiCipher
) -> CommitteeRead:
    return CommitteeRead(
        id=committee.id,
        region=committee.region,
        status=CommitteeStatus(committee.status),
        valid_from=committee.valid_from,
        valid_until=committee.valid_until,
        rectification_deadline=committee.rectification_deadline,
        filing=filing_read(filing, cipher),
        pending_filing_id=pending_id,
    )


async def _ensure_acts_for(repo: CommitteeRepository, actor: Principal, committee_id: uuid.UUID) -> None:
    """403 for a committee office acting on a committee it is not the office of (issue 12)."""
    if not await repo.acts_for(actor, committee_id):
        raise NotCommitteeOffice(f"您不是评审委员会 {committee_id} 的办公室，不能查看或办理其事项")


async def _committee(repo: CommitteeRepository, committee_id: uuid.UUID, *, for_update: bool = False) -> Committee:
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
    committee = await _committee(repo, committee_id)
    ensure_covers(actor, committee.region)
    await _ensure_acts_for(repo, actor, committee.id)
    await journal_read(session, actor=actor, action="committee.read", record_type="committee", records=[committee])
    pending = await repo.pending_filing_ids([committee.id])
    return committee_read(committee, await _shown_filing(repo, committee), pending.get(committee.id), tools.cipher)


async def committee_history(
    session: AsyncSession, *, actor: Principal, committee_id: uuid.UUID, tools: Tools
) -> list[FilingRead]:
    """Every filing of a committee, oldest first (CM-2: old filings stay as history)."""
    repo = CommitteeRepository(session)
    committee = await _committee(repo, committee_id)
    ensure_covers(actor, committee.region)
    await _ensure_acts_for(repo, actor, committee.id)
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
    await _ensure_acts_for(CommitteeRepository(session), actor, filing.committee_id)
    await journal_read(session, actor=actor, action="filing.read", record_type="filing", records=[filing])
    return filing_read(filing, tools.cipher)


# --- filing and approval (CM-1, CM-2, CM-3, NA-1) --------------------------------------------


def _check_filing(filing_in: FilingCreate) -> PolicyPack:
    """Specialties of the series (422), then the rules of composition and kind (409 with the rule id)."""
    series = load_series_catalog().get(filing_in.series)
    if series is not None and series.specialties:
        unknown = [s for s in filing_in.specialties if s not in series.specialties]
        if unknown:
            raise _invalid([("specialties", f"{series.name}系列没有以下专业：{'、'.join(unknown)}")])
    pack = applicable_pack(filing_in.policy_pack, filing_in.region)  # of the committee's own jurisdiction
    refusals = domain.composition_refusals(
        pack,
        levels=filing_in.levels,
        basis=filing_in.formation_basis,
        specialties=filing_in.specialties,
        member_count=filing_in.member_count,
    )
    refusals += domain.kind_refusals(pack, kind=filing_in.kind, series=filing_in.series, levels=filing_in.levels)
    if refusals:
        raise refused(refusals)
    return pack


def _new_filing(
    filing_in: FilingCreate,
    *,
    committee_id: uuid.UUID,
    sequence: int,
    reason: FilingReason,
    actor: Principal,
    cipher: PiiCipher,
    submitted_at: datetime,
) -> Filing:
    return Filing(
        committee_id=committee_id,
        sequence=sequence,
        reason=reason,
        status=FilingStatus.PENDING,
        region=filing_in.region,
        name=filing_in.name,
        organizer_name=filing_in.organizer_name,
        organizer_credit_code_hash=cipher.keyed_hash(filing_in.organizer_credit_code),
        organizer_credit_code_encrypted=cipher.encrypt(filing_in.organizer_credit_code),
        kind=filing_in.kind,
        formation_basis=filing_in.formation_basis,
        series=filing_in.series,
        specialties=list(filing_in.specialties),
        levels=list(filing_in.levels),
        scope_regions=list(filing_in.scope_regions),
        scope_ownership_kinds=[str(k) for k in filing_in.scope_ownership_kinds],
        documents=[d.model_dump(mode="json") for d in filing_in.documents],
        office=filing_in.office.model_dump(mode="json"),
        member_count=filing_in.member_count,
        policy_pack=filing_in.policy_pack,
        submitted_by=actor.subject,
        submitted_at=submitted_at,  # the service's clock, not the database's (docs/clock.md)
    )


async def _applied(session: AsyncSession, *, actor: Principal, committee: Committee, filing: Filing) -> None:
    rules = ["CM-1", "NA-1"] if filing.reason == FilingReason.NEW else ["CM-2", "NA-1"]
    await append_entry(
        session,
        actor=actor,
        action="committee.filing.applied",
        record_type="filing",
        record_id=str(filing.id),
        record_region=filing.region,
        reason=filing.reason,
        rule_ids=rules,
        policy_pack=filing.policy_pack,
        data={"committee_id": str(committee.id), "name": filing.name, "region": filing.region},
    )
    await record_event(
        session,
        CommitteeApplied(
            committee_id=committee.id,
            filing_id=filing.id,
            reason=filing.reason,
            name=filing.name,
            series=filing.series,
            levels=list(filing.levels),
            kind=filing.kind,
            region=filing.region,
        ),
        subject=str(committee.id),
        region=filing.region,
    )


async def apply_filing(session: AsyncSession, *, actor: Principal, filing_in: FilingCreate, tools: Tools) -> FilingRead:
    """An organizer applies for the approval and filing of a new committee (CM-1)."""
    ensure_covers(actor, filing_in.region)
    _check_filing(filing_in)
    repo = CommitteeRepository(session)
    committee = Committee(id=uuid7(), region=filing_in.region, status=CommitteeStatus.PENDING)
    repo.add(committee)
    await repo.flush()
    filing = _new_filing(
        filing_in,
        committee_id=committee.id,
        sequence=1,
        reason=FilingReason.NEW,
        actor=actor,
        cipher=tools.cipher,
        submitted_at=session_clock(session).now(),
    )
    repo.add(filing)
    await repo.flush()
    await _applied(session, actor=actor, committee=committee, filing=filing)
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
    committee = await _committee(repo, committee_id, for_update=True)
    ensure_covers(actor, committee.region)
    await _ensure_acts_for(repo, actor, committee.id)
    ensure_covers(actor, filing_in.region)
    refusal = domain.refiling_refusal(CommitteeStatus(committee.status), reason)
    if refusal is not None:
        raise refused([refusal])
    if await repo.pending_filing(committee.id) is not None:
        raise FilingPending("该评委会已有待处理的备案申请，请等待核准结果")
    _check_filing(filing_in)
    filing = _new_filing(
        filing_in,
        committee_id=committee.id,
        sequence=await repo.next_sequence(committee.id),
        reason=reason,
        actor=actor,
        cipher=tools.cipher,
        submitted_at=session_clock(session).now(),
    )
    repo.add(filing)
    await repo.flush()
    await _applied(session, actor=actor, committee=committee, filing=filing)
    return filing_read(filing, tools.cipher)


def _ensure_authority(pack: PolicyPack, actor: Principal, *, levels: Sequence[str], region: str) -> None:
    ensure_covers(actor, region)
    refusal = domain.may_decide(pack, actor, levels=_levels(levels), region=region)
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
    committee = await _committee(repo, filing.committee_id, for_update=True)
    pack = pack_by_id(filing.policy_pack)
    _ensure_authority(pack, actor, levels=filing.levels, region=filing.region)
    if filing.status != FilingStatus.PENDING:
        raise FilingAlreadyDecided(
            f"备案申请 {filing_id} 的核准步骤（{FILING_DECISION_STEP}）已处理：{filing.status}，"
            f"{filing.decided_by or ''} {filing.decided_on.isoformat() if filing.decided_on else ''}".rstrip()
        )
    raise_refused(domain.filing_approval_refusal(CommitteeStatus(committee.status), approve=decision.approve))
    filing.decided_by = actor.subject
    filing.decided_on = tools.today
    filing.opinion = decision.opinion
    rules = [pack.parameters.committee_approval_authorities.rule, "CM-1"]
    if not decision.approve:
        filing.status = FilingStatus.REJECTED
        if committee.current_filing_id is None:
            committee.status = CommitteeStatus.REJECTED
        await append_entry(
            session,
            actor=actor,
            action="committee.filing.rejected",
            record_type="filing",
            record_id=str(filing.id),
            record_region=filing.region,
            reason=decision.opinion,
            rule_ids=rules,
            policy_pack=pack.id,
            data={"committee_id": str(committee.id), "step": FILING_DECISION_STEP},
        )
        await record_event(
            session,
            CommitteeRejected(committee_id=committee.id, filing_id=filing.id, opinion=decision.opinion),
            subject=str(committee.id),
            region=filing.region,
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
    committee.valid_from, committee.valid_until = domain.validity(pack, tools.today)
    # CM-10: a re-filing does not lift a suspension; expiry ends with the new validity.
    if committee.status != CommitteeStatus.SUSPENDED:
        committee.status = CommitteeStatus.ACTIVE
    await repo.flush()
    refiled = previous_id is not None
    await append_entry(
        session,
        actor=actor,
        action="committee.filing.approved",
        record_type="filing",
        record_id=str(filing.id),
        record_region=filing.region,
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
    )
    data = _filing_data(committee, filing)
    event = (
        CommitteeRefiled.model_validate({**data, "previous_filing_id": previous_id, "reason": filing.reason})
        if refiled
        else CommitteeApproved.model_validate(data)
    )
    await record_event(session, event, subject=str(committee.id), region=committee.region)
    log.info("committees.filing.approved", committee_id=str(committee.id), filing_id=str(filing.id), refiled=refiled)
    return filing_read(filing, tools.cipher)


# --- sanctions (NA-13, CM-10) ------------------------------------------------------------------


async def sanction(
    session: AsyncSession, *, actor: Principal, committee_id: uuid.UUID, sanction_in: SanctionCreate, tools: Tools
) -> Sanction:
    """The filing HR department takes a measure against a committee (NA-13); suspension and withdrawal (CM-10)."""
    repo = CommitteeRepository(session)
    committee = await _committee(repo, committee_id, for_update=True)
    filing = await _shown_filing(repo, committee)
    pack = pack_by_id(filing.policy_pack)
    _ensure_authority(pack, actor, levels=filing.levels, region=committee.region)
    needs_deadline = sanction_in.kind in (SanctionKind.SUSPENSION, SanctionKind.RECTIFICATION_ORDER)
    if needs_deadline and sanction_in.rectification_deadline is None:
        raise _invalid([("rectification_deadline", "暂停评审和责令整改须规定整改期限")])
    if sanction_in.rectification_deadline is not None and sanction_in.rectification_deadline <= tools.today:
        raise _invalid([("rectification_deadline", "整改期限应晚于今天")])
    status = CommitteeStatus(committee.status)
    refusal = domain.sanction_refusal(status, sanction_in.kind)
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
    committee.status = domain.status_after_sanction(status, sanction_in.kind)
    if sanction_in.kind is SanctionKind.SUSPENSION:
        committee.rectification_deadline = sanction_in.rectification_deadline
    await repo.flush()
    rules = (
        ["NA-13", "CM-10"]
        if sanction_in.kind in (SanctionKind.SUSPENSION, SanctionKind.POWER_WITHDRAWAL)
        else ["NA-13"]
    )
    await append_entry(
        session,
        actor=actor,
        action=f"committee.sanction.{sanction_in.kind.value}",
        record_type="committee",
        record_id=str(committee.id),
        record_region=committee.region,
        reason=sanction_in.reason,
        rule_ids=rules,
        policy_pack=pack.id,
        data={"sanction_id": str(row.id), "rectification_deadline": sanction_in.rectification_deadline},
    )
    region = committee.region
    await record_event(
        session,
        CommitteeSanctioned(
            committee_id=committee.id,
            sanction_id=row.id,
            kind=sanction_in.kind,
            reason=sanction_in.reason,
            decided_on=tools.today,
            rectification_deadline=sanction_in.rectification_deadline,
        ),
        subject=str(committee.id),
        region=region,
    )
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
    committee = await _committee(repo, committee_id, for_update=True)
    filing = await _shown_filing(repo, committee)
    pack = pack_by_id(filing.policy_pack)
    _ensure_authority(pack, actor, levels=filing.levels, region=committee.region)
    if committee.status != CommitteeStatus.SUSPENDED:
        raise Conflict(
            f"评委会当前状态为{code_name('committee_statuses', committee.status)}，无需恢复",
            code="not_suspended",
            rule="CM-10",
        )
    committee.status = CommitteeStatus.ACTIVE
    committee.rectification_deadline = None
    await append_entry(
        session,
        actor=actor,
        action="committee.resumed",
        record_type="committee",
        record_id=str(committee.id),
        record_region=committee.region,
        reason=resumption_in.reason,
        rule_ids=["CM-10"],
        policy_pack=pack.id,
    )
    await record_event(
        session,
        CommitteeResumed(committee_id=committee.id, reason=resumption_in.reason),
        subject=str(committee.id),
        region=committee.region,
    )
    await repo.flush()
    return committee_read(committee, filing, None, tools.cipher)


async def list_sanctions(session: AsyncSession, *, actor: Principal, committee_id: uuid.UUID) -> Sequence[Sanction]:
    """The measures taken against a committee, oldest first."""
    repo = CommitteeRepository(session)
    committee = await _committee(repo, committee_id)
    ensure_covers(actor, committee.region)
    await _ensure_acts_for(repo, actor, committee.id)
    return await repo.sanctions_of(committee.id)


# --- scope (CM-4) ------------------------------------------------------------------------------


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
            kind=domain.CommitteeKind(f.kind),
            series=f.series,
            specialties=list(f.specialties),
            levels=list(f.levels),
            valid_until=c.valid_until,
            policy_pack=f.policy_pack,
        )
        for c, f in rows
        if domain.in_scope(
            domain.Scope(
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


# --- annual plans (CM-5..CM-9) ------------------------------------------------------------------


def _plan_dates(plan_in: PlanCreate) -> domain.PlanDates:
    return domain.PlanDates(
        year=plan_in.year,
        declaration_opens=plan_in.declaration_opens,
        declaration_closes=plan_in.declaration_closes,
        notice_date=plan_in.notice_date,
        meetings=tuple(domain.PlannedMeeting(m.meeting_date, m.pre_meeting_filing_date) for m in plan_in.meetings),
        cross_year_exception=bool(plan_in.cross_year_exception),
    )


def _ensure_may_plan(committee: Committee, today: date) -> None:
    """CM-10, CM-2: only an active committee within its validity plans and opens meetings; others name why not."""
    status = CommitteeStatus(committee.status)
    refusal = domain.evaluation_refusal(status, valid_until=committee.valid_until, today=today)
    if refusal is not None:
        raise refused(refusal, error=RuleRefused)


def _check_plan(pack: PolicyPack, calendar: WorkingDayCalendar, plan_in: PlanCreate, filing: Filing) -> None:
    raise_refused(domain.plan_levels_refusal(plan_in.levels, filing.levels))
    dates = _plan_dates(plan_in)
    problems = domain.plan_date_order_problems(dates)
    if problems:
        raise _invalid(problems)
    try:
        refusals = domain.plan_refusals(pack, calendar, dates)
    except UnknownCalendarYear as exc:
        raise CalendarUnknown(
            str(exc), errors=[FieldError(field="year", code="calendar_year_unknown", message=str(exc))]
        ) from None
    if refusals:
        raise refused(refusals)


def _notice_refusals(
    pack: PolicyPack, calendar: WorkingDayCalendar, published_on: date, meeting_dates: Sequence[date]
) -> list[Refusal]:
    """CM-7 against the day the notice really went out (the server's date of publication)."""
    out: list[Refusal] = []
    try:
        for i, meeting_date in enumerate(meeting_dates):
            refusal = domain.notice_refusal(
                pack,
                calendar,
                published_on=published_on,
                meeting_date=meeting_date,
                fields=(f"meetings.{i}.meeting_date",),
            )
            if refusal is not None:
                out.append(refusal)
    except UnknownCalendarYear as exc:
        raise CalendarUnknown(str(exc)) from None
    return out


def _meetings(plan: Plan, plan_in: PlanCreate, pack: PolicyPack, calendar: WorkingDayCalendar) -> list[PlanMeeting]:
    try:
        return [
            PlanMeeting(
                plan_id=plan.id,
                committee_id=plan.committee_id,
                region=plan.region,
                position=i,
                meeting_date=m.meeting_date,
                pre_meeting_filing_date=m.pre_meeting_filing_date,
                post_meeting_filing_due=due,
                post_meeting_filing_due_provisional=calendar.is_provisional_span(m.meeting_date, due),
                overdue_noted=False,
            )
            for i, m in enumerate(plan_in.meetings)
            for due in [domain.post_meeting_filing_due(pack, calendar, m.meeting_date)]
        ]
    except UnknownCalendarYear as exc:
        raise CalendarUnknown(str(exc)) from None


def plan_read(plan: Plan, meetings: Sequence[PlanMeeting]) -> PlanRead:
    return PlanRead(
        id=plan.id,
        committee_id=plan.committee_id,
        region=plan.region,
        year=plan.year,
        series=plan.series,
        levels=list(plan.levels),
        declaration_opens=plan.declaration_opens,
        declaration_closes=plan.declaration_closes,
        notice_date=plan.notice_date,
        cross_year_exception=plan.cross_year_exception,
        policy_pack=plan.policy_pack,
        status=PlanStatus(plan.status),
        version=plan.version,
        meetings=[meeting_read(m) for m in meetings],
    )


async def create_plan(
    session: AsyncSession, *, actor: Principal, committee_id: uuid.UUID, plan_in: PlanCreate, tools: Tools
) -> PlanRead:
    """A committee drafts its annual plan; CM-6, CM-7 and CM-8 are checked over working days."""
    repo = CommitteeRepository(session)
    plans = PlanRepository(session)
    committee = await _committee(repo, committee_id)
    ensure_covers(actor, committee.region)
    await _ensure_acts_for(repo, actor, committee.id)
    _ensure_may_plan(committee, tools.today)
    filing = await _shown_filing(repo, committee)
    # The pack of the committee's region for the plan's year; a pack the office names must be that
    # jurisdiction's and cover the year (422 otherwise), never another region's numbers.
    if plan_in.policy_pack:
        pack = applicable_pack(plan_in.policy_pack, committee.region, plan_in.year)
    else:
        pack = resolve_pack(committee.region, plan_in.year)
    _check_plan(pack, tools.calendar, plan_in, filing)
    if await plans.of_committee_year(committee.id, plan_in.year) is not None:
        raise PlanExists(f"评委会 {committee.id} 已有 {plan_in.year} 年度评审计划")
    plan = Plan(
        id=uuid7(),
        committee_id=committee.id,
        region=committee.region,
        year=plan_in.year,
        series=filing.series,
        levels=list(plan_in.levels),
        declaration_opens=plan_in.declaration_opens,
        declaration_closes=plan_in.declaration_closes,
        notice_date=plan_in.notice_date,
        cross_year_exception=plan_in.cross_year_exception,
        policy_pack=pack.id,
        status=PlanStatus.DRAFT,
        version=1,
        created_by=actor.subject,
    )
    plans.add(plan)
    await plans.flush()
    meetings = _meetings(plan, plan_in, pack, tools.calendar)
    for meeting in meetings:
        plans.add(meeting)
    await plans.flush()
    await append_entry(
        session,
        actor=actor,
        action="committee.plan.created",
        record_type="plan",
        record_id=str(plan.id),
        record_region=plan.region,
        rule_ids=["CM-5", "CM-6", "CM-7", "CM-8"],
        policy_pack=pack.id,
        data={"committee_id": str(committee.id), "year": plan.year},
    )
    return plan_read(plan, meetings)


async def _plan_for_change(
    plans: PlanRepository, repo: CommitteeRepository, plan_id: uuid.UUID, actor: Principal
) -> tuple[Plan, Committee]:
    plan = await plans.get(plan_id, for_update=True)
    if plan is None:
        raise PlanNotFound(f"评审计划 {plan_id} 不存在")
    ensure_covers(actor, plan.region)
    await _ensure_acts_for(repo, actor, plan.committee_id)
    committee = await _committee(repo, plan.committee_id)
    return plan, committee


def _plan_data(plan: Plan, meetings: Sequence[PlanMeeting]) -> dict[str, object]:
    return {
        "plan_id": plan.id,
        "committee_id": plan.committee_id,
        "year": plan.year,
        "series": plan.series,
        "levels": list(plan.levels),
        "declaration_opens": plan.declaration_opens,
        "declaration_closes": plan.declaration_closes,
        "notice_date": plan.notice_date,
        "meeting_dates": [m.meeting_date for m in meetings],
        "pre_meeting_filing_dates": [m.pre_meeting_filing_date for m in meetings],
        "policy_pack": plan.policy_pack,
        "region": plan.region,
        "version": plan.version,
    }


async def publish_plan(session: AsyncSession, *, actor: Principal, plan_id: uuid.UUID, tools: Tools) -> PlanRead:
    """The HR department approves and publishes a plan (CM-5); its declaration window opens."""
    repo, plans = CommitteeRepository(session), PlanRepository(session)
    plan, committee = await _plan_for_change(plans, repo, plan_id, actor)
    _ensure_may_plan(committee, tools.today)
    # CM-5: the HR department that files the committee approves its plan.
    filing = await _shown_filing(repo, committee)
    _ensure_authority(pack_by_id(filing.policy_pack), actor, levels=filing.levels, region=committee.region)
    if plan.status == PlanStatus.PUBLISHED:
        raise Conflict(f"评审计划 {plan_id} 已发布", code="plan_already_published")
    meetings = await plans.meetings_of(plan.id)
    # CM-7 on the day the notice really goes out (today, the server's date), not the planned day.
    late = _notice_refusals(
        pack_by_id(plan.policy_pack), tools.calendar, tools.today, [m.meeting_date for m in meetings]
    )
    if late:
        raise refused(late)
    plan.status = PlanStatus.PUBLISHED
    plan.published_at = tools.now
    await append_entry(
        session,
        actor=actor,
        action="committee.plan.published",
        record_type="plan",
        record_id=str(plan.id),
        record_region=plan.region,
        rule_ids=["CM-5", "CM-7"],
        policy_pack=plan.policy_pack,
        data={"committee_id": str(plan.committee_id), "year": plan.year},
    )
    await record_event(
        session, PlanPublished.model_validate(_plan_data(plan, meetings)), subject=str(plan.id), region=plan.region
    )
    return plan_read(plan, meetings)


async def update_plan(
    session: AsyncSession, *, actor: Principal, plan_id: uuid.UUID, plan_in: PlanCreate, tools: Tools
) -> PlanRead:
    """A plan is changed and checked again; a published plan's change is announced (plan.changed)."""
    repo, plans = CommitteeRepository(session), PlanRepository(session)
    plan, committee = await _plan_for_change(plans, repo, plan_id, actor)
    _ensure_may_plan(committee, tools.today)
    if plan_in.year != plan.year:
        raise _invalid([("year", "不能修改计划年度；请为新年度另建计划")])
    # Changing a plan replaces its meetings: an opened one (CM-8) would lose its filing and its id.
    if any(m.pre_meeting_filed_on is not None for m in await plans.meetings_of(plan.id)):
        raise Conflict("计划中已有会议完成会前备案，不能修改计划", code="meeting_already_opened")
    filing = await _shown_filing(repo, committee)
    if plan_in.policy_pack:
        pack = applicable_pack(plan_in.policy_pack, committee.region, plan.year)
    else:
        pack = pack_by_id(plan.policy_pack)
    _check_plan(pack, tools.calendar, plan_in, filing)
    if plan.status == PlanStatus.PUBLISHED and plan.published_at is not None:
        # CM-7: a published plan's notice went out on its publication day; a moved meeting must
        # still lie far enough after that day.
        late = _notice_refusals(
            pack, tools.calendar, china_today(plan.published_at), [m.meeting_date for m in plan_in.meetings]
        )
        if late:
            raise refused(late)
    plan.levels = list(plan_in.levels)
    plan.declaration_opens = plan_in.declaration_opens
    plan.declaration_closes = plan_in.declaration_closes
    plan.notice_date = plan_in.notice_date
    plan.cross_year_exception = plan_in.cross_year_exception
    plan.policy_pack = pack.id
    plan.version += 1
    await plans.delete_meetings(plan.id)
    meetings = _meetings(plan, plan_in, pack, tools.calendar)
    for meeting in meetings:
        plans.add(meeting)
    await plans.flush()
    await append_entry(
        session,
        actor=actor,
        action="committee.plan.changed",
        record_type="plan",
        record_id=str(plan.id),
        record_region=plan.region,
        rule_ids=["CM-5", "CM-6", "CM-7", "CM-8"],
        policy_pack=pack.id,
        data={"version": plan.version, "published_on": china_today(plan.published_at) if plan.published_at else None},
    )
    if plan.status == PlanStatus.PUBLISHED:
        await record_event(
            session, PlanChanged.model_validate(_plan_data(plan, meetings)), subject=str(plan.id), region=plan.region
        )
    return plan_read(plan, meetings)


async def get_plan(session: AsyncSession, *, actor: Principal, plan_id: uuid.UUID) -> PlanRead:
    """One plan with its meetings; 403 outside the caller's jurisdiction."""
    plans = PlanRepository(session)
    plan = await plans.get(plan_id)
    if plan is None:
        raise PlanNotFound(f"评审计划 {plan_id} 不存在")
    ensure_covers(actor, plan.region)
    await _ensure_acts_for(CommitteeRepository(session), actor, plan.committee_id)
    return plan_read(plan, await plans.meetings_of(plan.id))


async def committee_plans(session: AsyncSession, *, actor: Principal, committee_id: uuid.UUID) -> list[PlanRead]:
    """Every annual plan of a committee with its meetings, by year; 403 outside the caller's jurisdiction."""
    repo = CommitteeRepository(session)
    committee = await _committee(repo, committee_id)
    ensure_covers(actor, committee.region)
    await _ensure_acts_for(repo, actor, committee.id)
    plans = PlanRepository(session)
    rows = await plans.of_committee(committee.id)
    meetings = await plans.meetings_of_plans([plan.id for plan in rows])
    return [plan_read(plan, meetings[plan.id]) for plan in rows]


async def get_meeting(session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID) -> MeetingDetail:
    """One meeting of a plan by its id; 403 outside the caller's jurisdiction or committee binding."""
    meeting = await PlanRepository(session).get_meeting(meeting_id)
    if meeting is None:
        raise MeetingNotFound(f"评审会议 {meeting_id} 不存在")
    ensure_covers(actor, meeting.region)
    await _ensure_acts_for(CommitteeRepository(session), actor, meeting.committee_id)
    return MeetingDetail(
        **meeting_read(meeting).model_dump(),
        plan_id=meeting.plan_id,
        committee_id=meeting.committee_id,
        region=meeting.region,
    )


async def file_pre_meeting(
    session: AsyncSession,
    *,
    actor: Principal,
    meeting_id: uuid.UUID,
    filing_in: PreMeetingFilingCreate,
    tools: Tools,
) -> MeetingRead:
    """The pre-meeting filing opens a meeting of a published plan, in time (CM-8), of an active committee (CM-10)."""
    plans = PlanRepository(session)
    meeting = await plans.get_meeting(meeting_id, for_update=True)
    if meeting is None:
        raise MeetingNotFound(f"评审会议 {meeting_id} 不存在")
    ensure_covers(actor, meeting.region)
    await _ensure_acts_for(CommitteeRepository(session), actor, meeting.committee_id)
    if filing_in.paper_date is not None and filing_in.paper_date > tools.today:
        raise _invalid([("paper_date", "纸质备案材料日期不能晚于今天")])
    # CM-8 is counted from the day the filing reaches the platform (the server's date), so a
    # late filing cannot pass by back-dating; the paper's own date is kept beside it.
    filed_on = tools.today
    if meeting.pre_meeting_filed_on is not None:
        raise Conflict("该会议已完成会前备案", code="pre_meeting_already_filed")
    _ensure_may_plan(await _committee(CommitteeRepository(session), meeting.committee_id), tools.today)
    plan = await plans.get(meeting.plan_id)
    assert plan is not None
    raise_refused(domain.pre_meeting_plan_refusal(PlanStatus(plan.status)))
    pack = pack_by_id(plan.policy_pack)
    try:
        late = domain.pre_meeting_filing_refusal(
            pack, tools.calendar, filed_on=filed_on, meeting_date=meeting.meeting_date
        )
    except UnknownCalendarYear as exc:
        raise CalendarUnknown(str(exc)) from None
    if late is not None:
        raise refused([late])
    meeting.pre_meeting_filed_on = filed_on
    meeting.pre_meeting_paper_date = filing_in.paper_date
    meeting.pre_meeting_filed_by = actor.subject
    meeting.applicant_count = filing_in.applicant_count
    meeting.pre_meeting_note = filing_in.note
    rule = pack.parameters.pre_meeting_filing_working_days.rule
    await append_entry(
        session,
        actor=actor,
        action="committee.meeting.pre_filed",
        record_type="plan_meeting",
        record_id=str(meeting.id),
        record_region=meeting.region,
        rule_ids=[rule, "CM-5", "CM-10"],
        policy_pack=pack.id,
        data={
            "filed_on": filed_on,
            "paper_date": filing_in.paper_date,
            "meeting_date": meeting.meeting_date,
            "applicant_count": filing_in.applicant_count,
        },
    )
    await record_event(
        session,
        MeetingPreFiled(
            committee_id=meeting.committee_id,
            meeting_id=meeting.id,
            plan_id=plan.id,
            meeting_date=meeting.meeting_date,
            filed_on=filed_on,
            region=meeting.region,
            applicant_count=filing_in.applicant_count,
            series=plan.series,
            levels=list(plan.levels),
            policy_pack=pack.id,
        ),
        subject=str(meeting.id),
        region=meeting.region,
    )
    log.info("committees.meeting.pre_filed", meeting_id=str(meeting.id), committee_id=str(meeting.committee_id))
    return meeting_read(meeting)


async def file_post_meeting(
    session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, paper_date: date | None, tools: Tools
) -> MeetingRead:
    """Record the post-meeting filing of a meeting on the server's date (CM-9); a late one is flagged."""
    plans = PlanRepository(session)
    meeting = await plans.get_meeting(meeting_id, for_update=True)
    if meeting is None:
        raise MeetingNotFound(f"评审会议 {meeting_id} 不存在")
    ensure_covers(actor, meeting.region)
    await _ensure_acts_for(CommitteeRepository(session), actor, meeting.committee_id)
    if paper_date is not None and (paper_date < meeting.meeting_date or paper_date > tools.today):
        raise _invalid([("paper_date", "纸质备案材料日期应在会议之后、不晚于今天")])
    if meeting.post_meeting_filed_on is not None:
        raise Conflict("该会议已完成会后备案", code="post_meeting_already_filed")
    # CM-9 is counted on the day the filing reaches the platform, never a date the client types.
    filed_on = tools.today
    if filed_on < meeting.meeting_date:
        raise Conflict("评审会议尚未举行，不能进行会后备案", code="meeting_not_held")
    meeting.post_meeting_filed_on = filed_on
    meeting.post_meeting_paper_date = paper_date
    meeting.post_meeting_filed_by = actor.subject
    await append_entry(
        session,
        actor=actor,
        action="committee.meeting.post_filed",
        record_type="plan_meeting",
        record_id=str(meeting.id),
        record_region=meeting.region,
        rule_ids=["CM-9"],
        data={
            "filed_on": filed_on,
            "paper_date": paper_date,
            "due": meeting.post_meeting_filing_due,
            "late": filed_on > meeting.post_meeting_filing_due,
        },
    )
    return meeting_read(meeting)


def meeting_read(meeting: PlanMeeting) -> MeetingRead:
    read = MeetingRead.model_validate(meeting)
    if meeting.post_meeting_filed_on is not None:
        read.post_meeting_filing_late = meeting.post_meeting_filed_on > meeting.post_meeting_filing_due
    if meeting.results_entered_on is not None and meeting.results_entry_due is not None:
        read.results_entry_late = meeting.results_entered_on > meeting.results_entry_due
    return read


async def enter_results(
    session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, entry_in: ResultsEntryCreate, tools: Tools
) -> MeetingRead:
    """Record the entry of a meeting's results with the full meeting file; a late entry is flagged (CM-11)."""
    plans = PlanRepository(session)
    meeting = await plans.get_meeting(meeting_id, for_update=True)
    if meeting is None:
        raise MeetingNotFound(f"评审会议 {meeting_id} 不存在")
    ensure_covers(actor, meeting.region)
    await _ensure_acts_for(CommitteeRepository(session), actor, meeting.committee_id)
    if not meeting.meeting_date <= entry_in.appointment_document_date <= tools.today:
        raise _invalid([("appointment_document_date", "聘任文件日期应在评审会议之后、不晚于今天")])
    # CM-11 is counted on the day the entry reaches the platform (the server's date).
    entered_on = tools.today
    if meeting.results_entered_on is not None:
        raise Conflict("该会议评审结果已录入", code="results_already_entered")
    plan = await plans.get(meeting.plan_id)
    assert plan is not None
    pack = pack_by_id(plan.policy_pack)
    missing = domain.missing_meeting_file_items(entry_in.meeting_file)
    if missing:
        rule = pack.parameters.results_entry_working_days.rule
        raise refused(
            [
                Refusal(
                    rule,
                    "meeting_file_incomplete",
                    f"会议档案缺少：{'、'.join(m.value for m in missing)}",
                    ("meeting_file",),
                )
            ]
        )
    try:
        due = domain.results_entry_due(pack, tools.calendar, entry_in.appointment_document_date)
    except UnknownCalendarYear as exc:
        raise CalendarUnknown(str(exc)) from None
    meeting.appointment_document_date = entry_in.appointment_document_date
    meeting.results_entered_on = entered_on
    meeting.results_entered_by = actor.subject
    meeting.results_entry_due = due
    meeting.results_entry_due_provisional = tools.calendar.is_provisional_span(entry_in.appointment_document_date, due)
    meeting.meeting_file = [item.value for item in entry_in.meeting_file]
    await append_entry(
        session,
        actor=actor,
        action="committee.meeting.results_entered",
        record_type="plan_meeting",
        record_id=str(meeting.id),
        record_region=meeting.region,
        rule_ids=[pack.parameters.results_entry_working_days.rule],
        policy_pack=pack.id,
        data={"entered_on": entered_on, "due": due, "late": entered_on > due},
    )
    return meeting_read(meeting)


async def overdue_post_meeting_filings(session: AsyncSession, *, actor: Principal, tools: Tools) -> OverdueMeetingPage:
    """Meetings in the caller's jurisdiction whose post-meeting filing is overdue (CM-9)."""
    rows = await PlanRepository(session).overdue_readable_by(actor, tools.today)
    items = [
        OverdueMeetingRead(
            meeting_id=m.id,
            plan_id=m.plan_id,
            committee_id=m.committee_id,
            region=m.region,
            meeting_date=m.meeting_date,
            post_meeting_filing_due=m.post_meeting_filing_due,
            post_meeting_filing_due_provisional=m.post_meeting_filing_due_provisional,
        )
        for m in rows
    ]
    return OverdueMeetingPage(items=items, total=len(items))


# --- timers (scheduler jobs) ---------------------------------------------------------------------


async def expire_committees(session: AsyncSession, now: datetime) -> int:
    """CM-2: committees past their validity end expire, once each, with their event."""
    today = china_today(now)
    rows = await CommitteeRepository(session).claim_expired(today)
    for committee in rows:
        assert committee.valid_until is not None
        committee.status = CommitteeStatus.EXPIRED
        await append_entry(
            session,
            actor=system_actor(committee.region),
            action="committee.expired",
            record_type="committee",
            record_id=str(committee.id),
            record_region=committee.region,
            reason="filing_validity_ended",
            rule_ids=["CM-2", "NA-1"],
            data={"valid_until": committee.valid_until},
        )
        await record_event(
            session,
            CommitteeExpired(
                committee_id=committee.id, valid_until=committee.valid_until, reason="filing_validity_ended"
            ),
            subject=str(committee.id),
            region=committee.region,
        )
        log.info("committees.committee.expired", committee_id=str(committee.id))
    return len(rows)


async def note_overdue_post_meeting_filings(session: AsyncSession, now: datetime) -> int:
    """CM-9: a post-meeting filing not made by its due day is journaled once as overdue."""
    rows = await PlanRepository(session).claim_newly_overdue(china_today(now))
    for meeting in rows:
        meeting.overdue_noted = True
        await append_entry(
            session,
            actor=system_actor(meeting.region),
            action="committee.meeting.post_filing_overdue",
            record_type="plan_meeting",
            record_id=str(meeting.id),
            record_region=meeting.region,
            rule_ids=["CM-9"],
            data={"due": meeting.post_meeting_filing_due, "committee_id": str(meeting.committee_id)},
        )
    return len(rows)


# --- Years whose holiday arrangement was loaded (issue 11 §5, NA-14) ---------------------------


async def recompute_deadlines(session: AsyncSession, *, calendar: WorkingDayCalendar, years: frozenset[int]) -> int:
    """Recompute the meetings' open deadlines counted through ``years`` with the calendar as it is now.

    The post-meeting filing due day (CM-9) of meetings not yet filed nor noted overdue, and the
    results entry due day (CM-11) of entered results (its lateness follows). A deadline that moves,
    or whose provisional mark changes, is updated with a journal entry and an event; running it
    again changes nothing.

    Returns:
        How many deadlines changed.
    """
    if not years:
        return 0
    plans = PlanRepository(session)
    first, last = date(min(years), 1, 1), date(max(years), 12, 31)
    changed = 0
    packs: dict[uuid.UUID, PolicyPack] = {}

    async def pack_of(meeting: PlanMeeting) -> PolicyPack:
        if meeting.plan_id not in packs:
            plan = await plans.get(meeting.plan_id)
            assert plan is not None  # a meeting belongs to its plan (foreign key)
            packs[meeting.plan_id] = pack_by_id(plan.policy_pack)
        return packs[meeting.plan_id]

    for meeting in await plans.meetings_with_deadlines_touching(first, last):
        pack = await pack_of(meeting)
        deadlines: list[tuple[Literal["post_meeting_filing", "results_entry"], date, date, str]] = []
        if meeting.post_meeting_filed_on is None and not meeting.overdue_noted:
            due = domain.post_meeting_filing_due(pack, calendar, meeting.meeting_date)
            rule = pack.parameters.post_meeting_filing_working_days.rule
            deadlines.append(("post_meeting_filing", meeting.meeting_date, due, rule))
        if meeting.results_entry_due is not None and meeting.appointment_document_date is not None:
            due = domain.results_entry_due(pack, calendar, meeting.appointment_document_date)
            rule = pack.parameters.results_entry_working_days.rule
            deadlines.append(("results_entry", meeting.appointment_document_date, due, rule))
        for kind, start, due, rule in deadlines:
            # The columns are named after the kind: ``<kind>_due`` and ``<kind>_due_provisional``.
            provisional = calendar.is_provisional_span(start, due)
            previous: date = getattr(meeting, f"{kind}_due")
            if (due, provisional) == (previous, getattr(meeting, f"{kind}_due_provisional")):
                continue
            setattr(meeting, f"{kind}_due", due)
            setattr(meeting, f"{kind}_due_provisional", provisional)
            await _meeting_deadline_changed(
                session,
                meeting=meeting,
                kind=kind,
                previous=previous,
                due=due,
                provisional=provisional,
                years=years,
                rule=rule,
            )
            changed += 1
    return changed


async def _meeting_deadline_changed(
    session: AsyncSession,
    *,
    meeting: PlanMeeting,
    kind: Literal["post_meeting_filing", "results_entry"],
    previous: date,
    due: date,
    provisional: bool,
    years: frozenset[int],
    rule: str,
) -> None:
    moved = previous != due
    await journal_change(
        session,
        MeetingDeadlineChanged(
            meeting_id=meeting.id,
            plan_id=meeting.plan_id,
            committee_id=meeting.committee_id,
            deadline_kind=kind,
            previous=previous,
            due=due,
            provisional=provisional,
            moved=moved,
            calendar_years=sorted(years),
        ),
        actor=system_actor(meeting.region),
        action=f"committee.meeting.deadline_{'moved' if moved else 'confirmed'}",
        record_type="plan_meeting",
        record=meeting,
        reason=f"载入{'、'.join(str(y) for y in sorted(years))}年节假日安排后重新计算期限",
        rule_ids=[rule, "NA-14"],
        data={"deadline": kind, "previous": previous, "due": due, "provisional": provisional},
    )
