"""Tables of committees: a committee is the aggregate; each filing (核准备案) is a row of its history,
the approved one being the committee's current filing (CM-2: the old filing stays, marked superseded)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
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
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng_committees.models import Base
from zhicheng_common.db import CreatedAt, UuidKey


class Committee(UuidKey, CreatedAt, Base):
    """A committee (评委会): where it belongs, its state and validity, and its current filing."""

    __tablename__ = "committees"
    __table_args__ = (
        CheckConstraint("region ~ '^[0-9]{6}$'", name="region_format"),
        Index("ix_committees_region", "region", postgresql_ops={"region": "varchar_pattern_ops"}),
        Index("ix_committees_status_valid_until", "status", "valid_until"),
    )

    region: Mapped[str] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(32))
    current_filing_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    rectification_deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Filing(UuidKey, Base):
    """One filing of a committee (CM-1): everything the HR department approved or rejected."""

    __tablename__ = "filings"
    __table_args__ = (
        UniqueConstraint("committee_id", "sequence"),
        Index("ix_filings_region", "region", postgresql_ops={"region": "varchar_pattern_ops"}),
        Index("ix_filings_status", "status"),
    )

    committee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("committees.id"))
    sequence: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(6))
    name: Mapped[str] = mapped_column(String(200))
    organizer_name: Mapped[str] = mapped_column(String(200))
    organizer_credit_code_hash: Mapped[str] = mapped_column(String(64))
    organizer_credit_code_encrypted: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(64))
    formation_basis: Mapped[str] = mapped_column(String(32))
    series: Mapped[str] = mapped_column(String(64))
    specialties: Mapped[list[str]] = mapped_column(JSONB)
    levels: Mapped[list[str]] = mapped_column(JSONB)
    scope_regions: Mapped[list[str]] = mapped_column(JSONB)
    scope_ownership_kinds: Mapped[list[str]] = mapped_column(JSONB)
    documents: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    office: Mapped[dict[str, Any]] = mapped_column(JSONB)
    member_count: Mapped[int] = mapped_column(Integer)
    policy_pack: Mapped[str] = mapped_column(String(64))
    submitted_by: Mapped[str] = mapped_column(String(128))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    opinion: Mapped[str | None] = mapped_column(Text, nullable=True)


class Sanction(UuidKey, CreatedAt, Base):
    """A measure against a committee (NA-13, CM-10): kind, reason, actor, date, rectification deadline."""

    __tablename__ = "sanctions"

    committee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("committees.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(128))
    decided_on: Mapped[date] = mapped_column(Date)
    rectification_deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
