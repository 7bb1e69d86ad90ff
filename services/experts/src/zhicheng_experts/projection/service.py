"""Applying other services' events to the projections (thin consumers call these).

Each function returns False when the event is about something this service has not heard of
yet, so that the consumer parks it instead of acking a no-op.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.auth import system_actor
from zhicheng_common.journaling import RecordJournal
from zhicheng_experts.expert.domain import status_after_bar
from zhicheng_experts.expert.models import Expert
from zhicheng_experts.expert.repository import ExpertRepository
from zhicheng_experts.projection.models import ApplicantView, CommitteeView, IntegrityBar, MeetingView, PlanView
from zhicheng_experts.projection.repository import IntegrityBarRepository, ProjectionRepository
from zhicheng_experts.projection.schemas import CommitteeFiled, MeetingPreFiled, Qualified

EXPERTS = RecordJournal("expert")


async def apply_committee(session: AsyncSession, data: CommitteeFiled) -> None:
    """``committees.committee.approved/refiled``: the committee's filing as it now stands."""
    await ProjectionRepository(session).put(
        CommitteeView, data.committee_id, **data.model_dump(exclude={"committee_id"})
    )


async def apply_plan(
    session: AsyncSession,
    *,
    plan_id: uuid.UUID,
    committee_id: uuid.UUID,
    year: int,
    meeting_dates: list[date],
    version: int,
) -> None:
    """``committees.plan.published/changed``: the plan's meeting dates (the annual evaluation, EX-4)."""
    repository = ProjectionRepository(session)
    row = await repository.plan(plan_id)
    if row is None:
        row = PlanView(plan_id=plan_id, committee_id=committee_id, year=year, meeting_dates=[], version=0)
        repository.add(row)
    if version < row.version:
        return  # an older version of the plan: the newer dates stay
    row.committee_id, row.year, row.version = committee_id, year, version
    row.meeting_dates = sorted(day.isoformat() for day in meeting_dates)


async def apply_meeting_pre_filed(session: AsyncSession, data: MeetingPreFiled) -> bool:
    """``committees.meeting.pre_filed``: the meeting is open for a draw. False: committee unknown yet."""
    repository = ProjectionRepository(session)
    if await repository.committee(data.committee_id) is None:
        return False
    plan = await repository.plan(data.plan_id)
    # The applicants of a meeting are those of its plan's year (review names committee and year).
    year = plan.year if plan is not None else data.meeting_date.year
    await repository.put(MeetingView, data.meeting_id, **data.model_dump(exclude={"meeting_id"}), year=year)
    return True


async def apply_qualified(session: AsyncSession, data: Qualified) -> None:
    """``review.declaration.qualified``: an applicant the committee's draws recuse against (NA-9)."""
    await ProjectionRepository(session).put(
        ApplicantView, data.declaration_id, **data.model_dump(exclude={"declaration_id"})
    )


async def apply_integrity_decided(
    session: AsyncSession,
    *,
    record_id: uuid.UUID,
    subject_key: str,
    kind: str,
    valid_from: date,
    valid_until: date,
    region: str,
    rule_ids: list[str],
    now: datetime,
) -> None:
    """``integrity.record.decided`` with ``bar_expert_draws``: the person is barred from draws while the
    record is in force, and an expert-misconduct record takes expert status away (NA-13)."""
    bars = IntegrityBarRepository(session)
    bar = await bars.get(record_id, for_update=True)
    disqualifies = status_after_bar(current="active", kind=kind, bars_draws=True) == "disqualified"
    if bar is None:
        bar = IntegrityBar(record_id=record_id)
        session.add(bar)
    bar.subject_key, bar.kind, bar.valid_from, bar.valid_until = subject_key, kind, valid_from, valid_until
    bar.disqualifies, bar.in_force, bar.ended, bar.updated_at = disqualifies, True, None, now
    expert = await ExpertRepository(session).with_key(subject_key, for_update=True)
    if expert is None:
        return  # not (yet) an expert: an expert entered later finds the bar by the same keyed hash
    if disqualifies and expert.status != "disqualified":
        previous = expert.status
        await _set_status(
            session,
            expert,
            status="disqualified",
            reason=f"诚信记录 {record_id} 取消专家资格 (NA-13)",
            record=record_id,
            region=region,
            action="expert.disqualified",
            rule_ids=sorted({"NA-13", *rule_ids}),
            data={"from": previous, "integrity_record": str(record_id)},
            now=now,
        )


async def _set_status(
    session: AsyncSession,
    expert: Expert,
    *,
    status: str,
    reason: str,
    record: uuid.UUID | None,
    region: str,
    action: str,
    rule_ids: list[str],
    data: dict[str, str],
    now: datetime,
) -> None:
    """An integrity event changed the expert's status: set it and journal it as the service itself."""
    expert.status, expert.status_reason, expert.disqualified_by_record, expert.updated_at = status, reason, record, now
    await EXPERTS.change(
        session, expert, system_actor(region or expert.region), action, reason=reason, rule_ids=rule_ids, data=data
    )


async def end_integrity_bar(
    session: AsyncSession, *, record_id: uuid.UUID, ended: str, region: str, now: datetime
) -> bool:
    """``integrity.record.expired/withdrawn``: the bar lifts. A withdrawn record (found wrong on appeal)
    also gives back the expert status it took; an expired one does not (NA-13: the status was lost,
    an office reinstates by hand). False: no bar is known for the record."""
    bar = await IntegrityBarRepository(session).get(record_id, for_update=True)
    if bar is None:
        return False
    bar.in_force, bar.ended, bar.updated_at = False, ended, now
    if ended != "withdrawn" or not bar.disqualifies:
        return True
    expert = await ExpertRepository(session).with_key(bar.subject_key, for_update=True)
    if expert is not None and expert.disqualified_by_record == record_id:
        await _set_status(
            session,
            expert,
            status="active",
            reason=f"诚信记录 {record_id} 已撤销，恢复专家资格",
            record=None,
            region=region,
            action="expert.reinstated",
            rule_ids=["NA-13"],
            data={"integrity_record": str(record_id)},
            now=now,
        )
    return True
