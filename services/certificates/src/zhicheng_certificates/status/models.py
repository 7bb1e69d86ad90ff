"""The stored bitstrings of the two status lists (revocation, suspension), changed with each status change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng_certificates.models import Base


class StatusListBits(Base):
    """One list's bits (index 0 = the most significant bit of byte 0), as long as its highest set bit needs.

    Published at least :data:`~zhicheng_certificates.status.domain.MIN_ENTRIES` long and at least as
    long as the indices given out (padded with zeros when read); ``version`` grows with each change
    and names the published credential (its ETag).
    """

    __tablename__ = "status_lists"
    __table_args__ = (CheckConstraint("purpose IN ('revocation', 'suspension')", name="purpose"),)

    purpose: Mapped[str] = mapped_column(String(16), primary_key=True)
    bits: Mapped[bytes] = mapped_column(LargeBinary, server_default=text("''::bytea"))
    version: Mapped[int] = mapped_column(Integer, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
