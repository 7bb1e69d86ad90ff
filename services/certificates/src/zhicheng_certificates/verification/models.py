"""What verification keeps: identified verifiers' lookups (the holder sees them, NA-15) and anonymous counts per day."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng_certificates.models import Base
from zhicheng_common.db import UuidKey


class VerifierLookup(UuidKey, Base):
    """An identified verifier (a unit or agency with a key) looked a certificate up."""

    __tablename__ = "verifier_lookups"
    __table_args__ = (Index("ix_verifier_lookups_certificate_id", "certificate_id"),)

    certificate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("certificates.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    verifier_id: Mapped[str] = mapped_column(String(128))
    verifier_name: Mapped[str] = mapped_column(String(128))
    method: Mapped[str] = mapped_column(String(8))


class AnonymousCount(Base):
    """How many anonymous verifications were answered on a China day, by method: counted, not traced."""

    __tablename__ = "anonymous_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    method: Mapped[str] = mapped_column(String(8), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
