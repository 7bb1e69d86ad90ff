"""Dependencies and routes every service shares: the unit of work and the audit journal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.audit import SEAL_ACTION, JournalSequencer, row_to_entry
from zhicheng_common.auth import Principal, Role, ensure_covers, require_roles
from zhicheng_common.db import Database, journal_table, region_within
from zhicheng_common.paging import MAX_BIGINT
from zhicheng_common.problems import NotFound


async def unit_of_work(request: Request) -> AsyncIterator[AsyncSession]:
    """One request = one transaction: committed when the route returns, rolled back on error."""
    database: Database = request.app.state.database
    async with database.unit_of_work() as session:
        yield session


# scope="function": the commit happens before the response is sent, so a client never sees
# success for a change that then failed to commit.
SessionDep = Annotated[AsyncSession, Depends(unit_of_work, scope="function")]

Auditor = Annotated[Principal, require_roles(Role.AUDITOR, Role.PROVINCE_ADMIN)]


async def service_context(request: Request) -> Any:
    """The service's typed context (clock, calendar, cipher, storage, policy packs), built once in
    ``create_app()``; a service types it once: ``Context = Annotated[ReviewContext, Depends(service_context)]``.
    """
    # ``async``: FastAPI runs a plain ``def`` dependency in the thread pool, a hop per request.
    return request.app.state.context


class JournalEntryRead(BaseModel):
    """One entry of the service's hash-chained audit journal.

    ``region`` is the actor's, ``record_region`` the record's; ``seq``, ``prev_hash`` and ``hash``
    stay empty until the sequencer has linked the entry into the chain (within a second or so).
    """

    id: int
    seq: int | None
    format: int
    at: str
    actor: str
    role: str
    region: str
    record_region: str | None
    action: str
    record_type: str
    record_id: str
    reason: str | None
    rule_ids: list[str]
    policy_pack: str | None
    data: dict[str, Any]
    prev_hash: str | None
    hash: str | None


class SealKeyRead(BaseModel):
    """The public keys of the service's journal seals.

    ``key_id``/``public_key_pem``: the key that signs seals now. ``ring``: every published key with
    its signing period (the ``ring.json`` of docs/keys.md), for ``zhicheng journal verify --keys``,
    which then accepts old seals by their key id.
    """

    key_id: str
    public_key_pem: str
    ring: dict[str, Any]


class JournalPage(BaseModel):
    items: list[JournalEntryRead]
    next_after_id: int | None


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """Entries an auditor sees: about a record of their jurisdiction, by an actor of it, or a seal.

    So a city's auditor sees a province user's read of that city's record, and a system action
    (scheduler, consumer) about it; seals carry no personal data and let anyone check the heads.
    """
    return or_(
        region_within(journal_table.c.record_region, principal.region),
        region_within(journal_table.c.region, principal.region),
        journal_table.c.action == SEAL_ACTION,
    )


def journal_router(area: str) -> APIRouter:
    """``/{area}/journal``: auditors read the journal entries of their jurisdiction."""
    router = APIRouter(prefix=f"/{area}/journal", tags=["audit"])

    @router.get("", summary="审计日志 (journal entries in my jurisdiction)")
    async def list_entries(
        session: SessionDep,
        principal: Auditor,
        after_id: Annotated[int, Query(ge=0, le=MAX_BIGINT)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> JournalPage:
        """Entries after ``after_id`` (insertion order) about records or by actors of my jurisdiction."""
        rows = (
            await session.execute(
                select(journal_table)
                .where(journal_table.c.id > after_id, visible_to(principal))
                .order_by(journal_table.c.id)
                .limit(limit)
            )
        ).mappings()
        items = [JournalEntryRead(**row_to_entry(row)) for row in rows]
        next_after = items[-1].id if len(items) == limit else None
        return JournalPage(items=items, next_after_id=next_after)

    @router.get("/seal-key", summary="日志封存公钥 (public key of the journal seals)")
    async def seal_key(request: Request, principal: Auditor) -> SealKeyRead:
        """The public key that verifies this service's journal seals offline."""
        # The ring loaded at start-up; a read never creates a key.
        sequencer: JournalSequencer | None = request.app.state.runtime.sequencer
        ring = sequencer.seal_ring if sequencer is not None else None
        if sequencer is None or ring is None:
            raise NotFound("本服务没有日志封存密钥", code="seal_key_unavailable")
        document = ring.public().to_json()
        current = ring.current_id(sequencer.clock.now()) or ring.keys[-1].key_id
        (entry,) = [k for k in document["keys"] if k["kid"] == current]
        return SealKeyRead(key_id=current, public_key_pem=entry["public_key_pem"], ring=document)

    @router.get("/{entry_id}", summary="审计日志条目 (one entry)")
    async def get_entry(
        entry_id: Annotated[int, Path(ge=1, le=MAX_BIGINT)], session: SessionDep, principal: Auditor
    ) -> JournalEntryRead:
        """One entry by id; 403 when neither the record nor the actor is in the caller's jurisdiction."""
        row = (await session.execute(select(journal_table).where(journal_table.c.id == entry_id))).mappings().first()
        if row is None:
            raise NotFound(f"审计日志条目 {entry_id} 不存在")
        entry = row_to_entry(row)
        if entry["action"] != SEAL_ACTION and not principal.covers(entry["region"]):
            ensure_covers(principal, entry["record_region"] or entry["region"])
        return JournalEntryRead(**entry)

    return router
