"""Tables of the intake service (schema ``intake``; outbox, inbox and journal are in zhicheng_common)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from zhicheng_common.db import new_metadata

#: Longest Content-Type an attachment is stored with (RFC 6838 names are at most 127 characters).
MEDIA_TYPE_MAX_LENGTH = 128


class Base(DeclarativeBase):
    metadata = new_metadata()


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class Declaration(Base):
    """A declaration (申报): key facts as columns, the full declared content as JSON (ID encrypted)."""

    __tablename__ = "declarations"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    owner_subject: Mapped[str] = mapped_column(String(128), nullable=False, index=True)
    applicant_key: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    applicant_id_enc: Mapped[str] = mapped_column(Text, nullable=False)
    applicant_name: Mapped[str] = mapped_column(String(128), nullable=False)
    unit_key: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    employer_name: Mapped[str] = mapped_column(String(128), nullable=False)
    region: Mapped[str] = mapped_column(String(6), nullable=False, index=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    series: Mapped[str] = mapped_column(String(64), nullable=False)
    specialty: Mapped[str] = mapped_column(String(128), nullable=False)
    level: Mapped[str] = mapped_column(String(32), nullable=False)
    rank: Mapped[str] = mapped_column(String(32), nullable=False)
    committee_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    channel: Mapped[str] = mapped_column(String(32), nullable=False)
    policy_pack: Mapped[str] = mapped_column(String(64), nullable=False)
    content: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    correction_items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    correction_deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    # review counted it through a year without an official holiday arrangement; it follows
    # review.declaration.deadline_changed when that year is loaded (docs/calendar.md).
    correction_deadline_provisional: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    corrected_fields: Mapped[list[str]] = mapped_column(JSONB, nullable=False, default=list)
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # EL-11: withdrawn by the applicant before any review decision (the only outcome that may free the year).
    withdrawn_before_review: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")


class StatusChange(Base):
    """The status history of a declaration (what the applicant sees)."""

    __tablename__ = "declaration_status_changes"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    declaration_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("declarations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    actor: Mapped[str] = mapped_column(String(128), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class IdempotencyKey(Base):
    """``Idempotency-Key`` of a create or submit request: the same key answers the same result."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("actor", "operation", "key", name="uq_idempotency_keys_actor_operation_key"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    actor: Mapped[str] = mapped_column(String(128), nullable=False)
    operation: Mapped[str] = mapped_column(String(32), nullable=False)
    key: Mapped[str] = mapped_column(String(128), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    declaration_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    created_at: Mapped[datetime] = _now()


class Attachment(Base):
    """Metadata of an attachment; the bytes live in the attachment storage."""

    __tablename__ = "attachments"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    declaration_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("declarations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    media_type: Mapped[str] = mapped_column(String(MEDIA_TYPE_MAX_LENGTH), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = _now()


class AttachmentContent(Base):
    """The bytes of an attachment (the default store): written in the transaction of its metadata."""

    __tablename__ = "attachment_contents"

    storage_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class CommitteeProjection(Base):
    """Approved committees and their filed scope (from committees' events)."""

    __tablename__ = "committee_scopes"

    committee_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    series: Mapped[str] = mapped_column(String(64), nullable=False)
    specialties: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    levels: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    scope_regions: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    scope_ownership_kinds: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    policy_pack: Mapped[str] = mapped_column(String(64), nullable=False)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_until: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    updated_at: Mapped[datetime] = _now()


class PlanProjection(Base):
    """Annual plans: the declaration window per committee, year, series and levels."""

    __tablename__ = "declaration_windows"

    plan_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    committee_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False, index=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    series: Mapped[str] = mapped_column(String(64), nullable=False)
    levels: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    declaration_opens: Mapped[date] = mapped_column(Date, nullable=False)
    declaration_closes: Mapped[date] = mapped_column(Date, nullable=False)
    policy_pack: Mapped[str] = mapped_column(String(64), nullable=False)
    updated_at: Mapped[datetime] = _now()


class IntegrityBar(Base):
    """Integrity records that bar declaring (from integrity's events; EL-20)."""

    __tablename__ = "integrity_bars"

    record_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    subject_key: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False)
    updated_at: Mapped[datetime] = _now()


class TitleHeld(Base):
    """A title a person holds by certificate (from certificates' events): issued, revoked, superseded."""

    __tablename__ = "titles_held"

    certificate_number: Mapped[str] = mapped_column(String(20), primary_key=True)
    holder_key: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    series: Mapped[str] = mapped_column(String(64), nullable=False)
    level: Mapped[str] = mapped_column(String(32), nullable=False)
    title_name: Mapped[str] = mapped_column(String(64), nullable=False)
    obtained_on: Mapped[date] = mapped_column(Date, nullable=False)
    region: Mapped[str] = mapped_column(String(6), nullable=False)
    # valid, revoked or superseded (a suspension does not take the title away)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    updated_at: Mapped[datetime] = _now()
