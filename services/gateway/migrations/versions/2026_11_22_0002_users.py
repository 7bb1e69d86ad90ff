"""Users of the gateway: credentials, roles and region."""

import sqlalchemy as sa
from alembic import op

from zhicheng_common.columns import boolean, jsonb, string, timestamp_now, uid

revision: str = "gateway_0002"
down_revision: str | None = "gateway_0001"

SCHEMA = "gateway"


def upgrade() -> None:
    op.create_table(
        "users",
        uid("id"),
        string("username", 64),
        string("password_hash", 255),
        jsonb("roles"),
        string("region", 6),
        string("name", 128),
        boolean("active", server_default=sa.true()),
        timestamp_now("created_at"),
        string("created_by", 128),
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
