"""Provisional deadlines (issue 11 §5): the mark, and the return day the correction deadline counts from."""

import sqlalchemy as sa
from alembic import op

from zhicheng_common.columns import boolean, day

revision: str = "review_0004"
down_revision: str | None = "review_journal_sequencer"

SCHEMA = "review"


def upgrade() -> None:
    for table, column in (
        ("reviews", "step_due_provisional"),
        ("reviews", "correction_deadline_provisional"),
        ("publicities", "closes_on_provisional"),
    ):
        op.add_column(table, boolean(column, server_default=sa.false()), schema=SCHEMA)
    op.add_column("reviews", day("returned_on", nullable=True), schema=SCHEMA)
    # Declarations returned before this revision: the return day is when their last step visit
    # ended with a return.
    op.execute(
        "UPDATE review.reviews r SET returned_on = ("
        " SELECT max(v.left_on) FROM review.step_visits v WHERE v.review_id = r.id AND v.outcome = 'return')"
        " WHERE r.status = 'returned'"
    )


def downgrade() -> None:
    op.drop_column("reviews", "returned_on", schema=SCHEMA)
    op.drop_column("publicities", "closes_on_provisional", schema=SCHEMA)
    op.drop_column("reviews", "correction_deadline_provisional", schema=SCHEMA)
    op.drop_column("reviews", "step_due_provisional", schema=SCHEMA)
