"""The provisional mark of a correction deadline (issue 11 §5)."""

import sqlalchemy as sa
from alembic import op

revision: str = "intake_0003"
down_revision: str | None = "intake_journal_sequencer"

SCHEMA = "intake"


def upgrade() -> None:
    op.add_column(
        "declarations",
        sa.Column("correction_deadline_provisional", sa.Boolean(), server_default=sa.false(), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_column("declarations", "correction_deadline_provisional", schema=SCHEMA)
