"""Public verification: status changes that invalidate cached answers, anonymous checks per day (issue 17)."""

import sqlalchemy as sa
from alembic import op

revision: str = "gateway_verify"
down_revision: str | None = "gateway_readmodel"

SCHEMA = "gateway"


def upgrade() -> None:
    op.create_table(
        "verify_invalidations",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_verify_invalidations"),
        schema=SCHEMA,
    )
    op.create_table(
        "verify_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "number", "method", name="pk_verify_counts"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("verify_counts", schema=SCHEMA)
    op.drop_table("verify_invalidations", schema=SCHEMA)
