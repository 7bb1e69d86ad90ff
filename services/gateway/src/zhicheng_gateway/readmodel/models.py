"""Tables of the province read model (schema ``gateway``, names ``rm_*``).

Every table here is rebuilt from the streams by ``zhicheng readmodel rebuild`` into a fresh schema
and swapped in (``READ_MODEL_TABLES``); nothing else writes them but the read-model consumers.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Index, Integer, String, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng_gateway.models import Base

REGION_OPS = {"region": "varchar_pattern_ops"}


class AppliedEvent(Base):
    """An event the read model applied: kept with the tables, so a swapped-in rebuild skips what it holds."""

    __tablename__ = "rm_applied_events"

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    producer: Mapped[str] = mapped_column(String(32))


class RmDeclaration(Base):
    """A declaration as the province sees it: what it asks for, its stage, and when that stage is due."""

    __tablename__ = "rm_declarations"
    __table_args__ = (
        Index("ix_rm_declarations_region", "region", postgresql_ops=REGION_OPS),
        Index("ix_rm_declarations_stage_region", "stage", "region", postgresql_ops=REGION_OPS),
        Index("ix_rm_declarations_committee", "committee_id"),
    )

    declaration_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    region: Mapped[str] = mapped_column(String(6))
    applicant_key: Mapped[str | None] = mapped_column(String(64))
    holder_sealed: Mapped[str | None] = mapped_column(String(2048))  # name, gender, resident ID (sealed)
    # DA-1 (intake.declaration.submitted v3): highest education and major studied, sealed as sent.
    education_sealed: Mapped[str | None] = mapped_column(String(1024))
    employer_name: Mapped[str | None] = mapped_column(String(256))
    year: Mapped[int | None] = mapped_column(Integer)
    series: Mapped[str | None] = mapped_column(String(64))
    specialty: Mapped[str | None] = mapped_column(String(128))
    level: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(32))
    committee_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    stage: Mapped[str] = mapped_column(String(24))
    stage_since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due: Mapped[date | None] = mapped_column(Date)
    returned_count: Mapped[int] = mapped_column(Integer)
    qualified: Mapped[bool] = mapped_column(Boolean)
    review_rule_ids: Mapped[list[str]] = mapped_column(JSONB)
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    result: Mapped[str | None] = mapped_column(String(16))  # passed / not_passed
    certificate_number: Mapped[str | None] = mapped_column(String(64))


class RmStageVisit(Base):
    """One stage a declaration went through: entered and left on China dates, lasting working days (NA-14)."""

    __tablename__ = "rm_stage_visits"
    __table_args__ = (Index("ix_rm_stage_visits_declaration", "declaration_id", "entered_at"),)

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    declaration_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # a result names many
    stage: Mapped[str] = mapped_column(String(24))
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    entered_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    working_days: Mapped[int | None] = mapped_column(Integer)
    due: Mapped[date | None] = mapped_column(Date)


class RmCommittee(Base):
    """A committee's filing and its standing (approved, suspended, expired, power withdrawn)."""

    __tablename__ = "rm_committees"
    __table_args__ = (Index("ix_rm_committees_region", "region", postgresql_ops=REGION_OPS),)

    committee_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    region: Mapped[str] = mapped_column(String(6))
    name: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str | None] = mapped_column(String(32))
    organizer_name: Mapped[str | None] = mapped_column(String(256))
    series: Mapped[str | None] = mapped_column(String(64))
    levels: Mapped[list[str]] = mapped_column(JSONB)
    specialties: Mapped[list[str]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(24))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    policy_pack: Mapped[str | None] = mapped_column(String(64))


class RmMeeting(Base):
    """A committee's meeting: filed, opened, closed, its results confirmed and publicized."""

    __tablename__ = "rm_meetings"
    __table_args__ = (Index("ix_rm_meetings_region", "region", postgresql_ops=REGION_OPS),)

    meeting_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    committee_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    region: Mapped[str] = mapped_column(String(6))
    meeting_date: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(24))
    applicant_count: Mapped[int | None] = mapped_column(Integer)
    members: Mapped[int | None] = mapped_column(Integer)
    attending: Mapped[int | None] = mapped_column(Integer)
    evaluated_count: Mapped[int | None] = mapped_column(Integer)
    passed_count: Mapped[int | None] = mapped_column(Integer)
    document_number: Mapped[str | None] = mapped_column(String(128))
    confirmed_on: Mapped[date | None] = mapped_column(Date)


