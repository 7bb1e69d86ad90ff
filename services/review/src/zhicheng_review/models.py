"""Tables of the review service (schema ``review``; outbox, inbox and journal are in zhicheng_common)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, false, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from zhicheng_common.db import CreatedAt, UuidKey, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class Review(UuidKey, CreatedAt, Base):
    """The review chain of one declaration: where it stands, who holds it, until when."""

    __tablename__ = "reviews"
    __table_args__ = (
        Index("ix_reviews_region", "region", postgresql_ops={"region": "varchar_pattern_ops"}),
        Index("ix_reviews_queue", "status", "step_key", "step_since"),
        Index("ix_reviews_unit_key", "unit_key"),
    )

    declaration_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    applicant_key: Mapped[str] = mapped_column(String(128))
    applicant_name: Mapped[str] = mapped_column(String(128))
    year: Mapped[int] = mapped_column(Integer)
    series: Mapped[str] = mapped_column(String(64))
    specialty: Mapped[str] = mapped_column(String(128))
    level: Mapped[str] = mapped_column(String(32))
    rank: Mapped[str] = mapped_column(String(64))
    committee_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    kind: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    employer_name: Mapped[str] = mapped_column(String(256))
    # Keyed hash of the employer's credit code: a unit reviewer reaches its own unit's reviews only.
    unit_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Who declared (intake's owner): the one account that may ask for re-examination (NA-12).
    owner_subject: Mapped[str] = mapped_column(String(128), server_default="")
    region: Mapped[str] = mapped_column(String(6))
    policy_pack: Mapped[str] = mapped_column(String(64))
    chain_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    step_index: Mapped[int] = mapped_column(Integer)
    step_key: Mapped[str] = mapped_column(String(64))
    step_since: Mapped[date] = mapped_column(Date)
    step_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Counted through a year without an official holiday arrangement (docs/calendar.md): recomputed
    # when the arrangement is loaded.
    step_due_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    claimed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    publicity_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    returned_step_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The day of the return (RV-3): the correction deadline counts from it, and is recomputed from it.
    returned_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    correction_deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    correction_deadline_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class StepVisit(UuidKey, Base):
    """One stay of a declaration at one step: arrival, departure and outcome (for statistics)."""

    __tablename__ = "step_visits"
    __table_args__ = (Index("ix_step_visits_step", "step_key", "left_on"),)

    review_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    step_key: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(6))
    arrived_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    left_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)


class Decision(UuidKey, Base):
    """A signed decision of one step (CH-4): outcome, opinion, signer, time, Ed25519 signature."""

    __tablename__ = "decisions"

    review_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    declaration_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    step_key: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(32))
    opinion: Mapped[str] = mapped_column(Text)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    signer_subject: Mapped[str] = mapped_column(String(128))
    signer_role: Mapped[str] = mapped_column(String(64))
    signer_unit: Mapped[str] = mapped_column(String(256))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))


class Publicity(UuidKey, Base):
    """A publicity window (RV-6) of a batch at one publicity step; objections come in by its token."""

    __tablename__ = "publicities"

    step_key: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(6))
    title: Mapped[str] = mapped_column(String(256))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    opened_on: Mapped[date] = mapped_column(Date)
    # RV-6, NA-14: the last day objections are accepted (the N-th working day after opened_on); the
    # publicity closes at the earliest on the day after.
    open_through: Mapped[date] = mapped_column(Date)
    open_through_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(16))
    opened_by: Mapped[str] = mapped_column(String(128))
    # The pack of the batch's reviews (one pack per publicity): its publicity_working_days apply.
    policy_pack: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Objection(UuidKey, Base):
    """An objection filed during a publicity; contact details are stored encrypted."""

    __tablename__ = "objections"

    publicity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("publicities.id", ondelete="CASCADE"), index=True)
    review_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    content: Mapped[str] = mapped_column(Text)
    contact_name_enc: Mapped[str] = mapped_column(Text)
    contact_phone_enc: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    resolution: Mapped[str | None] = mapped_column(Text, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Reexamination(UuidKey, Base):
    """An applicant's request for re-examination or complaint (NA-12), its handling and outcome."""

    __tablename__ = "reexaminations"

    review_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    decision_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("decisions.id"), nullable=True)
    requested_by: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    assignee: Mapped[str | None] = mapped_column(String(128), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    outcome_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
