"""API keys of agencies and third parties, stored hashed, and their calls counted per window (issue 17)."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "gateway_api_keys"
down_revision: str | None = "gateway_event_order"

SCHEMA = "gateway"


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("scopes", postgresql.JSONB(), nullable=False),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("window_seconds", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("previous_secret_hash", sa.String(64), nullable=True),
        sa.Column("previous_valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(128), nullable=True),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.CheckConstraint("region ~ '^[0-9]{6}$'", name="ck_api_keys_region_format"),
        sa.CheckConstraint("jsonb_typeof(scopes) = 'array'", name="ck_api_keys_scopes_array"),
        sa.CheckConstraint("quota > 0 AND window_seconds > 0", name="ck_api_keys_quota_positive"),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        schema=SCHEMA,
    )
    op.create_table(
        "api_key_usage",
        sa.Column("key_id", sa.Uuid(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("calls", sa.BigInteger(), nullable=False),
        sa.Column("refused", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"], [f"{SCHEMA}.api_keys.id"], name="fk_api_key_usage_key_id_api_keys", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("key_id", "window_start", name="pk_api_key_usage"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("api_key_usage", schema=SCHEMA)
    op.drop_table("api_keys", schema=SCHEMA)
