"""Projections of other services' events (each service's own facts, trusted only from it)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Index, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng_experts.models import Base


class CommitteeView(Base):
    """A committee as its approved filing describes it (``committees.committee.approved/refiled``)."""

    __tablename__ = "committee_views"

    committee_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(64))
    formation_basis: Mapped[str] = mapped_column(String(32))
    series: Mapped[str] = mapped_column(String(64))
    specialties: Mapped[list[str]] = mapped_column(JSONB)
    levels: Mapped[list[str]] = mapped_column(JSONB)
    scope_ownership_kinds: Mapped[list[str]] = mapped_column(JSONB)
    region: Mapped[str] = mapped_column(String(6))
    policy_pack: Mapped[str] = mapped_column(String(64))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(32))


class PlanView(Base):
    """A committee's annual plan: its meeting dates are the annual evaluation (EX-4)."""

    __tablename__ = "plan_views"
    __table_args__ = (Index("ix_plan_views_committee_id", "committee_id"),)

    plan_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    committee_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    year: Mapped[int] = mapped_column(Integer)
    meeting_dates: Mapped[list[str]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer)


class MeetingView(Base):
    """A meeting open for a draw (``committees.meeting.pre_filed``)."""

    __tablename__ = "meeting_views"
    __table_args__ = (Index("ix_meeting_views_committee_id", "committee_id"),)

    meeting_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    committee_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    plan_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    year: Mapped[int] = mapped_column(Integer)
    meeting_date: Mapped[date] = mapped_column(Date)
    filed_on: Mapped[date] = mapped_column(Date)
    region: Mapped[str] = mapped_column(String(6))
    series: Mapped[str] = mapped_column(String(64))
    levels: Mapped[list[str]] = mapped_column(JSONB)
    policy_pack: Mapped[str] = mapped_column(String(64))


class ApplicantView(Base):
    """A qualified applicant of a committee's year (``review.declaration.qualified``): keyed hashes only."""

    __tablename__ = "applicant_views"
    __table_args__ = (Index("ix_applicant_views_committee_year", "committee_id", "year"),)

    declaration_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    committee_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    year: Mapped[int] = mapped_column(Integer)
    applicant_key: Mapped[str] = mapped_column(String(64))
    # Keyed hash of the applicant's unit credit code; empty when review's event did not carry it.
    unit_key: Mapped[str] = mapped_column(String(64))
    series: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(32))


class IntegrityBar(Base):
    """An integrity record that bars a person from expert draws (``bar_expert_draws``, NA-13)."""

    __tablename__ = "integrity_bars"
    __table_args__ = (Index("ix_integrity_bars_subject_key", "subject_key"),)

    record_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    subject_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    # The record takes expert status away as well (NA-13: an expert who breaks the rules).
    disqualifies: Mapped[bool] = mapped_column(Boolean)
    in_force: Mapped[bool] = mapped_column(Boolean)
    ended: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
