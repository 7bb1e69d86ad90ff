"""Committees, their filings (history), sanctions, annual plans and plan meetings."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "committees_0002"
down_revision: str | None = "committees_0001"

SCHEMA = "committees"


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "committees",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("current_filing_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("rectification_deadline", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_committees"),
        sa.CheckConstraint("region ~ '^[0-9]{6}$'", name="ck_committees_region_format"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_committees_region",
        "committees",
        ["region"],
        schema=SCHEMA,
        postgresql_ops={"region": "varchar_pattern_ops"},
    )
    op.create_index("ix_committees_status_valid_until", "committees", ["status", "valid_until"], schema=SCHEMA)

    op.create_table(
        "filings",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("committee_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("organizer_name", sa.String(200), nullable=False),
        sa.Column("organizer_credit_code_hash", sa.String(64), nullable=False),
        sa.Column("organizer_credit_code_encrypted", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("formation_basis", sa.String(32), nullable=False),
        sa.Column("series", sa.String(64), nullable=False),
        sa.Column("specialties", postgresql.JSONB(), nullable=False),
        sa.Column("levels", postgresql.JSONB(), nullable=False),
        sa.Column("scope_regions", postgresql.JSONB(), nullable=False),
        sa.Column("scope_ownership_kinds", postgresql.JSONB(), nullable=False),
        sa.Column("documents", postgresql.JSONB(), nullable=False),
        sa.Column("office", postgresql.JSONB(), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("policy_pack", sa.String(64), nullable=False),
        sa.Column("submitted_by", sa.String(128), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_filings"),
        sa.ForeignKeyConstraint(
            ["committee_id"], [f"{SCHEMA}.committees.id"], name="fk_filings_committee_id_committees"
        ),
        sa.UniqueConstraint("committee_id", "sequence", name="uq_filings_committee_id"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_filings_region", "filings", ["region"], schema=SCHEMA, postgresql_ops={"region": "varchar_pattern_ops"}
    )
    op.create_index("ix_filings_status", "filings", ["status"], schema=SCHEMA)

    op.create_table(
        "sanctions",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("committee_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(128), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("rectification_deadline", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sanctions"),
        sa.ForeignKeyConstraint(
            ["committee_id"], [f"{SCHEMA}.committees.id"], name="fk_sanctions_committee_id_committees"
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_sanctions_committee_id", "sanctions", ["committee_id"], schema=SCHEMA)

    op.create_table(
        "plans",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("committee_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("series", sa.String(64), nullable=False),
        sa.Column("levels", postgresql.JSONB(), nullable=False),
        sa.Column("declaration_opens", sa.Date(), nullable=False),
        sa.Column("declaration_closes", sa.Date(), nullable=False),
        sa.Column("notice_date", sa.Date(), nullable=False),
        sa.Column("cross_year_exception", sa.Text(), nullable=True),
        sa.Column("policy_pack", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_plans"),
        sa.ForeignKeyConstraint(["committee_id"], [f"{SCHEMA}.committees.id"], name="fk_plans_committee_id_committees"),
        sa.UniqueConstraint("committee_id", "year", name="uq_plans_committee_id"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_plans_region", "plans", ["region"], schema=SCHEMA, postgresql_ops={"region": "varchar_pattern_ops"}
    )

    op.create_table(
        "plan_meetings",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("plan_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("committee_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("meeting_date", sa.Date(), nullable=False),
        sa.Column("pre_meeting_filing_date", sa.Date(), nullable=False),
        sa.Column("post_meeting_filing_due", sa.Date(), nullable=False),
        sa.Column("post_meeting_filed_on", sa.Date(), nullable=True),
        sa.Column("overdue_noted", sa.Boolean(), nullable=False),
        sa.Column("appointment_document_date", sa.Date(), nullable=True),
        sa.Column("results_entered_on", sa.Date(), nullable=True),
        sa.Column("results_entry_due", sa.Date(), nullable=True),
        sa.Column("meeting_file", postgresql.JSONB(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_plan_meetings"),
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
    op.create_index(
        "ix_plan_meetings_region",
        "plan_meetings",
        ["region"],
        schema=SCHEMA,
        postgresql_ops={"region": "varchar_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_table("plan_meetings", schema=SCHEMA)
    op.drop_table("plans", schema=SCHEMA)
    op.drop_table("sanctions", schema=SCHEMA)
    op.drop_table("filings", schema=SCHEMA)
    op.drop_table("committees", schema=SCHEMA)
