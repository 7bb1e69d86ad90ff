"""Users of the gateway: credentials, roles and region."""

import sqlalchemy as sa
from alembic import op

from zhicheng_common.columns import boolean, jsonb, string, timestamp_now, uid
from zhicheng_common.constraints import primary_key, region_format
from zhicheng_common.migrations import create_region_index

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
        primary_key("users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
        region_format("users"),
        sa.CheckConstraint("jsonb_typeof(roles) = 'array'", name="ck_users_roles_array"),
        schema=SCHEMA,
    )
    create_region_index("users", schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("ix_users_region", table_name="users", schema=SCHEMA)
    op.drop_table("users", schema=SCHEMA)
