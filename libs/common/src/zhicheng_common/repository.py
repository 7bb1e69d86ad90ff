"""The base of every service's repositories (STYLE.md: every query lives in ``repository.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar, cast

from sqlalchemy import ColumnElement, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from zhicheng_common.auth import Principal
from zhicheng_common.db import region_within
from zhicheng_common.problems import NotFound

Row = TypeVar("Row")


class Repository:
    """Holds the request's session; subclasses add the service's queries."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    async def row(self, model: type[Row], key: Any, *, for_update: bool = False) -> Row | None:
        """The row of ``model`` whose (single-column) primary key is ``key``, locked ``FOR UPDATE`` when asked."""
        statement = select(model).where(inspect(model).primary_key[0] == key)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.scalars(statement)).first()

    async def put(self, model: type[Row], key: Any, **values: Any) -> Row:
        """The row of ``model`` whose primary key is ``key`` with ``values`` set, added when there is none:
        a projection's row, written whole from each event that carries it."""
        mapper = inspect(model)
        row = await self.row(model, key)
        if row is None:
            key_name = mapper.get_property_by_column(mapper.primary_key[0]).key
            row = cast(Any, model)(**{key_name: key}, **values)  # the mapped constructor refuses unknown names
            self.add(row)
            return cast(Row, row)
        unknown = set(values) - set(mapper.attrs.keys())
        if unknown:
            raise TypeError(f"{model.__name__} has no attribute {', '.join(sorted(unknown))}")
        for name, value in values.items():
            setattr(row, name, value)
        return row

    async def locked(self, model: type[Row], *where: ColumnElement[bool]) -> Sequence[Row]:
        """The rows of ``model`` meeting ``where``, locked ``FOR UPDATE`` in primary-key order (a replica
        doing the same waits, then finds them changed)."""
        statement = select(model).where(*where).order_by(*inspect(model).primary_key).with_for_update()
        return (await self.session.scalars(statement)).all()

    async def get_or_raise(
        self, model: type[Row], key: Any, *, detail: str, code: str = "not_found", for_update: bool = False
    ) -> Row:
        """The row of ``model`` with primary key ``key``, or a 404 problem with ``detail`` and ``code``."""
        row = await self.row(model, key, for_update=for_update)
        if row is None:
            raise NotFound(detail, code=code)
        return row


class RegionScoped:
    """Repository mixin: what a caller reads is what lies within its jurisdiction (``region_column``)."""

    region_column: ClassVar[QueryableAttribute[str]]

    @classmethod
    def readable_by(cls, principal: Principal) -> ColumnElement[bool]:
        """Rows whose region lies within ``principal``'s jurisdiction."""
        return region_within(cls.region_column, principal.region)
