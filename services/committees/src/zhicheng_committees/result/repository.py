"""Queries of a meeting's results: publicity, objections, applicants' results, re-examinations,
archived meeting files, and the pass rates (MT-5) within the caller's jurisdiction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, cast, func, select

from zhicheng_committees.committee.repository import committee_scope
from zhicheng_committees.meeting.models import Attendance
from zhicheng_committees.result.domain import ObjectionStatus
from zhicheng_committees.result.models import (
    ApplicantResult,
    MeetingFileCopy,
    MeetingResult,
    ResultObjection,
    ResultReexamination,
)
from zhicheng_common.auth import Principal
from zhicheng_common.repository import Repository


class ResultRepository(Repository):
    async def result(self, meeting_id: uuid.UUID, *, for_update: bool = False) -> MeetingResult | None:
        return await self.row(MeetingResult, meeting_id, for_update=for_update)

    async def applicants(self, meeting_id: uuid.UUID) -> Sequence[ApplicantResult]:
        statement = (
            select(ApplicantResult)
            .where(ApplicantResult.meeting_id == meeting_id)
            .order_by(ApplicantResult.declaration_id)
        )
        return (await self.session.scalars(statement)).all()

    async def applicant(
        self, meeting_id: uuid.UUID, declaration_id: str, *, for_update: bool = False
    ) -> ApplicantResult | None:
        statement = select(ApplicantResult).where(
            ApplicantResult.meeting_id == meeting_id, ApplicantResult.declaration_id == declaration_id
        )
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.scalars(statement)).first()

    async def objections(self, meeting_id: uuid.UUID) -> Sequence[ResultObjection]:
        statement = select(ResultObjection).where(ResultObjection.meeting_id == meeting_id).order_by(ResultObjection.id)
        return (await self.session.scalars(statement)).all()

    async def objection(self, objection_id: uuid.UUID, *, for_update: bool = False) -> ResultObjection | None:
        return await self.row(ResultObjection, objection_id, for_update=for_update)

    async def open_objections(self, meeting_id: uuid.UUID) -> int:
        statement = select(func.count()).where(
            ResultObjection.meeting_id == meeting_id, ResultObjection.status == ObjectionStatus.OPEN
        )
        return int((await self.session.execute(statement)).scalar_one())

    async def reexaminations(self, meeting_id: uuid.UUID) -> Sequence[ResultReexamination]:
        statement = (
            select(ResultReexamination)
            .where(ResultReexamination.meeting_id == meeting_id)
            .order_by(ResultReexamination.id)
        )
        return (await self.session.scalars(statement)).all()

    async def reexamination(
        self, reexamination_id: uuid.UUID, *, for_update: bool = False
    ) -> ResultReexamination | None:
        return await self.row(ResultReexamination, reexamination_id, for_update=for_update)

    async def file_copy(self, meeting_id: uuid.UUID, audience: str, fmt: str) -> MeetingFileCopy | None:
        statement = select(MeetingFileCopy).where(
            MeetingFileCopy.meeting_id == meeting_id,
            MeetingFileCopy.audience == audience,
            MeetingFileCopy.format == fmt,
        )
        return (await self.session.scalars(statement)).first()

    async def pass_counts(
        self,
        principal: Principal,
        *,
        year: int | None,
        committee_id: uuid.UUID | None,
        series: str | None,
        level: str | None,
    ) -> Sequence[Any]:
        """MT-5: evaluated and passed per (year, committee, series, level) of confirmed results, within
        the caller's jurisdiction (a committee office: its own committees)."""
        r = ApplicantResult
        statement = (
            select(
                r.year,
                r.committee_id,
                r.series,
                r.level,
                func.count().label("evaluated"),
                func.sum(cast(r.passed, Integer)).label("passed"),
            )
            .join(MeetingResult, MeetingResult.meeting_id == r.meeting_id)
            .where(MeetingResult.status == "confirmed", committee_scope(principal, r.region, r.committee_id))
            .group_by(r.year, r.committee_id, r.series, r.level)
            .order_by(r.year, r.committee_id, r.series, r.level)
        )
        for column, value in ((r.year, year), (r.committee_id, committee_id), (r.series, series), (r.level, level)):
            if value is not None:
                statement = statement.where(column == value)
        return (await self.session.execute(statement)).all()

    async def attendance_sheet(self, meeting_id: uuid.UUID) -> list[tuple[str, datetime]]:
        """The sign-in sheet (MT-1): each attending expert and when they signed in, in that order."""
        rows = await self.session.execute(
            select(Attendance.expert_id, Attendance.signed_in_at)
            .where(Attendance.meeting_id == meeting_id)
            .order_by(Attendance.signed_in_at, Attendance.expert_id)
        )
        return [(expert, at) for expert, at in rows]
