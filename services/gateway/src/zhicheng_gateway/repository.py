"""Every query of the gateway. Jurisdiction filters live here (``readable_by``), never in routes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from zhicheng_common.auth import Principal
from zhicheng_common.ids import uuid7
from zhicheng_common.repository import RegionScoped, Repository
from zhicheng_gateway.models import User


class UserRepository(RegionScoped, Repository):
    """Users, always read through the caller's jurisdiction when listing."""

    region_column = User.region

    async def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> User | None:
        return await self.session.get(User, user_id, with_for_update=for_update)

    async def get_by_username(self, username: str) -> User | None:
        return (await self.session.scalars(select(User).where(User.username == username))).first()

    async def insert_if_absent(
        self,
        *,
        username: str,
        password_hash: str,
        roles: Sequence[str],
        region: str,
        name: str,
        created_by: str,
    ) -> User | None:
        """Insert a user unless the username exists; ``None`` when it did (safe under concurrency)."""
        statement = (
            insert(User)
            .values(
                id=uuid7(),
                username=username,
                password_hash=password_hash,
                roles=list(roles),
                region=region,
                name=name,
                active=True,
                created_by=created_by,
            )
            .on_conflict_do_nothing(index_elements=[User.username])
            .returning(User)
        )
        return (await self.session.scalars(statement)).first()

    async def page_readable_by(self, principal: Principal, *, limit: int, offset: int) -> tuple[Sequence[User], int]:
        """One page of the users ``principal`` may read, ordered by username, and their total."""
        where = self.readable_by(principal)
        total = (await self.session.scalar(select(func.count()).select_from(User).where(where))) or 0
        rows = (
            await self.session.scalars(select(User).where(where).order_by(User.username).limit(limit).offset(offset))
        ).all()
        return rows, int(total)
