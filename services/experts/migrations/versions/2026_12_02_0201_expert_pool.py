"""Experts, their terms and relationships, pool filings and members, and the projections of other
services' events (committees, plans, meetings, qualified applicants, integrity bars).

Revision ID: experts_expert_pool
Revises: experts_event_order
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "experts_expert_pool"
down_revision: str | None = "experts_event_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "experts"
UUID = postgresql.UUID(as_uuid=True)
TZ = sa.DateTime(timezone=True)
JSONB = postgresql.JSONB()


def upgrade() -> None:
    op.create_table(
        "experts",
        sa.Column("id", UUID, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("resident_id_key", sa.String(64), nullable=False),
        sa.Column("resident_id_encrypted", sa.Text(), nullable=False),
        sa.Column("resident_id_masked", sa.String(32), nullable=False),
        sa.Column("unit_name", sa.String(128), nullable=False),
        sa.Column("unit_key", sa.String(64), nullable=False),
        sa.Column("unit_credit_code_encrypted", sa.Text(), nullable=False),
        sa.Column("unit_credit_code_masked", sa.String(32), nullable=False),
        sa.Column("ownership_kind", sa.String(32), nullable=False),
        sa.Column("series", sa.String(64), nullable=False),
        sa.Column("specialties", JSONB, nullable=False),
        sa.Column("rank_held", sa.String(32), nullable=False),
        sa.Column("title_name", sa.String(64), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("email", sa.String(128), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("disqualified_by_record", UUID, nullable=True),
        sa.Column("account_subject", sa.String(128), nullable=True),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", TZ, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", TZ, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_experts"),
        sa.CheckConstraint("status IN ('active', 'suspended', 'disqualified')", name="ck_experts_status"),
        sa.CheckConstraint(
            "ownership_kind IN ('public_institution', 'state_owned_enterprise', 'private_enterprise',"
            " 'social_organization')",
            name="ck_experts_ownership_kind",
        ),
        sa.CheckConstraint("region ~ '^[0-9]{6}$'", name="ck_experts_region_format"),
        schema=SCHEMA,
    )
    op.create_index("ix_experts_resident_id_key", "experts", ["resident_id_key"], unique=True, schema=SCHEMA)
    op.create_index("ix_experts_account_subject", "experts", ["account_subject"], unique=True, schema=SCHEMA)
    op.create_index("ix_experts_unit_key", "experts", ["unit_key"], schema=SCHEMA)
    op.create_index(
        "ix_experts_region", "experts", ["region"], schema=SCHEMA, postgresql_ops={"region": "varchar_pattern_ops"}
    )
    op.create_table(
        "expert_terms",
        sa.Column("id", UUID, nullable=False),
        sa.Column("expert_id", UUID, nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_expert_terms"),
        sa.ForeignKeyConstraint(
            ["expert_id"], [f"{SCHEMA}.experts.id"], name="fk_expert_terms_expert_id_experts", ondelete="CASCADE"
        ),
        sa.CheckConstraint("ends_on >= starts_on", name="ck_expert_terms_order"),
        schema=SCHEMA,
    )
    op.create_index("ix_expert_terms_expert_id", "expert_terms", ["expert_id"], schema=SCHEMA)
    op.create_table(
        "expert_relationships",
        sa.Column("id", UUID, nullable=False),
        sa.Column("expert_id", UUID, nullable=False),
        sa.Column("kind", sa.String(48), nullable=False),
        sa.Column("other_key", sa.String(64), nullable=False),
        sa.Column("note", sa.String(256), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_expert_relationships"),
        sa.ForeignKeyConstraint(
            ["expert_id"],
            [f"{SCHEMA}.experts.id"],
            name="fk_expert_relationships_expert_id_experts",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("expert_id", "kind", "other_key", name="uq_expert_relationships_expert_id"),
        schema=SCHEMA,
    )
    op.create_index("ix_expert_relationships_other_key", "expert_relationships", ["other_key"], schema=SCHEMA)
    op.create_table(
        "pool_filings",
        sa.Column("id", UUID, nullable=False),
        sa.Column("committee_id", UUID, nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("evaluation_date", sa.Date(), nullable=True),
        sa.Column("previous_filing_id", UUID, nullable=True),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("new_member_count", sa.Integer(), nullable=False),
        sa.Column("private_enterprise_count", sa.Integer(), nullable=False),
        sa.Column("policy_pack", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", TZ, server_default=sa.func.now(), nullable=False),
        sa.Column("ended_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_pool_filings"),
        sa.ForeignKeyConstraint(
            ["previous_filing_id"],
            [f"{SCHEMA}.pool_filings.id"],
            name="fk_pool_filings_previous_filing_id_pool_filings",
        ),
        sa.CheckConstraint("status IN ('filed', 'expired', 'superseded')", name="ck_pool_filings_status"),
        sa.CheckConstraint("valid_until >= valid_from", name="ck_pool_filings_validity"),
        sa.CheckConstraint("region ~ '^[0-9]{6}$'", name="ck_pool_filings_region_format"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_pool_filings_one_in_force",
        "pool_filings",
        ["committee_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'filed'"),
    )
    op.create_index("ix_pool_filings_committee_id", "pool_filings", ["committee_id"], schema=SCHEMA)
    op.create_index(
        "ix_pool_filings_expiry",
        "pool_filings",
        ["valid_until"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'filed'"),
    )
    op.create_table(
        "pool_members",
        sa.Column("filing_id", UUID, nullable=False),
        sa.Column("expert_id", UUID, nullable=False),
        sa.Column("is_new", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("filing_id", "expert_id", name="pk_pool_members"),
        sa.ForeignKeyConstraint(
            ["filing_id"],
            [f"{SCHEMA}.pool_filings.id"],
            name="fk_pool_members_filing_id_pool_filings",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["expert_id"], [f"{SCHEMA}.experts.id"], name="fk_pool_members_expert_id_experts"),
        schema=SCHEMA,
    )
    op.create_index("ix_pool_members_expert_id", "pool_members", ["expert_id"], schema=SCHEMA)
    op.create_table(
        "committee_views",
        sa.Column("committee_id", UUID, nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("formation_basis", sa.String(32), nullable=False),
        sa.Column("series", sa.String(64), nullable=False),
        sa.Column("specialties", JSONB, nullable=False),
        sa.Column("levels", JSONB, nullable=False),
        sa.Column("scope_ownership_kinds", JSONB, nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("policy_pack", sa.String(64), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("committee_id", name="pk_committee_views"),
        schema=SCHEMA,
    )
    op.create_table(
        "plan_views",
        sa.Column("plan_id", UUID, nullable=False),
        sa.Column("committee_id", UUID, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("meeting_dates", JSONB, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", name="pk_plan_views"),
        schema=SCHEMA,
    )
    op.create_index("ix_plan_views_committee_id", "plan_views", ["committee_id"], schema=SCHEMA)
    op.create_table(
        "meeting_views",
        sa.Column("meeting_id", UUID, nullable=False),
        sa.Column("committee_id", UUID, nullable=False),
        sa.Column("plan_id", UUID, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("meeting_date", sa.Date(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("series", sa.String(64), nullable=False),
        sa.Column("levels", JSONB, nullable=False),
        sa.Column("policy_pack", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("meeting_id", name="pk_meeting_views"),
        schema=SCHEMA,
    )
    op.create_index("ix_meeting_views_committee_id", "meeting_views", ["committee_id"], schema=SCHEMA)
    op.create_table(
        "applicant_views",
        sa.Column("declaration_id", UUID, nullable=False),
        sa.Column("committee_id", UUID, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("applicant_key", sa.String(64), nullable=False),
        sa.Column("unit_key", sa.String(64), nullable=False),
        sa.Column("series", sa.String(64), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("declaration_id", name="pk_applicant_views"),
        schema=SCHEMA,
    )
    op.create_index("ix_applicant_views_committee_year", "applicant_views", ["committee_id", "year"], schema=SCHEMA)
    op.create_table(
        "integrity_bars",
        sa.Column("record_id", UUID, nullable=False),
        sa.Column("subject_key", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("disqualifies", sa.Boolean(), nullable=False),
        sa.Column("in_force", sa.Boolean(), nullable=False),
        sa.Column("ended", sa.String(16), nullable=True),
        sa.Column("updated_at", TZ, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("record_id", name="pk_integrity_bars"),
        schema=SCHEMA,
    )
    op.create_index("ix_integrity_bars_subject_key", "integrity_bars", ["subject_key"], schema=SCHEMA)


def downgrade() -> None:
    for table in (
        "integrity_bars",
        "applicant_views",
        "meeting_views",
        "plan_views",
        "committee_views",
        "pool_members",
        "pool_filings",
        "expert_relationships",
        "expert_terms",
        "experts",
    ):
        op.drop_table(table, schema=SCHEMA)
