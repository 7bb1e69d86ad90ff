"""Queries of committees, filings and sanctions. Jurisdiction filters live here (``readable_by``), never in routes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import QueryableAttribute

from zhicheng_committees.auth import REGION_WIDE_ROLES
from zhicheng_committees.committee.domain import CommitteeStatus, FilingStatus
from zhicheng_committees.committee.models import Committee, Filing, Sanction
from zhicheng_common.auth import Principal, Role
from zhicheng_common.db import region_within
from zhicheng_common.repository import Repository


def office_scoped(principal: Principal) -> bool:
    """Whether the caller is a committee office bound to its committees rather than a region-wide role."""
    return principal.has_role(Role.COMMITTEE_OFFICE) and not principal.has_role(*REGION_WIDE_ROLES)


def office_of(principal: Principal, committee_id: QueryableAttribute[uuid.UUID]) -> ColumnElement[bool]:
    """The committees an office acts for: those its token names (``zc_committees``), and those whose
    filing this very account submitted (the office that filed a committee is its office)."""
    bound = principal.committee_ids()
    filed = select(Filing.committee_id).where(Filing.submitted_by == principal.subject).scalar_subquery()
    return or_(committee_id.in_(bound) if bound else false(), committee_id.in_(filed))


def committee_scope(
    principal: Principal, region: QueryableAttribute[str], committee_id: QueryableAttribute[uuid.UUID]
) -> ColumnElement[bool]:
    """Region for region-wide roles; region and the office's own committees for a committee office."""
    within = region_within(region, principal.region)
    if office_scoped(principal):
        return and_(within, office_of(principal, committee_id))
    return within


class CommitteeRepository(Repository):
    """Committees, their filings and sanctions; lists always through the caller's jurisdiction."""

    @staticmethod
    def readable_by(principal: Principal) -> ColumnElement[bool]:
        """Committees within ``principal``'s jurisdiction; for a committee office, only its own."""
        return committee_scope(principal, Committee.region, Committee.id)

    async def acts_for(self, principal: Principal, committee_id: uuid.UUID) -> bool:
        """Whether the caller may read and act on this committee's records (its office, or region-wide)."""
        if not office_scoped(principal):
            return True
        found = await self.session.scalar(
            select(func.count())
            .select_from(Committee)
            .where(Committee.id == committee_id, office_of(principal, Committee.id))
        )
        return bool(found)

    async def get(self, committee_id: uuid.UUID, *, for_update: bool = False) -> Committee | None:
        return await self.row(Committee, committee_id, for_update=for_update)

    async def get_filing(self, filing_id: uuid.UUID, *, for_update: bool = False) -> Filing | None:
        """One filing; ``for_update`` locks its row and reloads it, so a decision sees the committed state."""
        if not for_update:
            return await self.session.get(Filing, filing_id)
        statement = (
            select(Filing).where(Filing.id == filing_id).with_for_update().execution_options(populate_existing=True)
        )
        return (await self.session.scalars(statement)).first()

    async def filings_of(self, committee_id: uuid.UUID) -> Sequence[Filing]:
        statement = select(Filing).where(Filing.committee_id == committee_id).order_by(Filing.sequence)
        return (await self.session.scalars(statement)).all()

    async def pending_filing(self, committee_id: uuid.UUID) -> Filing | None:
        statement = select(Filing).where(Filing.committee_id == committee_id, Filing.status == FilingStatus.PENDING)
        return (await self.session.scalars(statement)).first()

    async def next_sequence(self, committee_id: uuid.UUID) -> int:
        current = await self.session.scalar(
            select(func.max(Filing.sequence)).where(Filing.committee_id == committee_id)
        )
        return int(current or 0) + 1

    async def shown_filings(self, committees: Sequence[Committee]) -> dict[uuid.UUID, Filing]:
        """For each committee, the filing in force, or its latest filing when none was approved yet."""
        ids = [c.id for c in committees]
        if not ids:
            return {}
        rows = (
            await self.session.scalars(
                select(Filing).where(Filing.committee_id.in_(ids)).order_by(Filing.committee_id, Filing.sequence)
            )
        ).all()
        current = {c.id: c.current_filing_id for c in committees}
        out: dict[uuid.UUID, Filing] = {}
        for filing in rows:
            if current[filing.committee_id] is None or filing.id == current[filing.committee_id]:
                out[filing.committee_id] = filing
        return out

    async def pending_filing_ids(self, committee_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        if not committee_ids:
            return {}
        rows = await self.session.execute(
            select(Filing.committee_id, Filing.id).where(
                Filing.committee_id.in_(committee_ids), Filing.status == FilingStatus.PENDING
            )
        )
        return {committee_id: filing_id for committee_id, filing_id in rows}

    async def page_readable_by(
        self,
        principal: Principal,
        *,
        status: CommitteeStatus | None,
        region: str | None,
        expiring_by: date | None,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[Committee], int]:
        """Committees the caller may read, optionally by status, region and "valid until on or before"."""
        where = [self.readable_by(principal)]
        if region is not None:
            where.append(region_within(Committee.region, region))
        if status is not None:
            where.append(Committee.status == status)
        if expiring_by is not None:
            where.append(Committee.valid_until <= expiring_by)
            where.append(Committee.status.in_([CommitteeStatus.ACTIVE, CommitteeStatus.SUSPENDED]))
        total = await self.session.scalar(select(func.count()).select_from(Committee).where(*where)) or 0
        order = (
            (Committee.valid_until, Committee.id) if expiring_by is not None else (Committee.created_at, Committee.id)
        )
        rows = (
            await self.session.scalars(select(Committee).where(*where).order_by(*order).limit(limit).offset(offset))
        ).all()
        return rows, int(total)

    async def filings_page_readable_by(
        self, principal: Principal, *, status: FilingStatus | None, region: str | None, limit: int, offset: int
    ) -> tuple[Sequence[Filing], int]:
        """Filings the caller may read, optionally by status and region, oldest first."""
        where = [committee_scope(principal, Filing.region, Filing.committee_id)]
        if region is not None:
            where.append(region_within(Filing.region, region))
        if status is not None:
            where.append(Filing.status == status)
        total = await self.session.scalar(select(func.count()).select_from(Filing).where(*where)) or 0
        rows = (
            await self.session.scalars(
                select(Filing).where(*where).order_by(Filing.submitted_at, Filing.id).limit(limit).offset(offset)
            )
        ).all()
        return rows, int(total)

    async def active_of_series(self, series: str, today: date) -> Sequence[tuple[Committee, Filing]]:
        """Active committees of a series whose filing in force is still valid (the rest of CM-4 is pure)."""
        rows = await self.session.execute(
            select(Committee, Filing)
            .join(Filing, Filing.id == Committee.current_filing_id)
            .where(Committee.status == CommitteeStatus.ACTIVE, Committee.valid_until >= today, Filing.series == series)
            .order_by(Committee.region, Committee.id)
        )
        return [(c, f) for c, f in rows]

    async def claim_expired(self, today: date, *, limit: int = 100) -> Sequence[Committee]:
        """Committees past their validity end and still holding power, locked for this transaction (CM-2)."""
        statement = (
            select(Committee)
            .where(
                Committee.status.in_([CommitteeStatus.ACTIVE, CommitteeStatus.SUSPENDED]),
                Committee.valid_until < today,
            )
            .order_by(Committee.valid_until)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(statement)).all()

    async def sanctions_of(self, committee_id: uuid.UUID) -> Sequence[Sanction]:
        statement = select(Sanction).where(Sanction.committee_id == committee_id).order_by(Sanction.created_at)
        return (await self.session.scalars(statement)).all()
