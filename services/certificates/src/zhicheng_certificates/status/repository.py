"""Every query of the status feature: the stored bitstrings, changed bit by bit inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, literal, select, update

from zhicheng_certificates.status.models import StatusListBits
from zhicheng_common.repository import Repository


class StatusListRepository(Repository):
    async def set_bit(self, purpose: str, index: int, value: bool, *, now: datetime) -> None:
        """Set bit ``index`` of list ``purpose`` (extending it with zero bytes when needed); the version grows.

        PostgreSQL's ``set_bit`` counts bits from the least significant one of each byte; the list
        counts from the most significant one (W3C), hence bit ``8·(i div 8) + 7 − i mod 8``.
        """
        byte = index // 8
        bits = StatusListBits.bits
        padded = case(
            (func.length(bits) > byte, bits),
            else_=bits.op("||")(func.decode(func.repeat(literal("00"), byte + 1 - func.length(bits)), literal("hex"))),
        )
        await self.session.execute(
            update(StatusListBits)
            .where(StatusListBits.purpose == purpose)
            .values(
                bits=func.set_bit(padded, byte * 8 + 7 - index % 8, 1 if value else 0),
                version=StatusListBits.version + 1,
                updated_at=now,
            )
        )

    async def current(self, purpose: str) -> StatusListBits:
        row = (await self.session.scalars(select(StatusListBits).where(StatusListBits.purpose == purpose))).one()
        return row

    async def version(self, purpose: str) -> tuple[int, datetime]:
        row = (
            await self.session.execute(
                select(StatusListBits.version, StatusListBits.updated_at).where(StatusListBits.purpose == purpose)
            )
        ).one()
        return int(row[0]), row[1]
