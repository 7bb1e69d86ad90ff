"""A meeting's results (issue 15): publicity and objections (NA-11, RV-6), confirmation, each
applicant's result (MT-5), re-examinations (NA-12), the archived meeting file (CM-11, NA-10); the
rank of a qualified applicant (the title name of a junior level depends on it)."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "committees_meeting_results"
down_revision: str | None = "committees_meetings_ballots"

SCHEMA = "committees"
UUID = postgresql.UUID(as_uuid=True)
TZ = sa.DateTime(timezone=True)


def _results_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["meeting_id"],
        [f"{SCHEMA}.meeting_results.meeting_id"],
        name=f"fk_{table}_meeting_id_meeting_results",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.add_column("qualified_declarations", sa.Column("rank", sa.String(32), nullable=True), schema=SCHEMA)
    op.create_table(
        "meeting_results",
        sa.Column("meeting_id", UUID, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("policy_pack", sa.String(64), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("open_through", sa.Date(), nullable=False),
        sa.Column("open_through_provisional", sa.Boolean(), nullable=False),
        sa.Column("opened_by", sa.String(128), nullable=False),
        sa.Column("confirmation_id", UUID, nullable=True),
        sa.Column("approving_authority", sa.String(200), nullable=True),
        sa.Column("document_number", sa.String(100), nullable=True),
        sa.Column("title_obtained_on", sa.Date(), nullable=True),
        sa.Column("confirmed_on", sa.Date(), nullable=True),
        sa.Column("confirmed_by", sa.String(128), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            [f"{SCHEMA}.plan_meetings.id"],
            name="fk_meeting_results_meeting_id_plan_meetings",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("meeting_id", name="pk_meeting_results"),
        schema=SCHEMA,
    )
    op.create_table(
        "result_applicants",
        sa.Column("meeting_id", UUID, nullable=False),
        sa.Column("declaration_id", sa.String(64), nullable=False),
        sa.Column("committee_id", UUID, nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("series", sa.String(64), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("voted_passed", sa.Boolean(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        _results_fk("result_applicants"),
        sa.PrimaryKeyConstraint("meeting_id", "declaration_id", name="pk_result_applicants"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_result_applicants_rates",
        "result_applicants",
        ["year", "committee_id", "series", "level"],
        schema=SCHEMA,
    )
    op.create_table(
        "result_objections",
        sa.Column("id", UUID, nullable=False),
        sa.Column("meeting_id", UUID, nullable=False),
        sa.Column("declaration_id", sa.String(64), nullable=False),
        sa.Column("content_encrypted", sa.Text(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("resolution_encrypted", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.String(128), nullable=True),
        sa.Column("resolved_at", TZ, nullable=True),
        _results_fk("result_objections"),
        sa.PrimaryKeyConstraint("id", name="pk_result_objections"),
        schema=SCHEMA,
    )
    op.create_index("ix_result_objections_meeting_id", "result_objections", ["meeting_id"], schema=SCHEMA)
    op.create_table(
        "result_reexaminations",
        sa.Column("id", UUID, nullable=False),
        sa.Column("meeting_id", UUID, nullable=False),
        sa.Column("declaration_id", sa.String(64), nullable=False),
        sa.Column("reason_encrypted", sa.Text(), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("handler", sa.String(128), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("outcome_text_encrypted", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("confirmation_id", UUID, nullable=True),
        _results_fk("result_reexaminations"),
        sa.PrimaryKeyConstraint("id", name="pk_result_reexaminations"),
        schema=SCHEMA,
    )
    op.create_index("ix_result_reexaminations_meeting_id", "result_reexaminations", ["meeting_id"], schema=SCHEMA)
    op.create_table(
        "meeting_files",
        sa.Column("meeting_id", UUID, nullable=False),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("made_at", TZ, nullable=False),
        _results_fk("meeting_files"),
        sa.PrimaryKeyConstraint("meeting_id", "audience", "format", name="pk_meeting_files"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in (
        "meeting_files",
        "result_reexaminations",
        "result_objections",
        "result_applicants",
        "meeting_results",
    ):
        op.drop_table(table, schema=SCHEMA)
    op.drop_column("qualified_declarations", "rank", schema=SCHEMA)
