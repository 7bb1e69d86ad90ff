"""Pre-meeting filing of plan meetings (CM-8): when and by whom it was filed, applicants, note."""

import sqlalchemy as sa
from alembic import op

revision: str = "committees_0003"
down_revision: str | None = "committees_0002"

SCHEMA = "committees"


def upgrade() -> None:
    op.add_column("plan_meetings", sa.Column("pre_meeting_filed_on", sa.Date(), nullable=True), schema=SCHEMA)
    op.add_column("plan_meetings", sa.Column("pre_meeting_filed_by", sa.String(128), nullable=True), schema=SCHEMA)
    op.add_column("plan_meetings", sa.Column("applicant_count", sa.Integer(), nullable=True), schema=SCHEMA)
    op.add_column("plan_meetings", sa.Column("pre_meeting_note", sa.Text(), nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("plan_meetings", "pre_meeting_note", schema=SCHEMA)
    op.drop_column("plan_meetings", "applicant_count", schema=SCHEMA)
    op.drop_column("plan_meetings", "pre_meeting_filed_by", schema=SCHEMA)
    op.drop_column("plan_meetings", "pre_meeting_filed_on", schema=SCHEMA)
