"""Tables of a meeting's results: the results publicity and its objections (NA-11, RV-6), the
confirmation (NA-11), each applicant's result (for the pass rates, MT-5), re-examinations (NA-12)
and the meeting file kept with the meeting (CM-11, NA-10)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng_committees.models import Base
from zhicheng_common.db import UuidKey


class MeetingResult(Base):
    """A meeting's results: publicized (NA-11), then confirmed by the filing department."""

    __tablename__ = "meeting_results"

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan_meetings.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    policy_pack: Mapped[str] = mapped_column(String(64))
    opened_on: Mapped[date] = mapped_column(Date)
    # NA-11, NA-14: the last day of the publicity (objections accepted through its end).
    open_through: Mapped[date] = mapped_column(Date)
    open_through_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_by: Mapped[str] = mapped_column(String(128))
    confirmation_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    approving_authority: Mapped[str | None] = mapped_column(String(200), nullable=True)
    document_number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    title_obtained_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    confirmed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    confirmed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)


class ApplicantResult(Base):
    """One applicant's result of a meeting; ``passed`` follows upheld objections and re-examinations."""

    __tablename__ = "result_applicants"
    __table_args__ = (
        PrimaryKeyConstraint("meeting_id", "declaration_id"),
        Index("ix_result_applicants_rates", "year", "committee_id", "series", "level"),
    )

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting_results.meeting_id", ondelete="CASCADE"))
    declaration_id: Mapped[str] = mapped_column(String(64))
    committee_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    region: Mapped[str] = mapped_column(String(6))
    year: Mapped[int] = mapped_column(Integer)
    series: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(32))
    round: Mapped[int] = mapped_column(Integer)
    # The vote's result (the tally), and the result as it stands now.
    voted_passed: Mapped[bool] = mapped_column(Boolean)
    passed: Mapped[bool] = mapped_column(Boolean)


class ResultObjection(UuidKey, Base):
    """An objection (异议) raised during the results publicity, recorded by the office (NA-11, RV-6)."""

    __tablename__ = "result_objections"

    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("meeting_results.meeting_id", ondelete="CASCADE"), index=True
    )
    declaration_id: Mapped[str] = mapped_column(String(64))
    content_encrypted: Mapped[str] = mapped_column(Text)
    filed_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    resolution_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ResultReexamination(UuidKey, Base):
    """A re-examination (复查) of an applicant's result (NA-12): request, handling, decision."""

    __tablename__ = "result_reexaminations"

    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("meeting_results.meeting_id", ondelete="CASCADE"), index=True
    )
    declaration_id: Mapped[str] = mapped_column(String(64))
    reason_encrypted: Mapped[str] = mapped_column(Text)
    requested_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    handler: Mapped[str | None] = mapped_column(String(128), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    outcome_text_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    confirmation_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)


class MeetingFileCopy(Base):
    """The meeting file (会议档案) as archived at confirmation: one PDF and one xlsx per audience
    (``office``, with the expert draw list; ``shared``, for HR and auditors, without it)."""

    __tablename__ = "meeting_files"
    __table_args__ = (PrimaryKeyConstraint("meeting_id", "audience", "format"),)

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting_results.meeting_id", ondelete="CASCADE"))
    audience: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(8))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
