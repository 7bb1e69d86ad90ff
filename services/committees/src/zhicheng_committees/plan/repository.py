"""Queries of annual plans and of the meetings they list."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, or_, select

from zhicheng_committees.committee.repository import committee_scope
from zhicheng_committees.meeting.models import PlanMeeting
from zhicheng_committees.plan.models import Plan
from zhicheng_common.auth import Principal
from zhicheng_common.repository import Repository


class PlanRepository(Repository):
    """Annual plans and their meetings."""

    async def get(self, plan_id: uuid.UUID, *, for_update: bool = False) -> Plan | None:
        return await self.row(Plan, plan_id, for_update=for_update)

    async def of_committee_year(self, committee_id: uuid.UUID, year: int) -> Plan | None:
        statement = select(Plan).where(Plan.committee_id == committee_id, Plan.year == year)
        return (await self.session.scalars(statement)).first()

    async def of_committee(self, committee_id: uuid.UUID) -> Sequence[Plan]:
        """Every plan of a committee, by year."""
        statement = select(Plan).where(Plan.committee_id == committee_id).order_by(Plan.year)
        return (await self.session.scalars(statement)).all()

    async def meetings_of_plans(self, plan_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[PlanMeeting]]:
        """The meetings of several plans in one query, each plan's in its order."""
        grouped: dict[uuid.UUID, list[PlanMeeting]] = {plan_id: [] for plan_id in plan_ids}
        if not plan_ids:
            return grouped
        statement = (
            select(PlanMeeting)
            .where(PlanMeeting.plan_id.in_(plan_ids))
            .order_by(PlanMeeting.plan_id, PlanMeeting.position)
        )
        for meeting in (await self.session.scalars(statement)).all():
            grouped[meeting.plan_id].append(meeting)
        return grouped

    async def meetings_of(self, plan_id: uuid.UUID) -> Sequence[PlanMeeting]:
        statement = select(PlanMeeting).where(PlanMeeting.plan_id == plan_id).order_by(PlanMeeting.position)
        return (await self.session.scalars(statement)).all()

    async def delete_meetings(self, plan_id: uuid.UUID) -> None:
        for meeting in await self.meetings_of(plan_id):
            await self.session.delete(meeting)
        await self.session.flush()

    async def get_meeting(self, meeting_id: uuid.UUID, *, for_update: bool = False) -> PlanMeeting | None:
        return await self.row(PlanMeeting, meeting_id, for_update=for_update)

    async def overdue_readable_by(self, principal: Principal, today: date) -> Sequence[PlanMeeting]:
        """Meetings of published plans in the caller's jurisdiction whose post-meeting filing is overdue (CM-9)."""
        statement = (
            select(PlanMeeting)
            .join(Plan, Plan.id == PlanMeeting.plan_id)
            .where(
                committee_scope(principal, PlanMeeting.region, PlanMeeting.committee_id),
                Plan.status == "published",
                PlanMeeting.post_meeting_filed_on.is_(None),
                PlanMeeting.post_meeting_filing_due < today,
            )
            .order_by(PlanMeeting.post_meeting_filing_due, PlanMeeting.id)
        )
        return (await self.session.scalars(statement)).all()

    async def meetings_with_deadlines_touching(self, first: date, last: date) -> Sequence[PlanMeeting]:
        """Meetings with a CM-9 or CM-11 deadline whose counted span meets [first, last], locked."""
        post_open = and_(
            PlanMeeting.post_meeting_filed_on.is_(None),
            PlanMeeting.overdue_noted.is_(False),
            PlanMeeting.meeting_date < last,
            PlanMeeting.post_meeting_filing_due >= first,
        )
        results = and_(
            PlanMeeting.results_entry_due.is_not(None),
            PlanMeeting.appointment_document_date < last,
            PlanMeeting.results_entry_due >= first,
        )
        return await self.locked(PlanMeeting, or_(post_open, results))

    async def claim_newly_overdue(self, today: date, *, limit: int = 100) -> Sequence[PlanMeeting]:
        """Overdue post-meeting filings not yet noted, locked for this transaction (CM-9)."""
        statement = (
            select(PlanMeeting)
            .join(Plan, Plan.id == PlanMeeting.plan_id)
            .where(
                Plan.status == "published",
                PlanMeeting.post_meeting_filed_on.is_(None),
                PlanMeeting.post_meeting_filing_due < today,
                PlanMeeting.overdue_noted.is_(False),
            )
            .limit(limit)
            .with_for_update(of=PlanMeeting, skip_locked=True)
        )
        return (await self.session.scalars(statement)).all()
