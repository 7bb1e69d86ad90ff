"""Tables of the gateway (schema ``gateway``; outbox, inbox and journal come from common)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, Index, String, text, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from zhicheng_common.db import CreatedAt, UuidKey, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class User(UuidKey, CreatedAt, Base):
    """A person who signs in at the gateway: roles and the region they act for (GB/T 2260)."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("region ~ '^[0-9]{6}$'", name="region_format"),
        CheckConstraint("jsonb_typeof(roles) = 'array'", name="roles_array"),
        # Jurisdiction filters are prefix matches (``region LIKE '1401%'``): pattern ops make them
        # index scans whatever the database's collation.
        Index("ix_users_region", "region", postgresql_ops={"region": "varchar_pattern_ops"}),
    )

    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(JSONB)
    region: Mapped[str] = mapped_column(String(6))
    name: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    created_by: Mapped[str] = mapped_column(String(128))
    # Bindings (issue 12), carried as token claims: set only by staff who checked the identity,
    # and stored as keyed hashes (``zhicheng_common.pii``), never the numbers themselves.
    person_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    unit_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    department: Mapped[str | None] = mapped_column(String(64), nullable=True)
    committees: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    bound_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    bound_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


# The feature folders' tables share this metadata (alembic and the drift test read it from here).
from zhicheng_gateway.feeds import models as _feeds_models  # noqa: E402, F401
from zhicheng_gateway.keys import models as _keys_models  # noqa: E402, F401
from zhicheng_gateway.readmodel import models as _readmodel_models  # noqa: E402, F401
from zhicheng_gateway.verify import models as _verify_models  # noqa: E402, F401
