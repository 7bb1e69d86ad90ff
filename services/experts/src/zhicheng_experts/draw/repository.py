"""Every query of the draw, and the interface through which it reads the frozen pool.

The pool itself (experts, filings, projections of meetings, applicants and integrity bars) belongs
to the ``expert/`` and ``pool/`` features; the draw reads it only through :class:`PoolSnapshotSource`,
so the draw is tested on its own rows and wired to the pool's repository in ``app.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from zhicheng_experts.draw.models import Draw, DrawNotification, DrawReplacement, DrawSignature
from zhicheng_experts.expert.models import Expert
from zhicheng_experts.pool.repository import FrozenPool

#: A notification failing this often stays pending for an operator (its last error kept) and is no
#: longer retried by the job.
MAX_NOTIFY_ATTEMPTS = 20


#: What a draw freezes for a meeting (the pool feature's frozen pool): the meeting, its region and
#: pack, the committee's pool filing with its experts (integrity bars in force filled in) and the
#: meeting's applicants.
PoolSnapshot = FrozenPool


class PoolSnapshotSource(Protocol):
    """Where the draw reads the pool from (the ``pool`` feature's repository in the service)."""

    async def eligible_pool_snapshot(
        self, session: AsyncSession, committee_id: uuid.UUID, meeting_id: uuid.UUID, *, frozen_on: date
    ) -> PoolSnapshot | None:
        """The pool for this committee's meeting as frozen on ``frozen_on`` (integrity bars in force
        that day); None when the meeting is not open for a draw of this committee."""
        ...

    async def contact_emails(self, session: AsyncSession, expert_ids: Sequence[str]) -> Mapping[str, str]:
        """The e-mail address of each expert that has one (for notifying drawn experts)."""
        ...


class DrawRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def account_subjects(self, expert_ids: Sequence[str]) -> dict[str, str | None]:
        """The gateway account each expert signs in with (``Expert.account_subject``), by expert id."""
        ids = []
        for e in expert_ids:
            try:
                ids.append(uuid.UUID(e))
            except ValueError:  # an id of a pool source other than the experts table
                continue
        if not ids:
            return {}
        rows = await self.session.execute(select(Expert.id, Expert.account_subject).where(Expert.id.in_(ids)))
        return {str(expert_id): subject for expert_id, subject in rows}

    async def lock_meeting(self, meeting_id: uuid.UUID) -> None:
        """Serialize requests for one meeting (two offices asking at once get one draw and one refusal)."""
        await self.session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(str(meeting_id), 14))))

    async def of_meeting(self, meeting_id: uuid.UUID) -> list[Draw]:
        rows = await self.session.scalars(select(Draw).where(Draw.meeting_id == meeting_id).order_by(Draw.id))
        return list(rows)

    async def get(
        self, draw_id: uuid.UUID, *, for_update: bool = False, snapshot: bool = False, audit: bool = False
    ) -> Draw | None:
        """One draw; its snapshot and audit documents only when asked for (they are large)."""
        statement = select(Draw).where(Draw.id == draw_id)
        if snapshot:
            statement = statement.options(undefer(Draw.snapshot))
        if audit:
            statement = statement.options(undefer(Draw.audit))
        if for_update:
            statement = statement.with_for_update()
        return await self.session.scalar(statement)

    async def signatures(self, draw_id: uuid.UUID) -> list[DrawSignature]:
        rows = await self.session.scalars(
            select(DrawSignature).where(DrawSignature.draw_id == draw_id).order_by(DrawSignature.signed_at)
        )
        return list(rows)

    async def replacements(self, draw_id: uuid.UUID) -> list[DrawReplacement]:
        rows = await self.session.scalars(
            select(DrawReplacement).where(DrawReplacement.draw_id == draw_id).order_by(DrawReplacement.seq)
        )
        return list(rows)

    async def void(self, draw_ids: Sequence[uuid.UUID], *, by: uuid.UUID) -> None:
        if draw_ids:
            await self.session.execute(update(Draw).where(Draw.id.in_(draw_ids)).values(status="voided", voided_by=by))
            await self.session.flush()

    async def pending_notifications(self, limit: int) -> list[DrawNotification]:
        rows = await self.session.scalars(
            select(DrawNotification)
            .where(DrawNotification.sent_at.is_(None), DrawNotification.attempts < MAX_NOTIFY_ATTEMPTS)
            .order_by(DrawNotification.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(rows)

    async def mark_sent(self, notification: DrawNotification, at: datetime) -> None:
        notification.sent_at = at
        notification.attempts += 1

    def add(self, row: Draw | DrawSignature | DrawReplacement | DrawNotification) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()
