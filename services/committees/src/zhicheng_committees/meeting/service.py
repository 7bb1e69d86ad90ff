"""Use cases of evaluation meetings: reading, pre- and post-meeting filings (CM-8, CM-9), the overdue
timer and the recomputation of deadlines when a year's holidays are loaded (NA-14).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, TypeVar

import structlog
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_committees.auth import READER_ROLES
from zhicheng_committees.ballot.repository import BallotRepository
from zhicheng_committees.committee.repository import CommitteeRepository
from zhicheng_committees.committee.service import committee_or_404, ensure_acts_for, ensure_may_plan
from zhicheng_committees.deps import Tools, invalid_payload
from zhicheng_committees.errors import CalendarUnknown
from zhicheng_committees.meeting.domain import (
    MeetingStatus,
    Opinion,
    group_refusals,
    opening_refusals,
    opinion_refusal,
    opinions_complete,
    quorum_required,
    readable_opinions,
    recusal_refusal,
    remote_refusal,
    sign_in_refusal,
)
from zhicheng_committees.meeting.errors import MeetingNotFound, SittingNotArranged
from zhicheng_committees.meeting.events import MeetingClosed, MeetingDeadlineChanged, MeetingOpened, MeetingPreFiled
from zhicheng_committees.meeting.models import (
    Attendance,
    MeetingPanel,
    MeetingSitting,
    OpinionRow,
    PlanMeeting,
    QualifiedDeclaration,
    Recusal,
)
from zhicheng_committees.meeting.repository import SittingRepository
from zhicheng_committees.meeting.schemas import (
    ArrangementIn,
    GroupsIn,
    MeetingDetail,
    MeetingRead,
    OpeningIn,
    OpinionIn,
    OpinionRead,
    OpinionsRead,
    OverdueMeetingPage,
    OverdueMeetingRead,
    PreMeetingFilingCreate,
    Qualified,
    RecusalIn,
    RecusalRead,
    RoundSummary,
    SittingRead,
)
from zhicheng_committees.plan.domain import (
    PlanStatus,
    post_meeting_filing_due,
    pre_meeting_filing_refusal,
    pre_meeting_plan_refusal,
)
from zhicheng_committees.plan.models import Plan
from zhicheng_committees.plan.repository import PlanRepository
from zhicheng_committees.result.domain import results_entry_due
from zhicheng_common.auth import Principal, Role, ensure_covers, system_actor
from zhicheng_common.calendar import UnknownCalendarYear, WorkingDayCalendar, recomputed_reason, years_span
from zhicheng_common.clock import china_today
from zhicheng_common.journaling import RecordJournal, journal_change, journal_read
from zhicheng_common.policy import PolicyPack, pack_by_id
from zhicheng_common.problems import Conflict, Forbidden
from zhicheng_common.refusals import Refusal, raise_refused, refused
from zhicheng_common.schemas import from_record

log = structlog.get_logger()
MEETINGS = RecordJournal("plan_meeting")
M = TypeVar("M", bound=BaseModel)


async def meeting_of(
    session: AsyncSession, meeting_id: uuid.UUID, *, office: Principal | None, for_update: bool = False
) -> PlanMeeting:
    """The meeting; for an office caller, checked against its jurisdiction and committee binding (issue 12)."""
    meeting = await PlanRepository(session).get_meeting(meeting_id, for_update=for_update)
    if meeting is None:
        raise MeetingNotFound(f"评审会议 {meeting_id} 不存在")
    if office is not None:
        ensure_covers(office, meeting.region)
        await ensure_acts_for(CommitteeRepository(session), office, meeting.committee_id)
    return meeting


async def get_meeting(session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID) -> MeetingDetail:
    """One meeting of a plan by its id; 403 outside the caller's jurisdiction or committee binding."""
    meeting = await meeting_of(session, meeting_id, office=actor)
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
    meeting = await meeting_of(session, meeting_id, office=actor, for_update=True)
    if filing_in.paper_date is not None and filing_in.paper_date > tools.today:
        raise invalid_payload([("paper_date", "纸质备案材料日期不能晚于今天")])
    # CM-8 is counted from the day the filing reaches the platform (the server's date), so a
    # late filing cannot pass by back-dating; the paper's own date is kept beside it.
    filed_on = tools.today
    if meeting.pre_meeting_filed_on is not None:
        raise Conflict("该会议已完成会前备案", code="pre_meeting_already_filed")
    ensure_may_plan(await committee_or_404(CommitteeRepository(session), meeting.committee_id), tools.today)
    plan = await plans.get(meeting.plan_id)
    assert plan is not None
    raise_refused(pre_meeting_plan_refusal(PlanStatus(plan.status)))
    pack = pack_by_id(plan.policy_pack)
    try:
        late = pre_meeting_filing_refusal(pack, tools.calendar, filed_on=filed_on, meeting_date=meeting.meeting_date)
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
    await MEETINGS.change(
        session,
        meeting,
        actor,
        "committee.meeting.pre_filed",
        rule_ids=[rule, "CM-5", "CM-10"],
        policy_pack=pack.id,
        data={
            "filed_on": filed_on,
            "paper_date": filing_in.paper_date,
            "meeting_date": meeting.meeting_date,
            "applicant_count": filing_in.applicant_count,
        },
        event=MeetingPreFiled(
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
    )
    log.info("committees.meeting.pre_filed", meeting_id=str(meeting.id), committee_id=str(meeting.committee_id))
    return meeting_read(meeting)


async def file_post_meeting(
    session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, paper_date: date | None, tools: Tools
) -> MeetingRead:
    """Record the post-meeting filing of a meeting on the server's date (CM-9); a late one is flagged."""
    meeting = await meeting_of(session, meeting_id, office=actor, for_update=True)
    if paper_date is not None and (paper_date < meeting.meeting_date or paper_date > tools.today):
        raise invalid_payload([("paper_date", "纸质备案材料日期应在会议之后、不晚于今天")])
    if meeting.post_meeting_filed_on is not None:
        raise Conflict("该会议已完成会后备案", code="post_meeting_already_filed")
    # CM-9 is counted on the day the filing reaches the platform, never a date the client types.
    filed_on = tools.today
    if filed_on < meeting.meeting_date:
        raise Conflict("评审会议尚未举行，不能进行会后备案", code="meeting_not_held")
    meeting.post_meeting_filed_on = filed_on
    meeting.post_meeting_paper_date = paper_date
    meeting.post_meeting_filed_by = actor.subject
    await MEETINGS.change(
        session,
        meeting,
        actor,
        "committee.meeting.post_filed",
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


async def overdue_post_meeting_filings(session: AsyncSession, *, actor: Principal, tools: Tools) -> OverdueMeetingPage:
    """Meetings in the caller's jurisdiction whose post-meeting filing is overdue (CM-9)."""
    rows = await PlanRepository(session).overdue_readable_by(actor, tools.today)
    items = [from_record(OverdueMeetingRead, m, meeting_id=m.id) for m in rows]
    return OverdueMeetingPage(items=items, total=len(items))


async def note_overdue_post_meeting_filings(session: AsyncSession, now: datetime) -> int:
    """CM-9: a post-meeting filing not made by its due day is journaled once as overdue."""
    rows = await PlanRepository(session).claim_newly_overdue(china_today(now))
    for meeting in rows:
        meeting.overdue_noted = True
        await MEETINGS.change(
            session,
            meeting,
            system_actor(meeting.region),
            "committee.meeting.post_filing_overdue",
            rule_ids=["CM-9"],
            data={"due": meeting.post_meeting_filing_due, "committee_id": str(meeting.committee_id)},
        )
    return len(rows)


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
    first, last = years_span(years)
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
            due = post_meeting_filing_due(pack, calendar, meeting.meeting_date)
            rule = pack.parameters.post_meeting_filing_working_days.rule
            deadlines.append(("post_meeting_filing", meeting.meeting_date, due, rule))
        if meeting.results_entry_due is not None and meeting.appointment_document_date is not None:
            due = results_entry_due(pack, calendar, meeting.appointment_document_date)
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
        reason=recomputed_reason(years),
        rule_ids=[rule, "NA-14"],
        data={"deadline": kind, "previous": previous, "due": due, "provisional": provisional},
    )


# --- what the sitting learns from review and experts (consumers) -------------------------------


async def apply_qualified(session: AsyncSession, data: Qualified) -> None:
    """``review.declaration.qualified``: an applicant a meeting of the committee may evaluate (the
    consumer passes only those with a committee)."""
    await SittingRepository(session).put(
        QualifiedDeclaration, data.declaration_id, **data.model_dump(exclude={"declaration_id"})
    )


async def apply_panel(
    session: AsyncSession,
    *,
    meeting_id: uuid.UUID,
    committee_id: uuid.UUID,
    draw_id: uuid.UUID,
    members: list[dict[str, str | None]],
    replacement: bool,
) -> None:
    """``experts.panel.drawn`` (a redraw replaces the panel) and ``.member_replaced`` (the whole panel
    after the replacement, applied only to the draw it belongs to)."""
    repo = SittingRepository(session)
    panel = await repo.panel(meeting_id, for_update=True)
    if panel is None:
        if replacement:
            return  # a replacement in a draw this service never saw: the drawn event carries the panel
        panel = MeetingPanel(meeting_id=meeting_id)
        repo.add(panel)
    elif replacement and panel.draw_id != draw_id:
        return  # a replacement in a draw since superseded by a redraw
    panel.committee_id, panel.draw_id, panel.members = committee_id, draw_id, members
    log.info("committees.meeting.panel_applied", meeting_id=str(meeting_id), members=len(members))


def panel_ids(panel: MeetingPanel | None) -> list[str]:
    """The drawn members' expert ids (EX-1), in the panel's order."""
    return [str(m["expert_id"]) for m in panel.members] if panel is not None else []


def expert_of(panel: MeetingPanel | None, principal: Principal) -> str | None:
    """The panel seat the caller's own token holds: the seat whose account is the token's subject
    (or, where the draw event named no account, whose expert id is); None for anyone else."""
    if panel is None or not principal.has_role(Role.EXPERT):
        return None
    for member in panel.members:
        account = member.get("account_subject") or member["expert_id"]
        if account == principal.subject:
            return str(member["expert_id"])
    return None


# --- the sitting: arrangement (MT-4), sign-in, opening (MT-1, NA-7), closing -------------------


@dataclass(frozen=True)
class MeetingFacts:
    """A meeting with its plan and pack, loaded once per request."""

    meeting: PlanMeeting
    plan: Plan
    pack: PolicyPack


async def meeting_facts(
    session: AsyncSession, meeting_id: uuid.UUID, *, office: Principal | None, for_update: bool = False
) -> MeetingFacts:
    """The meeting, its plan and pack; for an office caller, checked against its jurisdiction (issue 12)."""
    meeting = await meeting_of(session, meeting_id, office=office, for_update=for_update)
    plan = await PlanRepository(session).get(meeting.plan_id)
    assert plan is not None  # a meeting belongs to its plan (foreign key)
    return MeetingFacts(meeting=meeting, plan=plan, pack=pack_by_id(plan.policy_pack))


async def sitting_of(session: AsyncSession, meeting_id: uuid.UUID, *, for_update: bool = False) -> MeetingSitting:
    sitting = await SittingRepository(session).sitting(meeting_id, for_update=for_update)
    if sitting is None:
        raise SittingNotArranged(f"评审会议 {meeting_id} 尚未安排（地点、形式、申报人）")
    return sitting


async def arrange(
    session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, body: ArrangementIn, tools: Tools
) -> SittingRead:
    """Arrange the sitting of a meeting of a published plan (CM-5): venue or remote (MT-4), forms, and
    the applicants: the committee's qualified declarations of the plan's year, series and levels not
    taken by another meeting. Re-arranging before the opening refreshes them."""
    facts = await meeting_facts(session, meeting_id, office=actor, for_update=True)
    raise_refused(pre_meeting_plan_refusal(PlanStatus(facts.plan.status)))
    ensure_may_plan(await committee_or_404(CommitteeRepository(session), facts.meeting.committee_id), tools.today)
    raise_refused(remote_refusal(facts.pack, remote=body.remote))
    if not body.remote and not body.venue:
        raise invalid_payload([("venue", "现场评审须填写会议地点")])
    repo = SittingRepository(session)
    sitting = await repo.sitting(meeting_id, for_update=True)
    if sitting is not None and sitting.status != MeetingStatus.SCHEDULED:
        raise Conflict("评审会议已召开，不能重新安排", code="meeting_already_opened")
    others = [m.id for m in await PlanRepository(session).meetings_of(facts.plan.id) if m.id != meeting_id]
    taken = await repo.applicants_of_other_sittings(others)
    applicants = [
        str(q.declaration_id)
        for q in await repo.qualified_for(
            facts.meeting.committee_id, year=facts.plan.year, series=facts.plan.series, levels=facts.plan.levels
        )
        if str(q.declaration_id) not in taken
    ]
    if sitting is None:
        sitting = MeetingSitting(meeting_id=meeting_id, status=MeetingStatus.SCHEDULED)
        repo.add(sitting)
    sitting.venue, sitting.remote = body.venue, body.remote
    sitting.forms = list(dict.fromkeys(f.value for f in body.forms))
    sitting.applicants, sitting.arranged_by = applicants, actor.subject
    await repo.flush()
    await MEETINGS.change(
        session,
        facts.meeting,
        actor,
        "committee.meeting.arranged",
        rule_ids=["MT-4", "CM-5"],
        policy_pack=facts.pack.id,
        data={"remote": body.remote, "forms": sitting.forms, "applicants": len(applicants)},
    )
    return await sitting_read(session, facts, sitting)


async def sign_in(session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, tools: Tools) -> SittingRead:
    """MT-1: a drawn member signs in with their own token (role ``expert``); signing in again changes nothing."""
    facts = await meeting_facts(session, meeting_id, office=None)
    sitting = await sitting_of(session, meeting_id)
    repo = SittingRepository(session)
    panel = await repo.panel(meeting_id)
    expert = expert_of(panel, actor)
    raise_refused(sign_in_refusal(status=MeetingStatus(sitting.status), panel=panel_ids(panel), expert=expert or ""))
    assert expert is not None
    if expert not in await repo.attending(meeting_id):
        repo.add(Attendance(meeting_id=meeting_id, expert_id=expert, signed_in_at=tools.now))
        await repo.flush()
        await MEETINGS.change(
            session,
            facts.meeting,
            actor,
            "committee.meeting.signed_in",
            rule_ids=["MT-1"],
            data={"expert_id": expert},
        )
    return await sitting_read(session, facts, sitting)


def _sitting_event(facts: MeetingFacts, sitting: MeetingSitting, attending: int, kind: type[M]) -> M:
    return kind(
        meeting_id=facts.meeting.id,
        committee_id=facts.meeting.committee_id,
        plan_id=facts.plan.id,
        region=facts.meeting.region,
        meeting_date=facts.meeting.meeting_date,
        members=sitting.members or 0,
        attending=attending,
    )


async def open_meeting(
    session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, body: OpeningIn, tools: Tools
) -> SittingRead:
    """Open the meeting: CM-8 consent, a drawn panel (EX-1), an odd number of members and a quorum of
    attending experts (MT-1, NA-7), a chair who attends (NA-1); an active committee (CM-10)."""
    facts = await meeting_facts(session, meeting_id, office=actor, for_update=True)
    sitting = await sitting_of(session, meeting_id, for_update=True)
    if sitting.status != MeetingStatus.SCHEDULED:
        raise Conflict("评审会议已召开或已结束", code="meeting_already_opened")
    ensure_may_plan(await committee_or_404(CommitteeRepository(session), facts.meeting.committee_id), tools.today)
    repo = SittingRepository(session)
    panel = panel_ids(await repo.panel(meeting_id))
    attending = await repo.attending(meeting_id)
    raise_refused(
        opening_refusals(
            facts.pack,
            # CM-8: the pre-meeting filing the HR department accepted is the written consent.
            pre_meeting_consented=facts.meeting.pre_meeting_filed_on is not None,
            panel=panel,
            attending=attending,
            chair=body.chair,
        )
    )
    present = [e for e in attending if e in panel]
    sitting.status, sitting.chair, sitting.members, sitting.opened_at = (
        MeetingStatus.OPEN,
        body.chair,
        len(panel),
        tools.now,
    )
    p = facts.pack.parameters
    await MEETINGS.change(
        session,
        facts.meeting,
        actor,
        "committee.meeting.opened",
        rule_ids=sorted({p.quorum.rule, *p.quorum.also, p.members_odd.rule, "CM-8", "NA-1"}),
        policy_pack=facts.pack.id,
        data={"members": len(panel), "attending": len(present), "chair": body.chair},
        event=_sitting_event(facts, sitting, len(present), MeetingOpened),
    )
    log.info("committees.meeting.opened", meeting_id=str(meeting_id), members=len(panel), attending=len(present))
    return await sitting_read(session, facts, sitting)


async def close_meeting(session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, tools: Tools) -> SittingRead:
    """Close an open meeting once no round is open; no vote is accepted after (NA-7)."""
    facts = await meeting_facts(session, meeting_id, office=actor, for_update=True)
    sitting = await sitting_of(session, meeting_id, for_update=True)
    if sitting.status != MeetingStatus.OPEN:
        raise Conflict("评审会议未在进行中", code="meeting_not_open")
    if any(r.status == "open" for r in await BallotRepository(session).rounds(meeting_id)):
        raise refused(Refusal("NA-7", "round_still_open", "尚有投票轮次未结束，不能闭会"))
    sitting.status, sitting.closed_at = MeetingStatus.CLOSED, tools.now
    sittings = SittingRepository(session)
    panel = panel_ids(await sittings.panel(meeting_id))
    attending = [e for e in await sittings.attending(meeting_id) if e in panel]
    await MEETINGS.change(
        session,
        facts.meeting,
        actor,
        "committee.meeting.closed",
        rule_ids=["NA-7", "NA-10"],
        policy_pack=facts.pack.id,
        data={"members": sitting.members, "attending": len(attending)},
        event=_sitting_event(facts, sitting, len(attending), MeetingClosed),
    )
    return await sitting_read(session, facts, sitting)


# --- review groups (MT-2, NA-8), recusal (NA-9), opinions ---------------------------------------


async def _open_sitting(session: AsyncSession, meeting_id: uuid.UUID) -> MeetingSitting:
    sitting = await sitting_of(session, meeting_id, for_update=True)
    if sitting.status != MeetingStatus.OPEN:
        raise refused(Refusal("MT-3", "meeting_not_open", "评审会议未在进行中"))
    return sitting


async def set_groups(
    session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, body: GroupsIn, tools: Tools
) -> SittingRead:
    """MT-2, NA-8: every applicant is assigned to at least the pack's number of attending, non-recused experts."""
    facts = await meeting_facts(session, meeting_id, office=actor)
    sitting = await _open_sitting(session, meeting_id)
    repo = SittingRepository(session)
    recused = await repo.recusals(meeting_id)
    raise_refused(
        group_refusals(
            facts.pack,
            groups=body.groups,
            applicants=sitting.applicants,
            attending=await repo.attending(meeting_id),
            recused=recused,
        )
    )
    if await repo.opinions(meeting_id):
        raise Conflict("已有专家提交评审意见，评议组不能再调整", code="opinions_already_written")
    await repo.replace_groups(meeting_id, body.groups)
    rule = facts.pack.parameters.min_readers_per_applicant
    await MEETINGS.change(
        session,
        facts.meeting,
        actor,
        "committee.meeting.groups_set",
        rule_ids=sorted({rule.rule, *rule.also}),
        policy_pack=facts.pack.id,
        data={"groups": {a: sorted(set(m)) for a, m in body.groups.items()}},
    )
    return await sitting_read(session, facts, sitting)


async def recuse(
    session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, body: RecusalIn, tools: Tools
) -> SittingRead:
    """NA-9: an attending expert recuses for an applicant (their own token), outside an open round."""
    facts = await meeting_facts(session, meeting_id, office=None)
    sitting = await _open_sitting(session, meeting_id)
    repo = SittingRepository(session)
    expert = expert_of(await repo.panel(meeting_id), actor) or ""
    raise_refused(
        recusal_refusal(
            attending=await repo.attending(meeting_id),
            expert=expert,
            applicant=body.declaration_id,
            applicants=sitting.applicants,
            recused=await repo.recusals(meeting_id),
        )
    )
    if any(r.status == "open" for r in await BallotRepository(session).rounds(meeting_id)):
        raise refused(Refusal("NA-9", "round_open", "投票进行中不能申请回避，请在表决前提出"))
    repo.add(
        Recusal(
            meeting_id=meeting_id,
            declaration_id=body.declaration_id,
            expert_id=expert,
            reason_encrypted=tools.cipher.encrypt(body.reason),
            recorded_at=tools.now,
        )
    )
    await repo.flush()
    await MEETINGS.change(
        session,
        facts.meeting,
        actor,
        "committee.meeting.recused",
        rule_ids=["NA-9"],
        data={"expert_id": expert, "declaration_id": body.declaration_id},
    )
    return await sitting_read(session, facts, sitting)


async def write_opinion(
    session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, body: OpinionIn, tools: Tools
) -> OpinionsRead:
    """MT-2, NA-8: a member of the applicant's group writes one independent opinion."""
    facts = await meeting_facts(session, meeting_id, office=None)
    sitting = await sitting_of(session, meeting_id)
    repo = SittingRepository(session)
    expert = expert_of(await repo.panel(meeting_id), actor) or ""
    group = (await repo.groups(meeting_id)).get(body.declaration_id, [])
    recused = (await repo.recusals(meeting_id)).get(body.declaration_id, set())
    written = [o.expert_id for o in await repo.opinions(meeting_id, body.declaration_id)]
    raise_refused(
        opinion_refusal(
            expert=expert,
            applicant=body.declaration_id,
            group=group,
            recused=recused,
            written=written,
            status=MeetingStatus(sitting.status),
        )
    )
    repo.add(
        OpinionRow(
            meeting_id=meeting_id,
            declaration_id=body.declaration_id,
            expert_id=expert,
            score=body.score,
            text_encrypted=tools.cipher.encrypt(body.text),
            written_at=tools.now,
        )
    )
    await repo.flush()
    await MEETINGS.change(
        session,
        facts.meeting,
        actor,
        "committee.meeting.opinion_written",
        rule_ids=["MT-2", "NA-8"],
        data={"expert_id": expert, "declaration_id": body.declaration_id},
    )
    return await read_opinions(
        session, actor=actor, meeting_id=meeting_id, declaration_id=body.declaration_id, tools=tools
    )


async def read_opinions(
    session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, declaration_id: str, tools: Tools
) -> OpinionsRead:
    """MT-2: a member reads the others' opinions only once every reader of the group wrote; the office
    reads them then too (NA-10: they go into the meeting record)."""
    facts = await meeting_facts(session, meeting_id, office=None)
    repo = SittingRepository(session)
    expert = expert_of(await repo.panel(meeting_id), actor)
    if expert is None:
        await meeting_facts(session, meeting_id, office=actor)
    group = (await repo.groups(meeting_id)).get(declaration_id, [])
    recused = (await repo.recusals(meeting_id)).get(declaration_id, set())
    rows = await repo.opinions(meeting_id, declaration_id)
    opinions = [
        Opinion(expert=o.expert_id, applicant=declaration_id, score=o.score, text=o.text_encrypted) for o in rows
    ]
    complete = bool(group) and opinions_complete(opinions, group=group, recused=recused)
    shown = readable_opinions(opinions, reader=expert or "", group=group, recused=recused)
    await journal_read(
        session,
        actor=actor,
        action="committee.meeting.opinions_read",
        record_type="plan_meeting",
        records=[facts.meeting],
    )
    return OpinionsRead(
        declaration_id=declaration_id,
        complete=complete,
        items=[
            OpinionRead(
                expert_id=o.expert, declaration_id=declaration_id, score=o.score, text=tools.cipher.decrypt(o.text)
            )
            for o in shown
        ],
    )


async def get_sitting(session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID) -> SittingRead:
    """The sitting as the office (its jurisdiction) or a drawn expert of the meeting sees it."""
    facts = await meeting_facts(session, meeting_id, office=None)
    if expert_of(await SittingRepository(session).panel(meeting_id), actor) is None:
        if not actor.has_role(*READER_ROLES):
            raise Forbidden("您不是本次评审会议的评审专家或管理人员", code="not_of_meeting")
        await meeting_facts(session, meeting_id, office=actor)
    return await sitting_read(session, facts, await sitting_of(session, meeting_id))


async def sitting_read(session: AsyncSession, facts: MeetingFacts, sitting: MeetingSitting) -> SittingRead:
    repo = SittingRepository(session)
    panel = await repo.panel(sitting.meeting_id)
    members = panel_ids(panel)
    rounds = await BallotRepository(session).rounds(sitting.meeting_id)
    return from_record(
        SittingRead,
        sitting,
        panel=members,
        attending=await repo.attending(sitting.meeting_id),
        quorum=quorum_required(facts.pack, len(members)) if members else None,
        groups=await repo.groups(sitting.meeting_id),
        recusals=[
            RecusalRead(declaration_id=d, expert_id=e)
            for d, experts in sorted((await repo.recusals(sitting.meeting_id)).items())
            for e in sorted(experts)
        ],
        rounds=[
            RoundSummary(number=r.number, status=r.status, applicants=len(r.applicants), voters=len(r.voters))
            for r in rounds
        ],
    )
