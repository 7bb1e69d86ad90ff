"""A meeting's results (issue 15): publicity and objections (NA-11, RV-6), confirmation, each
applicant's result (MT-5), re-examinations (NA-12), the archived meeting file (CM-11, NA-10); the
rank of a qualified applicant (the title name of a junior level depends on it)."""

import sqlalchemy as sa
from alembic import op

from zhicheng_common.columns import binary, boolean, day, integer, long_text, string, timestamp, uid
from zhicheng_common.constraints import primary_key
from zhicheng_common.migrations import drop_tables

revision: str = "committees_meeting_results"
down_revision: str | None = "committees_meetings_ballots"

SCHEMA = "committees"


def _results_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["meeting_id"],
        [f"{SCHEMA}.meeting_results.meeting_id"],
        name=f"fk_{table}_meeting_id_meeting_results",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.add_column("qualified_declarations", string("rank", 32, nullable=True), schema=SCHEMA)
    op.create_table(
        "meeting_results",
        uid("meeting_id"),
        string("status", 16),
        string("policy_pack", 64),
        day("opened_on"),
        day("open_through"),
        boolean("open_through_provisional"),
        string("opened_by", 128),
        uid("confirmation_id", nullable=True),
        string("approving_authority", 200, nullable=True),
        string("document_number", 100, nullable=True),
        day("title_obtained_on", nullable=True),
        day("confirmed_on", nullable=True),
        string("confirmed_by", 128, nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            [f"{SCHEMA}.plan_meetings.id"],
            name="fk_meeting_results_meeting_id_plan_meetings",
            ondelete="CASCADE",
        ),
        primary_key("meeting_results", "meeting_id"),
        schema=SCHEMA,
    )
    op.create_table(
        "result_applicants",
        uid("meeting_id"),
        string("declaration_id", 64),
        uid("committee_id"),
        string("region", 6),
        integer("year"),
        string("series", 64),
        string("level", 32),
        integer("round"),
        boolean("voted_passed"),
        boolean("passed"),
        _results_fk("result_applicants"),
        primary_key("result_applicants", "meeting_id", "declaration_id"),
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
        uid("id"),
        uid("meeting_id"),
        string("declaration_id", 64),
        long_text("content_encrypted"),
        day("filed_on"),
        string("recorded_by", 128),
        string("status", 16),
        long_text("resolution_encrypted", nullable=True),
        string("resolved_by", 128, nullable=True),
        timestamp("resolved_at", nullable=True),
        _results_fk("result_objections"),
        primary_key("result_objections"),
        schema=SCHEMA,
    )
    op.create_index("ix_result_objections_meeting_id", "result_objections", ["meeting_id"], schema=SCHEMA)
    op.create_table(
        "result_reexaminations",
        uid("id"),
        uid("meeting_id"),
        string("declaration_id", 64),
        long_text("reason_encrypted"),
        day("requested_on"),
        string("recorded_by", 128),
        string("status", 16),
        string("handler", 128, nullable=True),
        string("outcome", 16, nullable=True),
        boolean("passed", nullable=True),
        long_text("outcome_text_encrypted", nullable=True),
        string("decided_by", 128, nullable=True),
        day("decided_on", nullable=True),
        uid("confirmation_id", nullable=True),
        _results_fk("result_reexaminations"),
        primary_key("result_reexaminations"),
        schema=SCHEMA,
    )
    op.create_index("ix_result_reexaminations_meeting_id", "result_reexaminations", ["meeting_id"], schema=SCHEMA)
    op.create_table(
        "meeting_files",
        uid("meeting_id"),
        string("audience", 16),
        string("format", 8),
        binary("content"),
        string("sha256", 64),
        timestamp("made_at"),
        _results_fk("meeting_files"),
        primary_key("meeting_files", "meeting_id", "audience", "format"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    drop_tables(
        SCHEMA, "meeting_files", "result_reexaminations", "result_objections", "result_applicants", "meeting_results"
    )
    op.drop_column("qualified_declarations", "rank", schema=SCHEMA)
