"""Tables of evaluation meetings: a meeting of a plan with its filings and deadlines (CM-8, CM-9, CM-11)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
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
