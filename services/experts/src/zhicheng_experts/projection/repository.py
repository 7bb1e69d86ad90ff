"""Every query of the projections (committees, plans, meetings, applicants, integrity bars)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import select

from zhicheng_common.repository import Repository
from zhicheng_experts.projection.models import ApplicantView, CommitteeView, IntegrityBar, MeetingView, PlanView


class IntegrityBarRepository(Repository):
    async def get(self, record_id: uuid.UUID, *, for_update: bool = False) -> IntegrityBar | None:
        return await self.row(IntegrityBar, record_id, for_update=for_update)

    async def disqualifying_in_force_for(self, subject_keys: Collection[str]) -> dict[str, uuid.UUID]:
        """For each of these people with one, a record in force that takes expert status away (NA-13)."""
        if not subject_keys:
            return {}
        rows = await self.session.execute(
            select(IntegrityBar.subject_key, IntegrityBar.record_id)
            .where(IntegrityBar.subject_key.in_(list(subject_keys)), IntegrityBar.in_force, IntegrityBar.disqualifies)
            .order_by(IntegrityBar.valid_from.desc())
        )
        return {key: record_id for key, record_id in rows}

    async def in_force_for(self, subject_keys: Collection[str], *, on: date) -> dict[str, list[str]]:
        """The ids of the records barring each person from draws on ``on`` (NA-13), sorted."""
        out: dict[str, list[str]] = {}
        if not subject_keys:
            return out
        rows = await self.session.execute(
            select(IntegrityBar.subject_key, IntegrityBar.record_id)
            .where(
                IntegrityBar.subject_key.in_(list(subject_keys)),
                IntegrityBar.in_force,
                IntegrityBar.valid_from <= on,
                IntegrityBar.valid_until >= on,
            )
            .order_by(IntegrityBar.record_id)
        )
        for key, record_id in rows:
            out.setdefault(key, []).append(str(record_id))
        return out


class ProjectionRepository(Repository):
    async def committee(self, committee_id: uuid.UUID) -> CommitteeView | None:
        return await self.session.get(CommitteeView, committee_id)

    async def plan(self, plan_id: uuid.UUID) -> PlanView | None:
        return await self.session.get(PlanView, plan_id)

    async def meeting(self, meeting_id: uuid.UUID) -> MeetingView | None:
        return await self.session.get(MeetingView, meeting_id)

    async def applicant(self, declaration_id: uuid.UUID) -> ApplicantView | None:
        return await self.session.get(ApplicantView, declaration_id)

    async def applicants(self, committee_id: uuid.UUID, year: int) -> Sequence[ApplicantView]:
        return (
            await self.session.scalars(
                select(ApplicantView)
                .where(ApplicantView.committee_id == committee_id, ApplicantView.year == year)
                .order_by(ApplicantView.declaration_id)
            )
        ).all()

    async def plans_of(self, committee_id: uuid.UUID) -> Sequence[PlanView]:
        return (await self.session.scalars(select(PlanView).where(PlanView.committee_id == committee_id))).all()
