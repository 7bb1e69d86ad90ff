"""Every query of verification, in SQLAlchemy Core: the status changes to evict, the anonymous day counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from zhicheng_common.repository import Repository
from zhicheng_gateway.verify.models import VerifyCount, VerifyInvalidation

INVALIDATIONS: Table = VerifyInvalidation.__table__  # type: ignore[assignment]
COUNTS: Table = VerifyCount.__table__  # type: ignore[assignment]
# Rows are read again this far back: a row whose identity was drawn before another's but committed
# after it is still seen (evicting a number twice costs nothing).
REREAD = 64


class InvalidationRepository(Repository):
    """Written by the status events' consumer, in the consumer's transaction (the inbox)."""

    async def record(self, *, number: str, status: str, changed_at: datetime) -> None:
        await self.session.execute(INVALIDATIONS.insert().values(number=number, status=status, changed_at=changed_at))


async def last_invalidation(conn: AsyncConnection) -> int:
    """The highest ``seq`` written so far (0 for none): where a starting process begins to read."""
    return int((await conn.execute(select(func.coalesce(func.max(INVALIDATIONS.c.seq), 0)))).scalar_one())


async def invalidations_after(conn: AsyncConnection, after: int, *, limit: int = 1000) -> Sequence[tuple[int, str]]:
    """``(seq, number)`` of the rows after ``after`` (and the few before it, see ``REREAD``), in order."""
    statement = (
        select(INVALIDATIONS.c.seq, INVALIDATIONS.c.number)
        .where(INVALIDATIONS.c.seq > after - REREAD)
        .order_by(INVALIDATIONS.c.seq)
        .limit(limit + REREAD)
    )
    return [(int(seq), str(number)) for seq, number in (await conn.execute(statement)).all()]


async def add_counts(conn: AsyncConnection, counts: Mapping[tuple[date, str, str], int]) -> None:
    """Add each (day, number, method) count to the stored one, in one statement."""
    if not counts:
        return
    rows = [{"day": d, "number": n, "method": m, "count": c} for (d, n, m), c in sorted(counts.items())]
    statement = insert(COUNTS).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=[COUNTS.c.day, COUNTS.c.number, COUNTS.c.method],
        set_={"count": COUNTS.c.count + statement.excluded.count},
    )
    await conn.execute(statement)


async def counts_of(conn: AsyncConnection, numbers: Sequence[str]) -> dict[str, list[tuple[date, str, int]]]:
    """The anonymous day counts of ``numbers``: number → [(day, method, count)], newest day first."""
    if not numbers:
        return {}
    statement = (
        select(COUNTS.c.number, COUNTS.c.day, COUNTS.c.method, COUNTS.c.count)
        .where(COUNTS.c.number.in_(list(numbers)))
        .order_by(COUNTS.c.number, COUNTS.c.day.desc(), COUNTS.c.method)
    )
    found: dict[str, list[tuple[date, str, int]]] = {}
    for number, day, method, count in (await conn.execute(statement)).all():
        found.setdefault(str(number), []).append((day, str(method), int(count)))
    return found
