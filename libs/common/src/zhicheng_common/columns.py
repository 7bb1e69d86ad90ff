"""The column vocabulary of every service's migrations, written once.

A migration states a column's name (and a string's length); the house conventions come from here:
NOT NULL unless ``nullable=True`` is said, ids are ``uuid``, times are ``timestamptz``, structured
values are ``jsonb``. ``timestamp_now`` is the "recorded at" column whose default is the server's
``now()``. Anything else a column needs (``primary_key=True``, ``server_default=...``, a
``ForeignKey`` or ``Identity``) is passed through to :class:`sqlalchemy.Column` unchanged.

These build the same DDL as the ``sa.Column(...)`` spellings the migrations used before (checked
with ``pg_dump --schema-only`` of every service's database after ``alembic upgrade head``), so a
migration already applied stays what it was.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.sql.schema import SchemaItem
from sqlalchemy.types import TypeEngine


def _column(name: str, kind: TypeEngine[Any], args: tuple[SchemaItem, ...], kw: dict[str, Any]) -> Column[Any]:
    kw.setdefault("nullable", False)
    return Column(name, kind, *args, **kw)


def uid(name: str, *args: SchemaItem, **kw: Any) -> Column[Any]:
    return _column(name, UUID(as_uuid=True), args, kw)


def string(name: str, length: int, *args: SchemaItem, **kw: Any) -> Column[Any]:
    return _column(name, String(length), args, kw)


def long_text(name: str, *args: SchemaItem, **kw: Any) -> Column[Any]:
    return _column(name, Text(), args, kw)


def day(name: str, *args: SchemaItem, **kw: Any) -> Column[Any]:
    return _column(name, Date(), args, kw)


def timestamp(name: str, *args: SchemaItem, **kw: Any) -> Column[Any]:
    return _column(name, DateTime(timezone=True), args, kw)


def timestamp_now(name: str, *args: SchemaItem, **kw: Any) -> Column[Any]:
    """A NOT NULL ``timestamptz`` the server fills with ``now()`` (created_at, updated_at, …)."""
    return _column(name, DateTime(timezone=True), args, {"server_default": func.now(), **kw})


def integer(name: str, *args: SchemaItem, **kw: Any) -> Column[Any]:
    return _column(name, Integer(), args, kw)


def smallint(name: str, *args: SchemaItem, **kw: Any) -> Column[Any]:
    return _column(name, SmallInteger(), args, kw)


def bigint(name: str, *args: SchemaItem, **kw: Any) -> Column[Any]:
    return _column(name, BigInteger(), args, kw)


def boolean(name: str, *args: SchemaItem, **kw: Any) -> Column[Any]:
    return _column(name, Boolean(), args, kw)


def jsonb(name: str, *args: SchemaItem, **kw: Any) -> Column[Any]:
    return _column(name, JSONB(), args, kw)


def binary(name: str, *args: SchemaItem, **kw: Any) -> Column[Any]:
    return _column(name, LargeBinary(), args, kw)
