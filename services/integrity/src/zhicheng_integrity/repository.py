"""Every query of the integrity service. Jurisdiction filters live here (``readable_by``), never in routes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, extract, func, select

from zhicheng_common.auth import Principal
from zhicheng_common.db import region_within
from zhicheng_common.repository import RegionScoped, Repository
from zhicheng_integrity.domain import ACTIVE_STATUSES
from zhicheng_integrity.models import Appeal, Record, RecordChange


class RecordRepository(RegionScoped, Repository):
    """Records, their appeals and history; lists always go through the caller's jurisdiction."""

    region_column = Record.region

    async def get(self, record_id: uuid.UUID, *, for_update: bool = False) -> Record | None:
        return await self.row(Record, record_id, for_update=for_update)

    async def get_by_source_event(self, event_id: str) -> Record | None:
        return (await self.session.scalars(select(Record).where(Record.source_event_id == event_id))).first()

    async def page_readable_by(
        self,
        principal: Principal,
        *,
        kind: str | None,
        region: str | None,
        year: int | None,
        status: str | None,
        subject_kind: str | None,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[Record], int]:
        """One page of the records ``principal`` may read matching the filters, newest first, and their total."""
        where: list[ColumnElement[bool]] = [self.readable_by(principal)]
        if kind is not None:
            where.append(Record.kind == kind)
        if region is not None:
            where.append(region_within(Record.region, region))
        if year is not None:
            where.append(extract("year", Record.decision_date) == year)
        if status is not None:
            where.append(Record.status == status)
        if subject_kind is not None:
            where.append(Record.subject_kind == subject_kind)
        total = (await self.session.scalar(select(func.count()).select_from(Record).where(*where))) or 0
        rows = (
            await self.session.scalars(
                select(Record)
                .where(*where)
                .order_by(Record.created_at.desc(), Record.id.desc())
                .limit(limit)
                .offset(offset)
            )
        ).all()
        return rows, int(total)

    async def of_subject(
        self, subject_kind: str, subject_key: str, *, readable_by: Principal | None = None
    ) -> Sequence[Record]:
        """Every record on one subject, oldest first; only those ``readable_by`` may read when given."""
        statement = select(Record).where(Record.subject_kind == subject_kind, Record.subject_key == subject_key)
        if readable_by is not None:
            statement = statement.where(self.readable_by(readable_by))
        return (await self.session.scalars(statement.order_by(Record.created_at, Record.id))).all()

    async def claim_lapsed(self, today: date, *, limit: int = 500) -> Sequence[Record]:
        """Records in force whose last day is before ``today``, locked; rows another replica holds are skipped."""
        return (
            await self.session.scalars(
                select(Record)
                .where(Record.status.in_(ACTIVE_STATUSES), Record.valid_until < today)
                .order_by(Record.valid_until, Record.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()

    async def get_appeal(
        self, record_id: uuid.UUID, appeal_id: uuid.UUID, *, for_update: bool = False
    ) -> Appeal | None:
        statement = select(Appeal).where(Appeal.id == appeal_id, Appeal.record_id == record_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.scalars(statement)).first()

    async def open_appeal(self, record_id: uuid.UUID) -> Appeal | None:
        return (
            await self.session.scalars(select(Appeal).where(Appeal.record_id == record_id, Appeal.status == "open"))
        ).first()

    async def appeals_of(self, record_id: uuid.UUID) -> Sequence[Appeal]:
        return (
            await self.session.scalars(
                select(Appeal).where(Appeal.record_id == record_id).order_by(Appeal.filed_at, Appeal.id)
            )
        ).all()

    async def history_of(self, record_id: uuid.UUID) -> Sequence[RecordChange]:
        return (
            await self.session.scalars(
                select(RecordChange)
                .where(RecordChange.record_id == record_id)
                .order_by(RecordChange.at, RecordChange.id)
            )
        ).all()
