"""Every query of pool filings, and the frozen pool a draw reads (:func:`eligible_pool_snapshot`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.auth import Principal
from zhicheng_common.policy import committee_level
from zhicheng_common.repository import RegionScoped, Repository
from zhicheng_common.series import Rank
from zhicheng_experts.draw import domain as draw
from zhicheng_experts.expert.models import Expert
from zhicheng_experts.expert.repository import ExpertRepository
from zhicheng_experts.pool.models import PoolFiling, PoolMember
from zhicheng_experts.projection.domain import ranks_of_levels
from zhicheng_experts.projection.repository import IntegrityBarRepository, ProjectionRepository


class PoolRepository(RegionScoped, Repository):
    """Pool filings and their members; lists go through the caller's jurisdiction."""

    region_column = PoolFiling.region

    async def get(self, filing_id: uuid.UUID) -> PoolFiling | None:
        return await self.session.get(PoolFiling, filing_id)

    async def in_force(self, committee_id: uuid.UUID, *, for_update: bool = False) -> PoolFiling | None:
        statement = select(PoolFiling).where(PoolFiling.committee_id == committee_id, PoolFiling.status == "filed")
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.scalars(statement)).first()

    async def latest(self, committee_id: uuid.UUID) -> PoolFiling | None:
        """The committee's last filing, in force or not (the one a re-filing is counted against)."""
        return (
            await self.session.scalars(
                select(PoolFiling)
                .where(PoolFiling.committee_id == committee_id)
                .order_by(PoolFiling.created_at.desc(), PoolFiling.id.desc())
                .limit(1)
            )
        ).first()

    async def of_committee(self, principal: Principal, committee_id: uuid.UUID) -> Sequence[PoolFiling]:
        return (
            await self.session.scalars(
                select(PoolFiling)
                .where(PoolFiling.committee_id == committee_id, self.readable_by(principal))
                .order_by(PoolFiling.created_at.desc(), PoolFiling.id.desc())
            )
        ).all()

    async def members(self, filing_id: uuid.UUID) -> Sequence[PoolMember]:
        return (
            await self.session.scalars(
                select(PoolMember).where(PoolMember.filing_id == filing_id).order_by(PoolMember.expert_id)
            )
        ).all()

    async def lapse_due(self, today: date, now: datetime) -> list[PoolFiling]:
        """Mark every filing in force whose last day is before ``today`` expired; return them."""
        rows = (
            await self.session.scalars(
                update(PoolFiling)
                .where(PoolFiling.status == "filed", PoolFiling.valid_until < today)
                .values(status="expired", ended_at=now)
                .returning(PoolFiling)
            )
        ).all()
        return list(rows)


@dataclass(frozen=True)
class FrozenPool:
    """What :func:`zhicheng_experts.draw.domain.eligibility` takes, read from this service's tables:
    the meeting, the committee's pool filing, every member of it with the facts that may exclude
    them (terms, status, series, rank, unit and relationship hashes, integrity bars on the freezing
    day) and the meeting's applicants (keyed hashes of person and unit)."""

    meeting: draw.Meeting
    region: str
    policy_pack: str
    filing: draw.PoolFiling
    experts: tuple[draw.Expert, ...]
    applicants: tuple[draw.Applicant, ...]


async def eligible_pool_snapshot(
    session: AsyncSession, committee_id: uuid.UUID, meeting_id: uuid.UUID, *, frozen_on: date
) -> FrozenPool | None:
    """The committee's pool as a draw for the meeting sees it on ``frozen_on``.

    The filing is the one in force, else the committee's last one (then the draw core excludes
    every expert with ``pool_filing_expired`` and says why). ``None`` when the meeting is not open
    for a draw of this committee (no ``pre_filed`` event), the committee is unknown, or the
    committee never filed a pool.
    """
    projections = ProjectionRepository(session)
    meeting_row = await projections.meeting(meeting_id)
    if meeting_row is None or meeting_row.committee_id != committee_id:
        return None
    committee = await projections.committee(committee_id)
    pools = PoolRepository(session)
    filing_row = await pools.in_force(committee_id) or await pools.latest(committee_id)
    if committee is None or filing_row is None:
        return None
    member_ids = [m.expert_id for m in await pools.members(filing_row.id)]
    experts_by_id = await ExpertRepository(session).many(member_ids)
    repository = ExpertRepository(session)
    terms = await repository.terms_of(member_ids)
    relationships = await repository.relationships_of(member_ids)
    rows: list[Expert] = [experts_by_id[i] for i in sorted(member_ids) if i in experts_by_id]
    bars = await IntegrityBarRepository(session).in_force_for([e.resident_id_key for e in rows], on=frozen_on)
    experts = tuple(
        draw.Expert(
            id=str(e.id),
            resident_id_hash=e.resident_id_key,
            unit_credit_code=e.unit_key,
            ownership_kind=e.ownership_kind,  # type: ignore[arg-type]  # checked by the table's constraint
            series=e.series,
            specialties=tuple(sorted(e.specialties)),
            rank_held=Rank(e.rank_held),
            terms=tuple(draw.Term(t.starts_on, t.ends_on) for t in terms[e.id]),
            status=e.status,  # type: ignore[arg-type]  # checked by the table's constraint
            relationships=tuple(draw.Relationship(r.kind, r.other_key) for r in relationships[e.id]),  # type: ignore[arg-type]
            integrity_bars=tuple(bars.get(e.resident_id_key, ())),
        )
        for e in rows
    )
    # A committee that lists no specialties evaluates every specialty its filed experts cover.
    specialties = tuple(sorted(committee.specialties)) or tuple(
        sorted({s for e in rows if e.series == meeting_row.series for s in e.specialties})
    )
    meeting = draw.Meeting(
        id=str(meeting_row.meeting_id),
        committee_id=str(committee_id),
        date=meeting_row.meeting_date,
        committee_level=committee_level(committee.levels),
        formation_basis=committee.formation_basis,  # type: ignore[arg-type]  # from committees' own enum
        series=meeting_row.series,
        evaluation_ranks=ranks_of_levels(meeting_row.levels),
        specialties=specialties,
    )
    filing = draw.PoolFiling(
        id=str(filing_row.id),
        committee_id=str(committee_id),
        valid_from=filing_row.valid_from,
        valid_until=filing_row.valid_until,
    )
    applicants = tuple(
        draw.Applicant(resident_id_hash=a.applicant_key, unit_credit_code=a.unit_key)
        for a in await projections.applicants(committee_id, meeting_row.year)
    )
    return FrozenPool(
        meeting=meeting,
        region=meeting_row.region,
        policy_pack=meeting_row.policy_pack,
        filing=filing,
        experts=experts,
        applicants=applicants,
    )


async def contact_emails(session: AsyncSession, expert_ids: Sequence[str]) -> dict[str, str]:
    """The e-mail address of each of these experts that has one (a drawn expert is notified)."""
    ids = [uuid.UUID(i) for i in expert_ids]
    return {str(e.id): e.email for e in (await ExpertRepository(session).many(ids)).values() if e.email}


class PoolSource:
    """The pool as the draw feature reads it (its ``PoolSnapshotSource``): the two functions above."""

    async def eligible_pool_snapshot(
        self, session: AsyncSession, committee_id: uuid.UUID, meeting_id: uuid.UUID, *, frozen_on: date
    ) -> FrozenPool | None:
        return await eligible_pool_snapshot(session, committee_id, meeting_id, frozen_on=frozen_on)

    async def contact_emails(self, session: AsyncSession, expert_ids: Sequence[str]) -> dict[str, str]:
        return await contact_emails(session, expert_ids)
