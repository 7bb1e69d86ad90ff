"""Experts, their terms and relationships, pool filings and members, and the projections of other
services' events (committees, plans, meetings, qualified applicants, integrity bars).

Revision ID: experts_expert_pool
Revises: experts_event_order
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from zhicheng_common.columns import boolean, day, integer, jsonb, long_text, string, timestamp, timestamp_now, uid
from zhicheng_common.constraints import primary_key, region_format
from zhicheng_common.migrations import create_region_index, drop_tables

revision: str = "experts_expert_pool"
down_revision: str | None = "experts_event_order"

SCHEMA = "experts"


def upgrade() -> None:
    op.create_table(
        "experts",
        uid("id"),
        string("name", 64),
        string("resident_id_key", 64),
        long_text("resident_id_encrypted"),
        string("resident_id_masked", 32),
        string("unit_name", 128),
        string("unit_key", 64),
        long_text("unit_credit_code_encrypted"),
        string("unit_credit_code_masked", 32),
        string("ownership_kind", 32),
        string("series", 64),
        jsonb("specialties"),
        string("rank_held", 32),
        string("title_name", 64),
        string("region", 6),
        string("phone", 32, nullable=True),
        string("email", 128, nullable=True),
        string("status", 16),
        long_text("status_reason", nullable=True),
        uid("disqualified_by_record", nullable=True),
        string("account_subject", 128, nullable=True),
        string("created_by", 128),
        timestamp_now("created_at"),
        timestamp_now("updated_at"),
        primary_key("experts"),
        sa.CheckConstraint("status IN ('active', 'suspended', 'disqualified')", name="ck_experts_status"),
        sa.CheckConstraint(
            "ownership_kind IN ('public_institution', 'state_owned_enterprise', 'private_enterprise',"
            " 'social_organization')",
            name="ck_experts_ownership_kind",
        ),
        region_format("experts"),
        schema=SCHEMA,
    )
    op.create_index("ix_experts_resident_id_key", "experts", ["resident_id_key"], unique=True, schema=SCHEMA)
    op.create_index("ix_experts_account_subject", "experts", ["account_subject"], unique=True, schema=SCHEMA)
    op.create_index("ix_experts_unit_key", "experts", ["unit_key"], schema=SCHEMA)
    create_region_index("experts", schema=SCHEMA)
    op.create_table(
        "expert_terms",
        uid("id"),
        uid("expert_id"),
        day("starts_on"),
        day("ends_on"),
        primary_key("expert_terms"),
        sa.ForeignKeyConstraint(
            ["expert_id"], [f"{SCHEMA}.experts.id"], name="fk_expert_terms_expert_id_experts", ondelete="CASCADE"
        ),
        sa.CheckConstraint("ends_on >= starts_on", name="ck_expert_terms_order"),
        schema=SCHEMA,
    )
    op.create_index("ix_expert_terms_expert_id", "expert_terms", ["expert_id"], schema=SCHEMA)
    op.create_table(
        "expert_relationships",
        uid("id"),
        uid("expert_id"),
        string("kind", 48),
        string("other_key", 64),
        string("note", 256, nullable=True),
        primary_key("expert_relationships"),
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
        uid("id"),
        uid("committee_id"),
        string("region", 6),
        string("status", 16),
        day("valid_from"),
        day("valid_until"),
        day("applied_on"),
        day("evaluation_date", nullable=True),
        uid("previous_filing_id", nullable=True),
        integer("member_count"),
        integer("new_member_count"),
        integer("private_enterprise_count"),
        string("policy_pack", 64),
        string("created_by", 128),
        timestamp_now("created_at"),
        timestamp("ended_at", nullable=True),
        primary_key("pool_filings"),
        sa.ForeignKeyConstraint(
            ["previous_filing_id"],
            [f"{SCHEMA}.pool_filings.id"],
            name="fk_pool_filings_previous_filing_id_pool_filings",
        ),
        sa.CheckConstraint("status IN ('filed', 'expired', 'superseded')", name="ck_pool_filings_status"),
        sa.CheckConstraint("valid_until >= valid_from", name="ck_pool_filings_validity"),
        region_format("pool_filings"),
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
        uid("filing_id"),
        uid("expert_id"),
        boolean("is_new"),
        primary_key("pool_members", "filing_id", "expert_id"),
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
        uid("committee_id"),
        string("name", 256),
        string("kind", 64),
        string("formation_basis", 32),
        string("series", 64),
        jsonb("specialties"),
        jsonb("levels"),
        jsonb("scope_ownership_kinds"),
        string("region", 6),
        string("policy_pack", 64),
        day("valid_from"),
        day("valid_until"),
        string("status", 32),
        primary_key("committee_views", "committee_id"),
        schema=SCHEMA,
    )
    op.create_table(
        "plan_views",
        uid("plan_id"),
        uid("committee_id"),
        integer("year"),
        jsonb("meeting_dates"),
        integer("version"),
        primary_key("plan_views", "plan_id"),
        schema=SCHEMA,
    )
    op.create_index("ix_plan_views_committee_id", "plan_views", ["committee_id"], schema=SCHEMA)
    op.create_table(
        "meeting_views",
        uid("meeting_id"),
        uid("committee_id"),
        uid("plan_id"),
        integer("year"),
        day("meeting_date"),
        day("filed_on"),
        string("region", 6),
        string("series", 64),
        jsonb("levels"),
        string("policy_pack", 64),
        primary_key("meeting_views", "meeting_id"),
        schema=SCHEMA,
    )
    op.create_index("ix_meeting_views_committee_id", "meeting_views", ["committee_id"], schema=SCHEMA)
    op.create_table(
        "applicant_views",
        uid("declaration_id"),
        uid("committee_id"),
        integer("year"),
        string("applicant_key", 64),
        string("unit_key", 64),
        string("series", 64),
        string("level", 32),
        primary_key("applicant_views", "declaration_id"),
        schema=SCHEMA,
    )
    op.create_index("ix_applicant_views_committee_year", "applicant_views", ["committee_id", "year"], schema=SCHEMA)
    op.create_table(
        "integrity_bars",
        uid("record_id"),
        string("subject_key", 64),
        string("kind", 32),
        day("valid_from"),
        day("valid_until"),
        boolean("disqualifies"),
        boolean("in_force"),
        string("ended", 16, nullable=True),
        timestamp_now("updated_at"),
        primary_key("integrity_bars", "record_id"),
        schema=SCHEMA,
    )
    op.create_index("ix_integrity_bars_subject_key", "integrity_bars", ["subject_key"], schema=SCHEMA)


def downgrade() -> None:
    drop_tables(
        SCHEMA,
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
    )
