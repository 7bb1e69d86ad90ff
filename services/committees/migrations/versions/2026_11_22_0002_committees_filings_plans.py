"""Committees, their filings (history), sanctions, annual plans and plan meetings."""

import sqlalchemy as sa
from alembic import op

from zhicheng_common.columns import boolean, day, integer, jsonb, long_text, string, timestamp, timestamp_now, uid
from zhicheng_common.constraints import primary_key, region_format
from zhicheng_common.migrations import create_region_index, drop_tables

revision: str = "committees_0002"
down_revision: str | None = "committees_0001"

SCHEMA = "committees"


def upgrade() -> None:
    op.create_table(
        "committees",
        uid("id"),
        string("region", 6),
        string("status", 32),
        uid("current_filing_id", nullable=True),
        day("valid_from", nullable=True),
        day("valid_until", nullable=True),
        day("rectification_deadline", nullable=True),
        timestamp_now("created_at"),
        timestamp_now("updated_at"),
        primary_key("committees"),
        region_format("committees"),
        schema=SCHEMA,
    )
    create_region_index("committees", schema=SCHEMA)
    op.create_index("ix_committees_status_valid_until", "committees", ["status", "valid_until"], schema=SCHEMA)

    op.create_table(
        "filings",
        uid("id"),
        uid("committee_id"),
        integer("sequence"),
        string("reason", 32),
        string("status", 32),
        string("region", 6),
        string("name", 200),
        string("organizer_name", 200),
        string("organizer_credit_code_hash", 64),
        long_text("organizer_credit_code_encrypted"),
        string("kind", 64),
        string("formation_basis", 32),
        string("series", 64),
        jsonb("specialties"),
        jsonb("levels"),
        jsonb("scope_regions"),
        jsonb("scope_ownership_kinds"),
        jsonb("documents"),
        jsonb("office"),
        integer("member_count"),
        string("policy_pack", 64),
        string("submitted_by", 128),
        timestamp_now("submitted_at"),
        string("decided_by", 128, nullable=True),
        day("decided_on", nullable=True),
        long_text("opinion", nullable=True),
        primary_key("filings"),
        sa.ForeignKeyConstraint(
            ["committee_id"], [f"{SCHEMA}.committees.id"], name="fk_filings_committee_id_committees"
        ),
        sa.UniqueConstraint("committee_id", "sequence", name="uq_filings_committee_id"),
        schema=SCHEMA,
    )
    create_region_index("filings", schema=SCHEMA)
    op.create_index("ix_filings_status", "filings", ["status"], schema=SCHEMA)

    op.create_table(
        "sanctions",
        uid("id"),
        uid("committee_id"),
        string("kind", 32),
        long_text("reason"),
        string("decided_by", 128),
        day("decided_on"),
        day("rectification_deadline", nullable=True),
        timestamp_now("created_at"),
        primary_key("sanctions"),
        sa.ForeignKeyConstraint(
            ["committee_id"], [f"{SCHEMA}.committees.id"], name="fk_sanctions_committee_id_committees"
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_sanctions_committee_id", "sanctions", ["committee_id"], schema=SCHEMA)

    op.create_table(
        "plans",
        uid("id"),
        uid("committee_id"),
        string("region", 6),
        integer("year"),
        string("series", 64),
        jsonb("levels"),
        day("declaration_opens"),
        day("declaration_closes"),
        day("notice_date"),
        long_text("cross_year_exception", nullable=True),
        string("policy_pack", 64),
        string("status", 32),
        integer("version"),
        string("created_by", 128),
        timestamp("published_at", nullable=True),
        timestamp_now("created_at"),
        timestamp_now("updated_at"),
        primary_key("plans"),
        sa.ForeignKeyConstraint(["committee_id"], [f"{SCHEMA}.committees.id"], name="fk_plans_committee_id_committees"),
        sa.UniqueConstraint("committee_id", "year", name="uq_plans_committee_id"),
        schema=SCHEMA,
    )
    create_region_index("plans", schema=SCHEMA)

    op.create_table(
        "plan_meetings",
        uid("id"),
        uid("plan_id"),
        uid("committee_id"),
        string("region", 6),
        integer("position"),
        day("meeting_date"),
        day("pre_meeting_filing_date"),
        day("post_meeting_filing_due"),
        day("post_meeting_filed_on", nullable=True),
        boolean("overdue_noted"),
        day("appointment_document_date", nullable=True),
        day("results_entered_on", nullable=True),
        day("results_entry_due", nullable=True),
        jsonb("meeting_file", nullable=True),
        primary_key("plan_meetings"),
        sa.ForeignKeyConstraint(
            ["plan_id"], [f"{SCHEMA}.plans.id"], name="fk_plan_meetings_plan_id_plans", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["committee_id"], [f"{SCHEMA}.committees.id"], name="fk_plan_meetings_committee_id_committees"
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_plan_meetings_plan_id", "plan_meetings", ["plan_id"], schema=SCHEMA)
    op.create_index("ix_plan_meetings_due", "plan_meetings", ["post_meeting_filing_due"], schema=SCHEMA)
    create_region_index("plan_meetings", schema=SCHEMA)


def downgrade() -> None:
    drop_tables(SCHEMA, "plan_meetings", "plans", "sanctions", "filings", "committees")
