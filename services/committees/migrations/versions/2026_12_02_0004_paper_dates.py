"""Dates of acts come from the server (CM-8, CM-9, CM-11): the paper date a client gives is kept beside."""

from alembic import op

from zhicheng_common.columns import day, string

revision: str = "committees_0004"
down_revision: str | None = "committees_journal_sequencer"

SCHEMA = "committees"


def upgrade() -> None:
    op.add_column("plan_meetings", day("pre_meeting_paper_date", nullable=True), schema=SCHEMA)
    op.add_column("plan_meetings", day("post_meeting_paper_date", nullable=True), schema=SCHEMA)
    op.add_column("plan_meetings", string("post_meeting_filed_by", 128, nullable=True), schema=SCHEMA)
    op.add_column("plan_meetings", string("results_entered_by", 128, nullable=True), schema=SCHEMA)


def downgrade() -> None:
    for column in ("results_entered_by", "post_meeting_filed_by", "post_meeting_paper_date", "pre_meeting_paper_date"):
        op.drop_column("plan_meetings", column, schema=SCHEMA)
