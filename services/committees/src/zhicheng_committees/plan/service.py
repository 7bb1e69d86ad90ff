"""Use cases of annual plans: drafting, changing and publishing (CM-5..CM-8).

No HTTP here and no commit (the unit of work commits).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_committees.committee.models import Committee, Filing
from zhicheng_committees.committee.repository import CommitteeRepository
from zhicheng_committees.committee.service import (
    _ensure_authority,
    _shown_filing,
    committee_or_404,
    ensure_acts_for,
    ensure_may_plan,
)
from zhicheng_committees.deps import Tools, invalid_payload
from zhicheng_committees.errors import CalendarUnknown
from zhicheng_committees.meeting.models import PlanMeeting
from zhicheng_committees.meeting.service import meeting_read
from zhicheng_committees.plan.domain import (
    PlanDates,
    PlannedMeeting,
    PlanStatus,
    notice_refusal,
    plan_date_order_problems,
    plan_levels_refusal,
    plan_refusals,
    post_meeting_filing_due,
)
from zhicheng_committees.plan.errors import PlanExists, PlanNotFound
from zhicheng_committees.plan.events import PlanChanged, PlanPublished
from zhicheng_committees.plan.models import Plan
from zhicheng_committees.plan.repository import PlanRepository
from zhicheng_committees.plan.schemas import PlanCreate, PlanRead
from zhicheng_common.auth import Principal, ensure_covers
from zhicheng_common.calendar import UnknownCalendarYear, WorkingDayCalendar
from zhicheng_common.clock import china_today
from zhicheng_common.ids import uuid7
from zhicheng_common.journaling import RecordJournal
from zhicheng_common.policy import PolicyPack, applicable_pack, pack_by_id, resolve_pack
from zhicheng_common.problems import Conflict, FieldError
from zhicheng_common.refusals import Refusal, raise_refused, refused
from zhicheng_common.schemas import fields_of, from_record

PLANS = RecordJournal("plan")
# A plan's creation and change are checked against these: CM-5 (plan), CM-6 (deadlines), CM-7 (notice), CM-8 (filing).
PLAN_RULES = ["CM-5", "CM-6", "CM-7", "CM-8"]


def _plan_dates(plan_in: PlanCreate) -> PlanDates:
    return PlanDates(
        year=plan_in.year,
        declaration_opens=plan_in.declaration_opens,
        declaration_closes=plan_in.declaration_closes,
        notice_date=plan_in.notice_date,
        meetings=tuple(PlannedMeeting(m.meeting_date, m.pre_meeting_filing_date) for m in plan_in.meetings),
        cross_year_exception=bool(plan_in.cross_year_exception),
    )


def _check_plan(pack: PolicyPack, calendar: WorkingDayCalendar, plan_in: PlanCreate, filing: Filing) -> None:
    raise_refused(plan_levels_refusal(plan_in.levels, filing.levels))
    dates = _plan_dates(plan_in)
    problems = plan_date_order_problems(dates)
    if problems:
        raise invalid_payload(problems)
    try:
        refusals = plan_refusals(pack, calendar, dates)
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
            refusal = notice_refusal(
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


async def _add_meetings(
    plans: PlanRepository, plan: Plan, plan_in: PlanCreate, pack: PolicyPack, calendar: WorkingDayCalendar
) -> list[PlanMeeting]:
    """The plan's meetings with their post-meeting filing days (CM-9), added and flushed."""
    try:
        meetings = [
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
            for due in [post_meeting_filing_due(pack, calendar, m.meeting_date)]
        ]
    except UnknownCalendarYear as exc:
        raise CalendarUnknown(str(exc)) from None
    for meeting in meetings:
        plans.add(meeting)
    await plans.flush()
    return meetings


def plan_read(plan: Plan, meetings: Sequence[PlanMeeting]) -> PlanRead:
    return from_record(PlanRead, plan, meetings=[meeting_read(m) for m in meetings])


