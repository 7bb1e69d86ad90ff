"""Pre-meeting filing of plan meetings (CM-8): when and by whom it was filed, applicants, note."""

from alembic import op

from zhicheng_common.columns import day, integer, long_text, string

revision: str = "committees_0003"
down_revision: str | None = "committees_0002"

SCHEMA = "committees"


def upgrade() -> None:
    op.add_column("plan_meetings", day("pre_meeting_filed_on", nullable=True), schema=SCHEMA)
    op.add_column("plan_meetings", string("pre_meeting_filed_by", 128, nullable=True), schema=SCHEMA)
    op.add_column("plan_meetings", integer("applicant_count", nullable=True), schema=SCHEMA)
    op.add_column("plan_meetings", long_text("pre_meeting_note", nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("plan_meetings", "pre_meeting_note", schema=SCHEMA)
    op.drop_column("plan_meetings", "applicant_count", schema=SCHEMA)
    op.drop_column("plan_meetings", "pre_meeting_filed_by", schema=SCHEMA)
    op.drop_column("plan_meetings", "pre_meeting_filed_on", schema=SCHEMA)
