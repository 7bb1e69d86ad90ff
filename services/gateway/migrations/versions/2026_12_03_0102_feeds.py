"""Inter-agency feeds: the feed log, subscriptions and webhook tries (issue 17)."""

import sqlalchemy as sa
from alembic import op

from zhicheng_common.columns import bigint, boolean, integer, jsonb, long_text, string, timestamp, timestamp_now, uid
from zhicheng_common.constraints import primary_key, region_format
from zhicheng_common.migrations import create_region_index, drop_tables

revision: str = "gateway_feeds"
down_revision: str | None = "gateway_api_keys"

SCHEMA = "gateway"


def upgrade() -> None:
    op.create_table(
        "feed_events",
        bigint("seq", sa.Identity(always=True)),
        string("event_id", 64),
        string("producer", 32),
        string("name", 128),
        string("subject", 128),
        string("region", 6),
        jsonb("envelope"),
        timestamp("stored_at"),
        primary_key("feed_events", "seq"),
        sa.UniqueConstraint("event_id", name="uq_feed_events_event_id"),
        schema=SCHEMA,
    )
    op.create_index("ix_feed_events_name_seq", "feed_events", ["name", "seq"], schema=SCHEMA)
    create_region_index("feed_events", schema=SCHEMA)
    op.create_table(
        "feed_subscriptions",
        uid("id"),
        timestamp_now("created_at"),
        string("name", 64),
        string("agency", 128),
        string("region", 6),
        jsonb("fields"),
        jsonb("where"),
        boolean("personal_identifiers"),
        string("webhook_url", 2048, nullable=True),
        long_text("webhook_secret_sealed", nullable=True),
        string("webhook_state", 16),
        bigint("push_cursor"),
        integer("failures"),
        timestamp("next_attempt_at", nullable=True),
        string("last_error", 512, nullable=True),
        timestamp("disabled_at", nullable=True),
        string("created_by", 128),
        region_format("feed_subscriptions"),
        sa.CheckConstraint(
            "webhook_state IN ('none', 'active', 'disabled')", name="ck_feed_subscriptions_webhook_state_known"
        ),
        primary_key("feed_subscriptions"),
        sa.UniqueConstraint("name", name="uq_feed_subscriptions_name"),
        schema=SCHEMA,
    )
    create_region_index("feed_subscriptions", schema=SCHEMA)
    op.create_table(
        "feed_webhook_attempts",
        uid("id"),
        uid("subscription_id"),
        bigint("seq"),
        string("event_id", 64),
        integer("attempt"),
        timestamp("at"),
        integer("status_code", nullable=True),
        boolean("ok"),
        string("error", 512, nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            [f"{SCHEMA}.feed_subscriptions.id"],
            name="fk_feed_webhook_attempts_subscription_id_feed_subscriptions",
            ondelete="CASCADE",
        ),
        primary_key("feed_webhook_attempts"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_feed_webhook_attempts_subscription",
        "feed_webhook_attempts",
        ["subscription_id", "at"],
        schema=SCHEMA,
    )


def downgrade() -> None:
    drop_tables(SCHEMA, "feed_webhook_attempts", "feed_subscriptions", "feed_events")
