"""Declarations, status history, idempotency keys, attachments and the projections intake keeps."""

import sqlalchemy as sa
from alembic import op

from zhicheng_common.columns import boolean, day, integer, jsonb, long_text, string, timestamp, timestamp_now, uid
from zhicheng_common.constraints import primary_key, region_format
from zhicheng_common.migrations import drop_tables

revision: str = "intake_0002"
down_revision: str | None = "intake_0001"

SCHEMA = "intake"


def upgrade() -> None:
    op.create_table(
        "declarations",
        uid("id"),
        string("status", 16),
        string("owner_subject", 128),
        string("applicant_key", 64),
        long_text("applicant_id_enc"),
        string("applicant_name", 128),
        string("unit_key", 64),
        string("employer_name", 128),
        string("region", 6),
        integer("year"),
        string("series", 64),
        string("specialty", 128),
        string("level", 32),
        string("rank", 32),
        uid("committee_id"),
        string("kind", 32),
        string("channel", 32),
        string("policy_pack", 64),
        jsonb("content"),
        jsonb("correction_items", server_default=sa.text("'[]'::jsonb")),
        day("correction_deadline", nullable=True),
        jsonb("corrected_fields", server_default=sa.text("'[]'::jsonb")),
        timestamp_now("created_at"),
        timestamp_now("updated_at"),
        timestamp("submitted_at", nullable=True),
        primary_key("declarations"),
        region_format("declarations"),
        schema=SCHEMA,
    )
    for column in ("status", "owner_subject", "applicant_key", "unit_key", "region", "year", "committee_id"):
        op.create_index(f"ix_declarations_{column}", "declarations", [column], schema=SCHEMA)
    op.create_table(
        "declaration_status_changes",
        uid("id"),
        uid("declaration_id"),
        string("status", 16),
        timestamp("at"),
        string("actor", 128),
        long_text("reason", nullable=True),
        primary_key("declaration_status_changes"),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            [f"{SCHEMA}.declarations.id"],
            name="fk_declaration_status_changes_declaration_id_declarations",
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_declaration_status_changes_declaration_id", "declaration_status_changes", ["declaration_id"], schema=SCHEMA
    )
    op.create_table(
        "idempotency_keys",
        uid("id"),
        string("actor", 128),
        string("operation", 32),
        string("key", 128),
        string("request_hash", 64),
        uid("declaration_id"),
        timestamp_now("created_at"),
        primary_key("idempotency_keys"),
        sa.UniqueConstraint("actor", "operation", "key", name="uq_idempotency_keys_actor_operation_key"),
        schema=SCHEMA,
    )
    op.create_table(
        "attachments",
        uid("id"),
        uid("declaration_id"),
        string("name", 255),
        string("kind", 64),
        string("media_type", 128),
        integer("size"),
        string("sha256", 64),
        string("storage_key", 255),
        timestamp_now("created_at"),
        primary_key("attachments"),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            [f"{SCHEMA}.declarations.id"],
            name="fk_attachments_declaration_id_declarations",
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_attachments_declaration_id", "attachments", ["declaration_id"], schema=SCHEMA)
    op.create_table(
        "committee_scopes",
        uid("committee_id"),
        string("name", 255),
        string("series", 64),
        jsonb("specialties"),
        jsonb("levels"),
        jsonb("scope_regions"),
        jsonb("scope_ownership_kinds"),
        string("policy_pack", 64),
        day("valid_from"),
        day("valid_until"),
        string("status", 32),
        timestamp_now("updated_at"),
        primary_key("committee_scopes", "committee_id"),
        schema=SCHEMA,
    )
    op.create_table(
        "declaration_windows",
        uid("plan_id"),
        uid("committee_id"),
        integer("year"),
        string("series", 64),
        jsonb("levels"),
        day("declaration_opens"),
        day("declaration_closes"),
        string("policy_pack", 64),
        timestamp_now("updated_at"),
        primary_key("declaration_windows", "plan_id"),
        schema=SCHEMA,
    )
    op.create_index("ix_declaration_windows_committee_id", "declaration_windows", ["committee_id"], schema=SCHEMA)
    op.create_table(
        "integrity_bars",
        uid("record_id"),
        string("subject_key", 64),
        string("kind", 64),
        day("valid_from", nullable=True),
        day("valid_until", nullable=True),
        boolean("active"),
        timestamp_now("updated_at"),
        primary_key("integrity_bars", "record_id"),
        schema=SCHEMA,
    )
    op.create_index("ix_integrity_bars_subject_key", "integrity_bars", ["subject_key"], schema=SCHEMA)


def downgrade() -> None:
    drop_tables(
        SCHEMA,
        "integrity_bars",
        "declaration_windows",
        "committee_scopes",
        "attachments",
        "idempotency_keys",
        "declaration_status_changes",
        "declarations",
    )
