"""Tables of pool filings (专家库备案): one filing in force per committee, its members, and history.

A re-filing supersedes the filing in force; an expired or superseded filing stays, so the next
re-filing counts its new experts against the last filed pool (EX-4).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng_common.db import CreatedAt, UuidKey
from zhicheng_experts.models import Base


class PoolFiling(UuidKey, CreatedAt, Base):
    """A committee's expert-pool filing: valid from its first to its last day, both included (EX-3)."""

    __tablename__ = "pool_filings"
    __table_args__ = (
        CheckConstraint("status IN ('filed', 'expired', 'superseded')", name="status"),
        CheckConstraint("valid_until >= valid_from", name="validity"),
        CheckConstraint("region ~ '^[0-9]{6}$'", name="region_format"),
        Index("ix_pool_filings_one_in_force", "committee_id", unique=True, postgresql_where=text("status = 'filed'")),
        Index("ix_pool_filings_committee_id", "committee_id"),
        Index("ix_pool_filings_expiry", "valid_until", postgresql_where=text("status = 'filed'")),
    )

    committee_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    region: Mapped[str] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    applied_on: Mapped[date] = mapped_column(Date)
    # The annual evaluation the re-filing was checked against (EX-4), when one was known.
    evaluation_date: Mapped[date | None] = mapped_column(Date)
    previous_filing_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("pool_filings.id"))
    member_count: Mapped[int] = mapped_column(Integer)
    new_member_count: Mapped[int] = mapped_column(Integer)
    private_enterprise_count: Mapped[int] = mapped_column(Integer)
    policy_pack: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(128))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PoolMember(Base):
    """An expert of a filing; ``is_new``: not in the committee's previous filing (EX-4)."""

    __tablename__ = "pool_members"
    __table_args__ = (Index("ix_pool_members_expert_id", "expert_id"),)

    filing_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("pool_filings.id", ondelete="CASCADE"), primary_key=True
    )
    expert_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("experts.id"), primary_key=True)
    is_new: Mapped[bool] = mapped_column(Boolean)
