"""Tables of the integrity service (schema ``integrity``; outbox, inbox and journal are in zhicheng_common).

History is never deleted (DESIGN.md §2): a record changes status (expired, withdrawn, superseded)
and every change leaves a ``record_changes`` row; the migration refuses ``DELETE`` on all three
tables with a trigger.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from zhicheng_common.db import CreatedAt, UuidKey, new_metadata
from zhicheng_integrity.domain import is_active


class Base(DeclarativeBase):
    metadata = new_metadata()


class Record(UuidKey, CreatedAt, Base):
    """An integrity record (诚信档案记录) on a person or a unit, its effects and its validity."""

    __tablename__ = "records"
    __table_args__ = (
        CheckConstraint("subject_kind IN ('person', 'unit')", name="subject_kind"),
        CheckConstraint(
            "status IN ('proposed', 'decided', 'under_appeal', 'expired', 'withdrawn', 'superseded')", name="status"
        ),
        CheckConstraint("source IN ('manual', 'event')", name="source"),
        CheckConstraint("region ~ '^[0-9]{6}$'", name="region_format"),
        CheckConstraint("valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from", name="validity"),
        CheckConstraint("status = 'proposed' OR (valid_from IS NOT NULL AND valid_until IS NOT NULL)", name="dated"),
        Index("ix_records_subject_key", "subject_key"),
        Index("ix_records_region", "region", postgresql_ops={"region": "varchar_pattern_ops"}),
        # The expiry job's scan: only records whose effects are in force.
        Index(
            "ix_records_active_valid_until",
            "valid_until",
            postgresql_where=text("status IN ('decided', 'under_appeal')"),
        ),
        Index("ix_records_source_event_id", "source_event_id", unique=True),
    )

    subject_kind: Mapped[str] = mapped_column(String(8))
    # Keyed hash of the resident ID number or credit code: what other services match on.
    subject_key: Mapped[str] = mapped_column(String(64))
    # The identifier itself, encrypted (absent when the record came from an event carrying the hash only).
    subject_id_encrypted: Mapped[str | None] = mapped_column(Text)
    subject_id_masked: Mapped[str | None] = mapped_column(String(32))
    subject_name: Mapped[str | None] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    facts: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    deciding_authority: Mapped[str | None] = mapped_column(String(128))
    decision_date: Mapped[date | None] = mapped_column(Date)
    effects: Mapped[dict[str, Any]] = mapped_column(JSONB)
    committee_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    region: Mapped[str] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(8))
    source_event_id: Mapped[str | None] = mapped_column(String(64))
    declaration_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    rule_ids: Mapped[list[str]] = mapped_column(JSONB)
    policy_pack: Mapped[str] = mapped_column(String(64))
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("records.id"))
    superseded_by_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def in_force(self) -> bool:
        """Whether the record's effects bar what they bar (decided, or frozen under appeal)."""
        return is_active(self.status)


class Appeal(UuidKey, Base):
    """An appeal (申诉) against a record: the record is frozen until it is upheld, changed or withdrawn."""

    __tablename__ = "appeals"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'upheld', 'changed', 'withdrawn', 'lapsed')", name="status"),
        CheckConstraint("filed_as IN ('subject', 'staff')", name="filed_as"),
        # One open appeal per record at a time.
        Index("ix_appeals_one_open_per_record", "record_id", unique=True, postgresql_where=text("status = 'open'")),
        Index("ix_appeals_record_id", "record_id"),
    )

    record_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("records.id"))
    status: Mapped[str] = mapped_column(String(16))
    grounds: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    filed_as: Mapped[str] = mapped_column(String(8))
    filed_by: Mapped[str] = mapped_column(String(128))
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    replacement_record_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class RecordChange(UuidKey, Base):
    """One step of a record's history (append-only): who moved it from which status to which, and why."""

    __tablename__ = "record_changes"
    __table_args__ = (Index("ix_record_changes_record_id", "record_id"),)

    record_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("records.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
