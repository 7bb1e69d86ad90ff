"""Dependencies and routes every service shares: the unit of work and the audit journal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.audit import journal_key_path, row_to_entry
from zhicheng_common.auth import Principal, Role, ensure_covers, key_id, load_or_create_signing_key, require_roles
from zhicheng_common.db import Database, journal_table
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


class JournalEntryRead(BaseModel):
    """One entry of the service's hash-chained audit journal."""

    seq: int
    at: str
    actor: str
    role: str
    region: str
    action: str
    record_type: str
    record_id: str
    reason: str | None
    rule_ids: list[str]
    policy_pack: str | None
    data: dict[str, Any]
    prev_hash: str
    hash: str


class SealKeyRead(BaseModel):
    """Key id and PEM public key of the service's journal seals."""

    key_id: str
    public_key_pem: str


class JournalPage(BaseModel):
    items: list[JournalEntryRead]
    next_after_seq: int | None


def journal_router(area: str) -> APIRouter:
    """``/{area}/journal``: auditors read the journal entries of their jurisdiction."""
    router = APIRouter(prefix=f"/{area}/journal", tags=["audit"])

    @router.get("", summary="审计日志 (journal entries in my jurisdiction)")
    async def list_entries(
        session: SessionDep,
        principal: Auditor,
        after_seq: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> JournalPage:
        """Entries after ``after_seq`` whose region lies within the caller's jurisdiction."""
        rows = (
            await session.execute(
                select(journal_table).where(journal_table.c.seq > after_seq).order_by(journal_table.c.seq).limit(limit)
            )
        ).mappings()
        entries = [row_to_entry(row) for row in rows]
        items = [JournalEntryRead(**e) for e in entries if principal.covers(e["region"])]
        next_after = entries[-1]["seq"] if len(entries) == limit else None
        return JournalPage(items=items, next_after_seq=next_after)

    @router.get("/seal-key", summary="日志封存公钥 (public key of the journal seals)")
    async def seal_key(request: Request, principal: Auditor) -> SealKeyRead:
        """The public key that verifies this service's journal seals offline."""
        runtime = request.app.state.runtime
        key = load_or_create_signing_key(journal_key_path(runtime.common, runtime.name))
        pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        return SealKeyRead(key_id=key_id(key), public_key_pem=pem.decode())

    @router.get("/{seq}", summary="审计日志条目 (one entry)")
    async def get_entry(seq: Annotated[int, Path(ge=1)], session: SessionDep, principal: Auditor) -> JournalEntryRead:
        """One entry; 403 when it belongs to another jurisdiction."""
        row = (await session.execute(select(journal_table).where(journal_table.c.seq == seq))).mappings().first()
        if row is None:
            raise NotFound(f"审计日志条目 {seq} 不存在")
        entry = row_to_entry(row)
        ensure_covers(principal, entry["region"])
        return JournalEntryRead(**entry)

    return router
