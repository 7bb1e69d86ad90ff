"""Queries of a meeting's sitting: the applicants and panel it learnt, sign-in, recusals, groups, opinions."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import delete, select

from zhicheng_committees.meeting.models import (
    Attendance,
    GroupMember,
    MeetingPanel,
    MeetingSitting,
    OpinionRow,
    QualifiedDeclaration,
    Recusal,
)
from zhicheng_common.repository import Repository


class SittingRepository(Repository):
    """A meeting's sitting and what it learnt from review (applicants) and experts (the panel)."""

    async def sitting(self, meeting_id: uuid.UUID, *, for_update: bool = False) -> MeetingSitting | None:
        return await self.row(MeetingSitting, meeting_id, for_update=for_update)

    async def panel(self, meeting_id: uuid.UUID, *, for_update: bool = False) -> MeetingPanel | None:
        return await self.row(MeetingPanel, meeting_id, for_update=for_update)

    async def qualified(self, declaration_id: uuid.UUID) -> QualifiedDeclaration | None:
        return await self.row(QualifiedDeclaration, declaration_id)

    async def qualified_for(
        self, committee_id: uuid.UUID, *, year: int, series: str, levels: Sequence[str]
    ) -> Sequence[QualifiedDeclaration]:
        """The committee's qualified declarations of the plan's year, series and levels, by id."""
        statement = (
            select(QualifiedDeclaration)
            .where(
                QualifiedDeclaration.committee_id == committee_id,
                QualifiedDeclaration.year == year,
                QualifiedDeclaration.series == series,
                QualifiedDeclaration.level.in_(list(levels)),
            )
            .order_by(QualifiedDeclaration.declaration_id)
        )
        return (await self.session.scalars(statement)).all()

    async def applicants_of_other_sittings(self, meeting_ids: Sequence[uuid.UUID]) -> set[str]:
        """Declarations already taken by the given meetings' sittings (a declaration is evaluated once)."""
        if not meeting_ids:
            return set()
        rows = await self.session.scalars(
            select(MeetingSitting.applicants).where(MeetingSitting.meeting_id.in_(list(meeting_ids)))
        )
        return {a for applicants in rows for a in applicants}

    async def attending(self, meeting_id: uuid.UUID) -> list[str]:
        rows = await self.session.scalars(
            select(Attendance.expert_id).where(Attendance.meeting_id == meeting_id).order_by(Attendance.expert_id)
        )
        return list(rows)

    async def recusals(self, meeting_id: uuid.UUID) -> dict[str, set[str]]:
        """Declaration id → the experts who recused for it (NA-9)."""
        out: dict[str, set[str]] = {}
        rows = await self.session.execute(
            select(Recusal.declaration_id, Recusal.expert_id).where(Recusal.meeting_id == meeting_id)
        )
        for declaration_id, expert_id in rows:
            out.setdefault(declaration_id, set()).add(expert_id)
        return out

    async def groups(self, meeting_id: uuid.UUID) -> dict[str, list[str]]:
        """Declaration id → the members of its review group (MT-2)."""
        out: dict[str, list[str]] = {}
        rows = await self.session.execute(
            select(GroupMember.declaration_id, GroupMember.expert_id)
            .where(GroupMember.meeting_id == meeting_id)
            .order_by(GroupMember.declaration_id, GroupMember.expert_id)
        )
        for declaration_id, expert_id in rows:
            out.setdefault(declaration_id, []).append(expert_id)
        return out

    async def replace_groups(self, meeting_id: uuid.UUID, groups: Mapping[str, Sequence[str]]) -> None:
        await self.session.execute(delete(GroupMember).where(GroupMember.meeting_id == meeting_id))
        for declaration_id, members in groups.items():
            for expert_id in sorted(set(members)):
                self.add(GroupMember(meeting_id=meeting_id, declaration_id=declaration_id, expert_id=expert_id))
        await self.flush()

    async def opinions(self, meeting_id: uuid.UUID, declaration_id: str | None = None) -> Sequence[OpinionRow]:
        statement = select(OpinionRow).where(OpinionRow.meeting_id == meeting_id)
        if declaration_id is not None:
            statement = statement.where(OpinionRow.declaration_id == declaration_id)
        return (await self.session.scalars(statement.order_by(OpinionRow.expert_id))).all()
