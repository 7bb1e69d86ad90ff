"""Inter-agency feeds: the feed log, subscriptions and webhook tries (issue 17)."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "gateway_feeds"
down_revision: str | None = "gateway_api_keys"

SCHEMA = "gateway"


def upgrade() -> None:
    op.create_table(
        "feed_events",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("producer", sa.String(32), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("envelope", postgresql.JSONB(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_feed_events"),
        sa.UniqueConstraint("event_id", name="uq_feed_events_event_id"),
        schema=SCHEMA,
    )
    op.create_index("ix_feed_events_name_seq", "feed_events", ["name", "seq"], schema=SCHEMA)
    op.create_index(
        "ix_feed_events_region",
        "feed_events",
        ["region"],
        schema=SCHEMA,
        postgresql_ops={"region": "varchar_pattern_ops"},
    )
    op.create_table(
        "feed_subscriptions",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(128), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("fields", postgresql.JSONB(), nullable=False),
        sa.Column("where", postgresql.JSONB(), nullable=False),
        sa.Column("personal_identifiers", sa.Boolean(), nullable=False),
        sa.Column("webhook_url", sa.String(2048), nullable=True),
        sa.Column("webhook_secret_sealed", sa.Text(), nullable=True),
        sa.Column("webhook_state", sa.String(16), nullable=False),
        sa.Column("push_cursor", sa.BigInteger(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(512), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.CheckConstraint("region ~ '^[0-9]{6}$'", name="ck_feed_subscriptions_region_format"),
        sa.CheckConstraint(
            "webhook_state IN ('none', 'active', 'disabled')", name="ck_feed_subscriptions_webhook_state_known"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_feed_subscriptions"),
        sa.UniqueConstraint("name", name="uq_feed_subscriptions_name"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_feed_subscriptions_region",
        "feed_subscriptions",
        ["region"],
        schema=SCHEMA,
        postgresql_ops={"region": "varchar_pattern_ops"},
    )
    op.create_table(
        "feed_webhook_attempts",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("subscription_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.String(512), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            [f"{SCHEMA}.feed_subscriptions.id"],
            name="fk_feed_webhook_attempts_subscription_id_feed_subscriptions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_feed_webhook_attempts"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_feed_webhook_attempts_subscription",
        "feed_webhook_attempts",
        ["subscription_id", "at"],
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("feed_webhook_attempts", schema=SCHEMA)
    op.drop_table("feed_subscriptions", schema=SCHEMA)
    op.drop_table("feed_events", schema=SCHEMA)
