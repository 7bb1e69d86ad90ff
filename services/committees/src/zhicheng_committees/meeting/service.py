"""Use cases of evaluation meetings: reading, pre- and post-meeting filings (CM-8, CM-9), the overdue
timer and the recomputation of deadlines when a year's holidays are loaded (NA-14).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_committees.committee.repository import CommitteeRepository
from zhicheng_committees.committee.service import committee_or_404, ensure_acts_for, ensure_may_plan
from zhicheng_committees.deps import Tools, invalid_payload
from zhicheng_committees.errors import CalendarUnknown
from zhicheng_committees.meeting.errors import MeetingNotFound
from zhicheng_committees.meeting.events import MeetingDeadlineChanged, MeetingPreFiled
from zhicheng_committees.meeting.models import PlanMeeting
from zhicheng_committees.meeting.schemas import (
    MeetingDetail,
    MeetingRead,
    OverdueMeetingPage,
    OverdueMeetingRead,
    PreMeetingFilingCreate,
)
from zhicheng_committees.plan.domain import (
    PlanStatus,
    post_meeting_filing_due,
    pre_meeting_filing_refusal,
    pre_meeting_plan_refusal,
)
from zhicheng_committees.plan.repository import PlanRepository
from zhicheng_committees.result.domain import results_entry_due
from zhicheng_common.audit import append_entry
from zhicheng_common.auth import Principal, ensure_covers, system_actor
from zhicheng_common.calendar import UnknownCalendarYear, WorkingDayCalendar
from zhicheng_common.clock import china_today
from zhicheng_common.events.outbox import record_event
from zhicheng_common.journaling import journal_change
from zhicheng_common.policy import PolicyPack, pack_by_id
from zhicheng_common.problems import Conflict
from zhicheng_common.refusals import raise_refused, refused

log = structlog.get_logger()


async def get_meeting(session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID) -> MeetingDetail:
    """One meeting of a plan by its id; 403 outside the caller's jurisdiction or committee binding."""
    meeting = await PlanRepository(session).get_meeting(meeting_id)
    if meeting is None:
        raise MeetingNotFound(f"评审会议 {meeting_id} 不存在")
    ensure_covers(actor, meeting.region)
    await ensure_acts_for(CommitteeRepository(session), actor, meeting.committee_id)
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
    await ensure_acts_for(CommitteeRepository(session), actor, meeting.committee_id)
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
    await ensure_acts_for(CommitteeRepository(session), actor, meeting.committee_id)
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
        reason=f"载入{'、'.join(str(y) for y in sorted(years))}年节假日安排后重新计算期限",
        rule_ids=[rule, "NA-14"],
        data={"deadline": kind, "previous": previous, "due": due, "provisional": provisional},
    )
