"""Tables of the feeds (schema ``gateway``): the feed log, the subscriptions, the webhook tries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng_common.db import CreatedAt, UuidKey
from zhicheng_gateway.models import Base


class FeedEvent(Base):
    """One event of a producing service, as the gateway's feed consumers stored it.

    ``seq`` is the feed's cursor: rows are written under one lock per transaction (see the
    repository), so the committed rows are always a prefix of ``seq`` and a reader never passes
    a row that commits later.
    """

    __tablename__ = "feed_events"
    __table_args__ = (
        Index("ix_feed_events_name_seq", "name", "seq"),
        Index("ix_feed_events_region", "region", postgresql_ops={"region": "varchar_pattern_ops"}),
    )

    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    producer: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))  # <service>.<entity>.<fact>
    subject: Mapped[str] = mapped_column(String(128))
    region: Mapped[str] = mapped_column(String(6))
    envelope: Mapped[dict[str, Any]] = mapped_column(JSONB)
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FeedSubscription(UuidKey, CreatedAt, Base):
    """What one agency receives: event types, the fields of each, its jurisdiction, and how (pull, push)."""

    __tablename__ = "feed_subscriptions"
    __table_args__ = (
        CheckConstraint("region ~ '^[0-9]{6}$'", name="region_format"),
        CheckConstraint("webhook_state IN ('none', 'active', 'disabled')", name="webhook_state_known"),
        Index("ix_feed_subscriptions_region", "region", postgresql_ops={"region": "varchar_pattern_ops"}),
    )

    name: Mapped[str] = mapped_column(String(64), unique=True)  # keys read it with scope feed:<name>
    agency: Mapped[str] = mapped_column(String(128))
    region: Mapped[str] = mapped_column(String(6))
    # {"<service>.<entity>.<fact>": ["field", ...]}: the types and, for each, the data fields sent.
    fields: Mapped[dict[str, list[str]]] = mapped_column(JSONB)
    # {"<data field>": [allowed values]}: only events whose data matches every entry.
    where: Mapped[dict[str, list[Any]]] = mapped_column(JSONB)
    personal_identifiers: Mapped[bool] = mapped_column(Boolean)
    webhook_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    webhook_secret_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    webhook_state: Mapped[str] = mapped_column(String(16))
    push_cursor: Mapped[int] = mapped_column(BigInteger)
    failures: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(512), nullable=True)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_by: Mapped[str] = mapped_column(String(128))


class WebhookAttempt(UuidKey, Base):
    """One try to push one event to a subscription's webhook: the evidence of what was sent when."""

    __tablename__ = "feed_webhook_attempts"
    __table_args__ = (Index("ix_feed_webhook_attempts_subscription", "subscription_id", "at"),)

    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("feed_subscriptions.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer)  # 1 for the first try of this event
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(String(512), nullable=True)
