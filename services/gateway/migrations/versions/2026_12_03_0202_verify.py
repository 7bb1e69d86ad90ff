"""Public verification: status changes that invalidate cached answers, anonymous checks per day (issue 17)."""

import sqlalchemy as sa
from alembic import op

from zhicheng_common.columns import bigint, day, string, timestamp
from zhicheng_common.constraints import primary_key
from zhicheng_common.migrations import drop_tables

revision: str = "gateway_verify"
down_revision: str | None = "gateway_readmodel"

SCHEMA = "gateway"


def upgrade() -> None:
    op.create_table(
        "verify_invalidations",
        bigint("seq", sa.Identity(always=True)),
        string("number", 20),
        string("status", 16),
        timestamp("changed_at"),
        primary_key("verify_invalidations", "seq"),
        schema=SCHEMA,
    )
    op.create_table(
        "verify_counts",
        day("day"),
        string("number", 20),
        string("method", 8),
        bigint("count"),
        primary_key("verify_counts", "day", "number", "method"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    drop_tables(SCHEMA, "verify_counts", "verify_invalidations")