async def create_plan(
    session: AsyncSession, *, actor: Principal, committee_id: uuid.UUID, plan_in: PlanCreate, tools: Tools
) -> PlanRead:
    """A committee drafts its annual plan; CM-6, CM-7 and CM-8 are checked over working days."""
    repo = CommitteeRepository(session)
    plans = PlanRepository(session)
    committee = await committee_or_404(repo, committee_id)
    ensure_covers(actor, committee.region)
    await ensure_acts_for(repo, actor, committee.id)
    ensure_may_plan(committee, tools.today)
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
        **fields_of(plan_in, "year", "declaration_opens", "declaration_closes", "notice_date", "cross_year_exception"),
        series=filing.series,
        levels=list(plan_in.levels),
        policy_pack=pack.id,
        status=PlanStatus.DRAFT,
        version=1,
        created_by=actor.subject,
    )
    plans.add(plan)
    await plans.flush()
    meetings = await _add_meetings(plans, plan, plan_in, pack, tools.calendar)
    await PLANS.change(
        session,
        plan,
        actor,
        "committee.plan.created",
        rule_ids=PLAN_RULES,
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
    await ensure_acts_for(repo, actor, plan.committee_id)
    committee = await committee_or_404(repo, plan.committee_id)
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
    ensure_may_plan(committee, tools.today)
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
    await PLANS.change(
        session,
        plan,
        actor,
        "committee.plan.published",
        rule_ids=["CM-5", "CM-7"],
        policy_pack=plan.policy_pack,
        data={"committee_id": str(plan.committee_id), "year": plan.year},
        event=PlanPublished.model_validate(_plan_data(plan, meetings)),
    )
    return plan_read(plan, meetings)


async def update_plan(
    session: AsyncSession, *, actor: Principal, plan_id: uuid.UUID, plan_in: PlanCreate, tools: Tools
) -> PlanRead:
    """A plan is changed and checked again; a published plan's change is announced (plan.changed)."""
    repo, plans = CommitteeRepository(session), PlanRepository(session)
    plan, committee = await _plan_for_change(plans, repo, plan_id, actor)
    ensure_may_plan(committee, tools.today)
    if plan_in.year != plan.year:
        raise invalid_payload([("year", "不能修改计划年度；请为新年度另建计划")])
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
    meetings = await _add_meetings(plans, plan, plan_in, pack, tools.calendar)
    await PLANS.change(
        session,
        plan,
        actor,
        "committee.plan.changed",
        rule_ids=PLAN_RULES,
        policy_pack=pack.id,
        data={"version": plan.version, "published_on": china_today(plan.published_at) if plan.published_at else None},
        event=PlanChanged.model_validate(_plan_data(plan, meetings)) if plan.status == PlanStatus.PUBLISHED else None,
    )
    return plan_read(plan, meetings)


async def get_plan(session: AsyncSession, *, actor: Principal, plan_id: uuid.UUID) -> PlanRead:
    """One plan with its meetings; 403 outside the caller's jurisdiction."""
    plans = PlanRepository(session)
    plan = await plans.get(plan_id)
    if plan is None:
        raise PlanNotFound(f"评审计划 {plan_id} 不存在")
    ensure_covers(actor, plan.region)
    await ensure_acts_for(CommitteeRepository(session), actor, plan.committee_id)
    return plan_read(plan, await plans.meetings_of(plan.id))


async def committee_plans(session: AsyncSession, *, actor: Principal, committee_id: uuid.UUID) -> list[PlanRead]:
    """Every annual plan of a committee with its meetings, by year; 403 outside the caller's jurisdiction."""
    repo = CommitteeRepository(session)
    committee = await committee_or_404(repo, committee_id)
    ensure_covers(actor, committee.region)
    await ensure_acts_for(repo, actor, committee.id)
    plans = PlanRepository(session)
    rows = await plans.of_committee(committee.id)
    meetings = await plans.meetings_of_plans([plan.id for plan in rows])
    return [plan_read(plan, meetings[plan.id]) for plan in rows]
