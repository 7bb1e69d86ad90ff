"""Bindings of users to a verified identity, a unit, a department and committees (issue 12)."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "gateway_0003"
down_revision: str | None = "gateway_journal_sequencer"

SCHEMA = "gateway"


def upgrade() -> None:
    op.add_column("users", sa.Column("person_key", sa.String(64), nullable=True), schema=SCHEMA)
    op.add_column("users", sa.Column("unit_key", sa.String(64), nullable=True), schema=SCHEMA)
    op.add_column("users", sa.Column("department", sa.String(64), nullable=True), schema=SCHEMA)
    op.add_column(
        "users",
        sa.Column("committees", postgresql.JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        schema=SCHEMA,
    )
    op.add_column("users", sa.Column("bound_by", sa.String(128), nullable=True), schema=SCHEMA)
    op.add_column("users", sa.Column("bound_at", sa.DateTime(timezone=True), nullable=True), schema=SCHEMA)


def downgrade() -> None:
    for column in ("bound_at", "bound_by", "committees", "department", "unit_key", "person_key"):
        op.drop_column("users", column, schema=SCHEMA)
