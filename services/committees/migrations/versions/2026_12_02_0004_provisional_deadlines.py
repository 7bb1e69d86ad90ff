"""Provisional deadlines of meetings (issue 11 §5): post-meeting filing (CM-9), results entry (CM-11)."""

import sqlalchemy as sa
from alembic import op

from zhicheng_common.columns import boolean

revision: str = "committees_provisional_deadlines"
down_revision: str | None = "committees_0004"

SCHEMA = "committees"


def upgrade() -> None:
    for column in ("post_meeting_filing_due_provisional", "results_entry_due_provisional"):
        op.add_column("plan_meetings", boolean(column, server_default=sa.false()), schema=SCHEMA)


def downgrade() -> None:
    for column in ("results_entry_due_provisional", "post_meeting_filing_due_provisional"):
        op.drop_column("plan_meetings", column, schema=SCHEMA)
