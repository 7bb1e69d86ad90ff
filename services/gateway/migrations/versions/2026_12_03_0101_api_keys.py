"""API keys of agencies and third parties, stored hashed, and their calls counted per window (issue 17)."""

import sqlalchemy as sa
from alembic import op

from zhicheng_common.columns import bigint, integer, jsonb, string, timestamp, timestamp_now, uid
from zhicheng_common.constraints import primary_key, region_format
from zhicheng_common.migrations import drop_tables

revision: str = "gateway_api_keys"
down_revision: str | None = "gateway_event_order"

SCHEMA = "gateway"


def upgrade() -> None:
    op.create_table(
        "api_keys",
        uid("id"),
        timestamp_now("created_at"),
        string("name", 128),
        string("holder", 128),
        string("region", 6),
        jsonb("scopes"),
        integer("quota"),
        integer("window_seconds"),
        string("secret_hash", 64),
        string("previous_secret_hash", 64, nullable=True),
        timestamp("previous_valid_until", nullable=True),
        timestamp("rotated_at", nullable=True),
        timestamp("revoked_at", nullable=True),
        string("revoked_by", 128, nullable=True),
        string("created_by", 128),
        region_format("api_keys"),
        sa.CheckConstraint("jsonb_typeof(scopes) = 'array'", name="ck_api_keys_scopes_array"),
        sa.CheckConstraint("quota > 0 AND window_seconds > 0", name="ck_api_keys_quota_positive"),
        primary_key("api_keys"),
        schema=SCHEMA,
    )
    op.create_table(
        "api_key_usage",
        uid("key_id"),
        timestamp("window_start"),
        bigint("calls"),
        bigint("refused"),
        sa.ForeignKeyConstraint(
            ["key_id"], [f"{SCHEMA}.api_keys.id"], name="fk_api_key_usage_key_id_api_keys", ondelete="CASCADE"
        ),
        primary_key("api_key_usage", "key_id", "window_start"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    drop_tables(SCHEMA, "api_key_usage", "api_keys")
