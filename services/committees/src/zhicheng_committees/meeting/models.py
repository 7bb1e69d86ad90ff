"""Tables of evaluation meetings: a meeting of a plan with its filings and deadlines (CM-8, CM-9, CM-11),
the applicants and panel it learns from review and experts, and the sitting itself: arrangement
(MT-4), sign-in, opening and closing (MT-1, NA-7), review groups and opinions (MT-2, NA-8),
recusals (NA-9)."""

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
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng_committees.models import Base
from zhicheng_common.db import UuidKey


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


class QualifiedDeclaration(Base):
    """A declaration review found qualified (``review.declaration.qualified``): an applicant a meeting of
    its committee evaluates. Ids and keyed hashes only; the name stays sealed (docs/event-contracts.md)."""

    __tablename__ = "qualified_declarations"
    __table_args__ = (Index("ix_qualified_declarations_committee_year", "committee_id", "year"),)

    declaration_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    committee_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    year: Mapped[int] = mapped_column(Integer)
    series: Mapped[str] = mapped_column(String(64))
    specialty: Mapped[str | None] = mapped_column(String(64), nullable=True)
    level: Mapped[str] = mapped_column(String(32))
    applicant_key: Mapped[str] = mapped_column(String(64))
    applicant_name_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    unit_key: Mapped[str] = mapped_column(String(64), default="")
    region: Mapped[str] = mapped_column(String(6))


class MeetingPanel(Base):
    """The panel drawn for a meeting (``experts.panel.drawn``, then ``.member_replaced``): expert ids only.

    ``members`` is a list of ``{"expert_id", "specialty", "account_subject"}``; ``account_subject`` is
    the token subject the expert signs in with when the event carries it, else the expert id is.
    """

    __tablename__ = "meeting_panels"

    meeting_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    committee_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    draw_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    members: Mapped[list[dict[str, str | None]]] = mapped_column(JSONB)


class MeetingSitting(Base):
    """The sitting of a meeting (评审会议): arrangement (MT-4), state, chair, applicants evaluated."""

    __tablename__ = "meeting_sittings"

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan_meetings.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    venue: Mapped[str | None] = mapped_column(String(200), nullable=True)
    remote: Mapped[bool] = mapped_column(Boolean, default=False)
    forms: Mapped[list[str]] = mapped_column(JSONB)
    # The qualified declarations this meeting evaluates, fixed when it is arranged (ids, in order).
    applicants: Mapped[list[str]] = mapped_column(JSONB)
    chair: Mapped[str | None] = mapped_column(String(64), nullable=True)
    members: Mapped[int | None] = mapped_column(Integer, nullable=True)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    arranged_by: Mapped[str] = mapped_column(String(128))


class Attendance(Base):
    """An expert's sign-in (签到, MT-1): by their own token; public to the office (the sign-in sheet)."""

    __tablename__ = "meeting_attendance"
    __table_args__ = (PrimaryKeyConstraint("meeting_id", "expert_id"),)

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting_sittings.meeting_id", ondelete="CASCADE"))
    expert_id: Mapped[str] = mapped_column(String(64))
    signed_in_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Recusal(Base):
    """An expert's recusal (回避, NA-9) for one applicant of the meeting."""

    __tablename__ = "meeting_recusals"
    __table_args__ = (PrimaryKeyConstraint("meeting_id", "declaration_id", "expert_id"),)

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting_sittings.meeting_id", ondelete="CASCADE"))
    declaration_id: Mapped[str] = mapped_column(String(64))
    expert_id: Mapped[str] = mapped_column(String(64))
    reason_encrypted: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GroupMember(Base):
    """A member of an applicant's review group (评议组, MT-2, NA-8)."""

    __tablename__ = "meeting_group_members"
    __table_args__ = (PrimaryKeyConstraint("meeting_id", "declaration_id", "expert_id"),)

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting_sittings.meeting_id", ondelete="CASCADE"))
    declaration_id: Mapped[str] = mapped_column(String(64))
    expert_id: Mapped[str] = mapped_column(String(64))


class OpinionRow(Base):
    """An expert's independent written opinion (评审意见) on one applicant: score and text (sealed)."""

    __tablename__ = "meeting_opinions"
    __table_args__ = (PrimaryKeyConstraint("meeting_id", "declaration_id", "expert_id"),)

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting_sittings.meeting_id", ondelete="CASCADE"))
    declaration_id: Mapped[str] = mapped_column(String(64))
    expert_id: Mapped[str] = mapped_column(String(64))
    score: Mapped[int] = mapped_column(SmallInteger)
    text_encrypted: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
