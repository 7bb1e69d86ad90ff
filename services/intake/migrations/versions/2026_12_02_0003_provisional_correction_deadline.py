"""The provisional mark of a correction deadline (issue 11 §5).

Revision ID: intake_0003
Revises: intake_0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "intake_0003"
down_revision: str | None = "intake_journal_sequencer"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "intake"


def upgrade() -> None:
    op.add_column(
        "declarations",
        sa.Column("correction_deadline_provisional", sa.Boolean(), server_default=sa.false(), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_column("declarations", "correction_deadline_provisional", schema=SCHEMA)
