"""Tables of the draw (schema ``experts``): each draw with its frozen documents, signatures,
replacements and the notifications owed to drawn experts.

A draw is stored step by step (docs/expert-draw.md): the frozen snapshot and audit document with
their hashes and the commitment when asked; the seed and result when drawn; each signature; each
replacement. Nothing is updated in place except the status and the columns a later step fills.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng_common.ids import uuid7
from zhicheng_experts.models import Base


class Draw(Base):
    """One draw for a meeting (专家抽取), from its commitment to its signed result.

    ``secret_token`` is the 32-byte secret encrypted with the service's PII key: it stays unknown
    (even to someone reading the table) until the draw reveals it into ``result`` and the pack.
    """

    __tablename__ = "draws"
    __table_args__ = (
        CheckConstraint("region ~ '^[0-9]{6}$'", name="region_format"),
        CheckConstraint("status IN ('committed', 'drawn', 'signed', 'voided')", name="status_known"),
        # At most one draw of a meeting is not voided: a redraw voids the earlier one (EX-1).
        Index("uq_draws_meeting_live", "meeting_id", unique=True, postgresql_where="status <> 'voided'"),
        Index("ix_draws_meeting_id", "meeting_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    meeting_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    committee_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    region: Mapped[str] = mapped_column(String(6))
    policy_pack: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    request: Mapped[dict[str, Any]] = mapped_column(JSONB)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    requested_by: Mapped[str] = mapped_column(String(128))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    frozen_on: Mapped[date] = mapped_column(Date)
    meeting_date: Mapped[date] = mapped_column(Date)
    eligible_count: Mapped[int] = mapped_column(Integer)
    excluded_count: Mapped[int] = mapped_column(Integer)
    # The two documents run to megabytes for a province's pool: loaded only by the steps that read
    # them (the seed reads the snapshot, the evidence pack both), never by accident.
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB, deferred=True, deferred_raiseload=True)
    snapshot_sha256: Mapped[str] = mapped_column(String(64))
    audit: Mapped[dict[str, Any]] = mapped_column(JSONB, deferred=True, deferred_raiseload=True)
    audit_sha256: Mapped[str] = mapped_column(String(64))
    commitment: Mapped[str] = mapped_column(String(64))
    secret_token: Mapped[str] = mapped_column(Text)
    external_seed: Mapped[str | None] = mapped_column(Text, nullable=True)
    drawn_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    drawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    voided_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DrawSignature(Base):
    """A drawer's or supervisor's Ed25519 signature over the result (EX-1), with the key it verifies under."""

    __tablename__ = "draw_signatures"
    __table_args__ = (UniqueConstraint("draw_id", "signer_id"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    draw_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("draws.id"))
    signer_id: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    key_id: Mapped[str] = mapped_column(String(128))
    public_key_pem: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(128))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DrawReplacement(Base):
    """A drawn member replaced by the next alternate of the specialty, with the reason (in order)."""

    __tablename__ = "draw_replacements"
    __table_args__ = (UniqueConstraint("draw_id", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    draw_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("draws.id"))
    seq: Mapped[int] = mapped_column(Integer)
    specialty: Mapped[str] = mapped_column(String(128))
    replaced: Mapped[str] = mapped_column(String(128))
    replacement: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    made_by: Mapped[str] = mapped_column(String(128))
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DrawNotification(Base):
    """A message owed to a drawn expert, written with the change and sent later by the notifier job."""

    __tablename__ = "draw_notifications"
    __table_args__ = (Index("ix_draw_notifications_pending", "sent_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    draw_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("draws.id"))
    meeting_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    expert_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    specialty: Mapped[str] = mapped_column(String(128))
    meeting_date: Mapped[date] = mapped_column(Date)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
