"""Tables of annual evaluation plans (CM-5): window, notice and meetings of one year."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng_committees.models import Base
from zhicheng_common.db import CreatedAt, UuidKey


class Plan(UuidKey, CreatedAt, Base):
    """A committee's annual evaluation plan (CM-5): window, notice and meetings of one year."""

    __tablename__ = "plans"
    __table_args__ = (
        UniqueConstraint("committee_id", "year"),
        Index("ix_plans_region", "region", postgresql_ops={"region": "varchar_pattern_ops"}),
    )

    committee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("committees.id"))
    region: Mapped[str] = mapped_column(String(6))
    year: Mapped[int] = mapped_column(Integer)
    series: Mapped[str] = mapped_column(String(64))
    levels: Mapped[list[str]] = mapped_column(JSONB)
    declaration_opens: Mapped[date] = mapped_column(Date)
    declaration_closes: Mapped[date] = mapped_column(Date)
    notice_date: Mapped[date] = mapped_column(Date)
    cross_year_exception: Mapped[str | None] = mapped_column(Text, nullable=True)
    policy_pack: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(128))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
