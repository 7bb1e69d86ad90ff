"""Tables of the committees service (schema ``committees``; outbox, inbox and journal are in zhicheng_common).

A committee is the aggregate; each filing (核准备案) is a row of its history, the approved one
being the committee's current filing (CM-2: the old filing stays, marked superseded).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from zhicheng_common.db import CreatedAt, UuidKey, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


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


class PlanMeeting(UuidKey, Base):
    """A meeting of a plan: its date, pre-meeting filing (CM-8) and the post-meeting filing deadline (CM-9)."""

    __tablename__ = "plan_meetings"
    __table_args__ = (
        Index("ix_plan_meetings_region", "region", postgresql_ops={"region": "varchar_pattern_ops"}),
        Index("ix_plan_meetings_due", "post_meeting_filing_due"),
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    committee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("committees.id"))
    region: Mapped[str] = mapped_column(String(6))
    position: Mapped[int] = mapped_column(Integer)
    meeting_date: Mapped[date] = mapped_column(Date)
    pre_meeting_filing_date: Mapped[date] = mapped_column(Date)
    # CM-8: the pre-meeting filing made, which opens the meeting (experts may then be drawn).
    pre_meeting_filed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    pre_meeting_filed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    applicant_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pre_meeting_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The ``*_filed_on`` / ``results_entered_on`` days are the server's (the day the act reached
    # the platform); a date on the paper the client holds is kept beside, never instead.
    pre_meeting_paper_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    post_meeting_filing_due: Mapped[date] = mapped_column(Date)
    # Counted through a year without an official holiday arrangement: recomputed when it is loaded.
    post_meeting_filing_due_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    post_meeting_filed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    post_meeting_filed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    post_meeting_paper_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    overdue_noted: Mapped[bool] = mapped_column(Boolean, default=False)
    # CM-11: results entered into the provincial platform after the appointment document.
    appointment_document_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    results_entered_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    results_entered_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    results_entry_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    results_entry_due_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    meeting_file: Mapped[list[str] | None] = mapped_column(JSONB, nullable=True)
