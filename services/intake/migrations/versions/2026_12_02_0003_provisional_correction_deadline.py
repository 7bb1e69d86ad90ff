"""The provisional mark of a correction deadline (issue 11 §5)."""

import sqlalchemy as sa
from alembic import op

from zhicheng_common.columns import boolean

revision: str = "intake_0003"
down_revision: str | None = "intake_journal_sequencer"

SCHEMA = "intake"


def upgrade() -> None:
    op.add_column(
        "declarations",
        boolean("correction_deadline_provisional", server_default=sa.false()),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_column("declarations", "correction_deadline_provisional", schema=SCHEMA)
