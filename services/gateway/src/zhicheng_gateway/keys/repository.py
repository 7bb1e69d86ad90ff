"""Every query of the API keys. Jurisdiction filters live here (``readable_by``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from zhicheng_common.auth import Principal
from zhicheng_common.repository import RegionScoped, Repository
from zhicheng_gateway.keys.models import ApiKey, ApiKeyUsage


class ApiKeyRepository(RegionScoped, Repository):
    region_column = ApiKey.region

    async def get(self, key_id: uuid.UUID, *, for_update: bool = False) -> ApiKey | None:
        return await self.row(ApiKey, key_id, for_update=for_update)

    async def readable(self, principal: Principal) -> Sequence[ApiKey]:
        statement = select(ApiKey).where(self.readable_by(principal)).order_by(ApiKey.created_at, ApiKey.id)
        return (await self.session.scalars(statement)).all()

    async def count_call(self, key_id: uuid.UUID, window_start: datetime) -> tuple[int, int]:
        """Count one call in the window (one statement, safe under concurrency): (calls, refused) after it."""
        statement = (
            insert(ApiKeyUsage)
            .values(key_id=key_id, window_start=window_start, calls=1, refused=0)
            .on_conflict_do_update(
                index_elements=[ApiKeyUsage.key_id, ApiKeyUsage.window_start],
                set_={"calls": ApiKeyUsage.calls + 1},
            )
            .returning(ApiKeyUsage.calls, ApiKeyUsage.refused)
        )
        calls, refused = (await self.session.execute(statement)).one()
        return int(calls), int(refused)

    async def count_refused(self, key_id: uuid.UUID, window_start: datetime) -> None:
        usage = await self.session.get(ApiKeyUsage, (key_id, window_start), with_for_update=True)
        if usage is not None:
            usage.refused += 1

    async def usage(self, key_id: uuid.UUID, *, limit: int) -> tuple[Sequence[ApiKeyUsage], int, int]:
        """The latest ``limit`` windows of the key and its totals over all windows."""
        windows = (
            await self.session.scalars(
                select(ApiKeyUsage)
                .where(ApiKeyUsage.key_id == key_id)
                .order_by(ApiKeyUsage.window_start.desc())
                .limit(limit)
            )
        ).all()
        calls, refused = (
            await self.session.execute(
                select(
                    func.coalesce(func.sum(ApiKeyUsage.calls), 0), func.coalesce(func.sum(ApiKeyUsage.refused), 0)
                ).where(ApiKeyUsage.key_id == key_id)
            )
        ).one()
        return windows, int(calls), int(refused)
