"""Tables of the API keys (schema ``gateway``): the keys, hashed, and the calls counted per key and window."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Integer, String, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng_common.db import CreatedAt, UuidKey
from zhicheng_gateway.models import Base


class ApiKey(UuidKey, CreatedAt, Base):
    """A key an agency or third party calls with: only the hash of its secret is kept."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint("region ~ '^[0-9]{6}$'", name="region_format"),
        CheckConstraint("jsonb_typeof(scopes) = 'array'", name="scopes_array"),
        CheckConstraint("quota > 0 AND window_seconds > 0", name="quota_positive"),
    )

    name: Mapped[str] = mapped_column(String(128))
    holder: Mapped[str] = mapped_column(String(128))  # the agency or unit the key was issued to
    region: Mapped[str] = mapped_column(String(6))
    scopes: Mapped[list[str]] = mapped_column(JSONB)
    quota: Mapped[int] = mapped_column(Integer)  # calls per window
    window_seconds: Mapped[int] = mapped_column(Integer)
    secret_hash: Mapped[str] = mapped_column(String(64))
    # The secret a rotation replaced: accepted until ``previous_valid_until`` (the overlap).
    previous_secret_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    previous_valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_by: Mapped[str] = mapped_column(String(128))


class ApiKeyUsage(Base):
    """Calls of one key in one quota window: every call counted, the refused ones too."""

    __tablename__ = "api_key_usage"

    key_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    calls: Mapped[int] = mapped_column(BigInteger)
    refused: Mapped[int] = mapped_column(BigInteger)
