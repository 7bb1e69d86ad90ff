"""Users of the gateway: credentials, roles and region."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "gateway_0002"
down_revision: str | None = "gateway_0001"

SCHEMA = "gateway"


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("roles", postgresql.JSONB(), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.CheckConstraint("region ~ '^[0-9]{6}$'", name="ck_users_region_format"),
        sa.CheckConstraint("jsonb_typeof(roles) = 'array'", name="ck_users_roles_array"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_users_region",
        "users",
        ["region"],
        schema=SCHEMA,
        postgresql_ops={"region": "varchar_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_users_region", table_name="users", schema=SCHEMA)
    op.drop_table("users", schema=SCHEMA)