class RmResult(Base):
    """A meeting's result for one declaration (the latest confirmation wins: a re-examination changes it)."""

    __tablename__ = "rm_results"
    __table_args__ = (
        Index("ix_rm_results_region", "region", postgresql_ops=REGION_OPS),
        Index("ix_rm_results_committee_year", "committee_id", "year"),
    )

    declaration_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    meeting_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    committee_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    committee_name: Mapped[str] = mapped_column(String(256))
    region: Mapped[str] = mapped_column(String(6))
    year: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    applicant_key: Mapped[str | None] = mapped_column(String(64))
    applicant_name_sealed: Mapped[str | None] = mapped_column(String(1024))
    series: Mapped[str | None] = mapped_column(String(64))
    specialty: Mapped[str | None] = mapped_column(String(128))
    level: Mapped[str | None] = mapped_column(String(32))
    title_name: Mapped[str | None] = mapped_column(String(128))
    document_number: Mapped[str] = mapped_column(String(128))
    approving_authority: Mapped[str] = mapped_column(String(256))
    confirmed_on: Mapped[date] = mapped_column(Date)
    title_obtained_on: Mapped[date] = mapped_column(Date)
    confirmed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RmCertificate(Base):
    """A certificate and its status; the holder by keyed hashes of the resident ID and the name."""

    __tablename__ = "rm_certificates"
    __table_args__ = (
        Index("ix_rm_certificates_region", "region", postgresql_ops=REGION_OPS),
        Index("ix_rm_certificates_holder_key", "holder_key"),
        Index("ix_rm_certificates_name_key", "holder_name_key"),
        Index("ix_rm_certificates_obtained", "obtained_on", "certificate_number"),
        # The common filters, each in the default order (newest first), so a page reads 50 rows in order.
        Index("ix_rm_certificates_series_level_year", "series", "level", "year", "obtained_on", "certificate_number"),
        Index("ix_rm_certificates_status_year", "status", "year", "obtained_on", "certificate_number"),
        Index("ix_rm_certificates_committee", "committee_id"),
    )

    certificate_number: Mapped[str] = mapped_column(String(64), primary_key=True)
    region: Mapped[str] = mapped_column(String(6))
    declaration_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    holder_key: Mapped[str] = mapped_column(String(64))
    holder_name_key: Mapped[str | None] = mapped_column(String(64))
    holder_name_sealed: Mapped[str] = mapped_column(String(1024))
    series: Mapped[str] = mapped_column(String(64))
    specialty: Mapped[str] = mapped_column(String(128))
    level: Mapped[str] = mapped_column(String(32))
    title_name: Mapped[str] = mapped_column(String(128))
    committee_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    year: Mapped[int] = mapped_column(Integer)
    obtained_on: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    basis: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # valid / revoked / suspended / superseded
    status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason_category: Mapped[str | None] = mapped_column(String(64))
    superseded_by: Mapped[str | None] = mapped_column(String(64))


class RmIntegrityRecord(Base):
    """An integrity record (IN-2) and whether it is in force; its subject by keyed hash only."""

    __tablename__ = "rm_integrity_records"
    __table_args__ = (
        Index("ix_rm_integrity_records_region", "region", postgresql_ops=REGION_OPS),
        Index("ix_rm_integrity_records_subject", "subject_key"),
    )

    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    region: Mapped[str] = mapped_column(String(6))
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # in_force / expired / withdrawn
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    effects: Mapped[dict[str, Any]] = mapped_column(JSONB)
    rule_ids: Mapped[list[str]] = mapped_column(JSONB)
    committee_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    declaration_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    shared_with_credit_platform: Mapped[bool] = mapped_column(Boolean)


#: The tables a rebuild replaces, in creation order.
READ_MODEL_TABLES = (
    AppliedEvent,
    RmDeclaration,
    RmStageVisit,
    RmCommittee,
    RmMeeting,
    RmResult,
    RmCertificate,
    RmIntegrityRecord,
)
