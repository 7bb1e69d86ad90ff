"""EL-11: remember whether a declaration was withdrawn before the first review decision.

Only such a withdrawal frees the person's application of the year. The submit transaction takes a
per-person advisory lock for the count (no schema needed for that).
"""

import sqlalchemy as sa
from alembic import op

from zhicheng_common.columns import boolean

revision: str = "intake_0004"
down_revision: str | None = "intake_0003"

SCHEMA = "intake"


def upgrade() -> None:
    op.add_column(
        "declarations",
        boolean("withdrawn_before_review", server_default=sa.false()),
        schema=SCHEMA,
    )
    # Declarations withdrawn before this migration left from "submitted" or later: they are marked
    # from their status history (the status they were withdrawn from), so the rule holds for them too.
    op.execute(
        """
        UPDATE intake.declarations d SET withdrawn_before_review = true
        WHERE d.status = 'withdrawn' AND NOT EXISTS (
            SELECT 1 FROM intake.declaration_status_changes c
            WHERE c.declaration_id = d.id AND c.status IN ('returned', 'resubmitted')
        )
        """
    )


def downgrade() -> None:
    op.drop_column("declarations", "withdrawn_before_review", schema=SCHEMA)
