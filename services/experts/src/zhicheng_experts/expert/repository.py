"""Every query about experts. Jurisdiction filters live here (``readable_by``), never in routes."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import InstrumentedAttribute

from zhicheng_common.auth import Principal
from zhicheng_common.repository import RegionScoped, Repository
from zhicheng_experts.expert.models import Expert, ExpertRelationship, ExpertTerm

Child = TypeVar("Child", ExpertTerm, ExpertRelationship)


class ExpertRepository(RegionScoped, Repository):
    """Experts with their terms and relationships; lists go through the caller's jurisdiction."""

    region_column = Expert.region

    async def get(self, expert_id: uuid.UUID, *, for_update: bool = False) -> Expert | None:
        return await self.row(Expert, expert_id, for_update=for_update)

    async def many(self, expert_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Expert]:
        rows = (await self.session.scalars(select(Expert).where(Expert.id.in_(list(expert_ids))))).all()
        return {row.id: row for row in rows}

    async def existing_keys(self, keys: Collection[str]) -> set[str]:
        """The resident-ID keyed hashes among ``keys`` that an expert already has."""
        if not keys:
            return set()
        rows = await self.session.scalars(select(Expert.resident_id_key).where(Expert.resident_id_key.in_(list(keys))))
        return set(rows.all())

    async def with_key(self, key: str, *, for_update: bool = False) -> Expert | None:
        statement = select(Expert).where(Expert.resident_id_key == key)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.scalars(statement)).first()

    async def with_account(self, subject: str) -> Expert | None:
        return (await self.session.scalars(select(Expert).where(Expert.account_subject == subject))).first()

    async def page_readable_by(
        self,
        principal: Principal,
        *,
        series: str | None,
        status: str | None,
        specialty: str | None,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[Expert], int]:
        """One page of the experts ``principal`` may read, by name then id, and their total."""
        where = self._filters(principal, series=series, status=status, specialty=specialty)
        total = (await self.session.scalar(select(func.count()).select_from(Expert).where(*where))) or 0
        rows = (
            await self.session.scalars(
                select(Expert).where(*where).order_by(Expert.name, Expert.id).limit(limit).offset(offset)
            )
        ).all()
        return rows, int(total)

    async def all_readable_by(
        self, principal: Principal, *, series: str | None, status: str | None, specialty: str | None
    ) -> Sequence[Expert]:
        where = self._filters(principal, series=series, status=status, specialty=specialty)
        return (await self.session.scalars(select(Expert).where(*where).order_by(Expert.name, Expert.id))).all()

    @classmethod
    def _filters(
        cls, principal: Principal, *, series: str | None, status: str | None, specialty: str | None
    ) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [cls.readable_by(principal)]
        if series is not None:
            where.append(Expert.series == series)
        if status is not None:
            where.append(Expert.status == status)
        if specialty is not None:
            where.append(Expert.specialties.contains([specialty]))
        return where

    async def terms_of(self, expert_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[ExpertTerm]]:
        return await self._by_expert(ExpertTerm, expert_ids, ExpertTerm.starts_on)

    async def relationships_of(self, expert_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[ExpertRelationship]]:
        order = (ExpertRelationship.kind, ExpertRelationship.other_key)
        return await self._by_expert(ExpertRelationship, expert_ids, *order)

    async def _by_expert(
        self, model: type[Child], expert_ids: Collection[uuid.UUID], *order: InstrumentedAttribute[Any]
    ) -> dict[uuid.UUID, list[Child]]:
        """The ``model`` rows (terms or relationships) of each expert, in ``order``; every id has a list."""
        out: dict[uuid.UUID, list[Child]] = {expert_id: [] for expert_id in expert_ids}
        if not expert_ids:
            return out
        rows = await self.session.scalars(select(model).where(model.expert_id.in_(list(expert_ids))).order_by(*order))
        for row in rows:
            out[row.expert_id].append(row)
        return out
        rows = await self.session.scalars(
            select(ExpertRelationship)
            .where(ExpertRelationship.expert_id.in_(list(expert_ids)))
            .order_by(ExpertRelationship.kind, ExpertRelationship.other_key)
        )
        for row in rows:
            out[row.expert_id].append(row)
        return out

    async def replace_terms(self, expert_id: uuid.UUID, terms: Sequence[ExpertTerm]) -> None:
        await self.session.execute(delete(ExpertTerm).where(ExpertTerm.expert_id == expert_id))
        self.session.add_all(terms)

    async def replace_relationships(self, expert_id: uuid.UUID, relationships: Sequence[ExpertRelationship]) -> None:
        await self.session.execute(delete(ExpertRelationship).where(ExpertRelationship.expert_id == expert_id))
        self.session.add_all(relationships)
