"""Bindings of users to a verified identity, a unit, a department and committees (issue 12)."""

import sqlalchemy as sa
from alembic import op

from zhicheng_common.columns import jsonb, string, timestamp

revision: str = "gateway_0003"
down_revision: str | None = "gateway_journal_sequencer"

SCHEMA = "gateway"


def upgrade() -> None:
    op.add_column("users", string("person_key", 64, nullable=True), schema=SCHEMA)
    op.add_column("users", string("unit_key", 64, nullable=True), schema=SCHEMA)
    op.add_column("users", string("department", 64, nullable=True), schema=SCHEMA)
    op.add_column(
        "users",
        jsonb("committees", server_default=sa.text("'[]'::jsonb")),
        schema=SCHEMA,
    )
    op.add_column("users", string("bound_by", 128, nullable=True), schema=SCHEMA)
    op.add_column("users", timestamp("bound_at", nullable=True), schema=SCHEMA)


def downgrade() -> None:
    for column in ("bound_at", "bound_by", "committees", "department", "unit_key", "person_key"):
        op.drop_column("users", column, schema=SCHEMA)
