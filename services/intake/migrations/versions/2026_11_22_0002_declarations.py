"""Declarations, status history, idempotency keys, attachments and the projections intake keeps."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "intake_0002"
down_revision: str | None = "intake_0001"

SCHEMA = "intake"
UUID = postgresql.UUID(as_uuid=True)
JSONB = postgresql.JSONB()


def _ts(name: str, *, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    if nullable:
        return sa.Column(name, sa.DateTime(timezone=True), nullable=True)
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "declarations",
        sa.Column("id", UUID, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner_subject", sa.String(128), nullable=False),
        sa.Column("applicant_key", sa.String(64), nullable=False),
        sa.Column("applicant_id_enc", sa.Text(), nullable=False),
        sa.Column("applicant_name", sa.String(128), nullable=False),
        sa.Column("unit_key", sa.String(64), nullable=False),
        sa.Column("employer_name", sa.String(128), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("series", sa.String(64), nullable=False),
        sa.Column("specialty", sa.String(128), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("rank", sa.String(32), nullable=False),
        sa.Column("committee_id", UUID, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("policy_pack", sa.String(64), nullable=False),
        sa.Column("content", JSONB, nullable=False),
        sa.Column("correction_items", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("correction_deadline", sa.Date(), nullable=True),
        sa.Column("corrected_fields", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        _ts("created_at"),
        _ts("updated_at"),
        _ts("submitted_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_declarations"),
        sa.CheckConstraint("region ~ '^[0-9]{6}$'", name="ck_declarations_region_format"),
        schema=SCHEMA,
    )
    for column in ("status", "owner_subject", "applicant_key", "unit_key", "region", "year", "committee_id"):
        op.create_index(f"ix_declarations_{column}", "declarations", [column], schema=SCHEMA)
    op.create_table(
        "declaration_status_changes",
        sa.Column("id", UUID, nullable=False),
        sa.Column("declaration_id", UUID, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_declaration_status_changes"),
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
        sa.Column("id", UUID, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("operation", sa.String(32), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("declaration_id", UUID, nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_idempotency_keys"),
        sa.UniqueConstraint("actor", "operation", "key", name="uq_idempotency_keys_actor_operation_key"),
        schema=SCHEMA,
    )
    op.create_table(
        "attachments",
        sa.Column("id", UUID, nullable=False),
        sa.Column("declaration_id", UUID, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(128), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(255), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_attachments"),
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
        sa.Column("committee_id", UUID, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("series", sa.String(64), nullable=False),
        sa.Column("specialties", JSONB, nullable=False),
        sa.Column("levels", JSONB, nullable=False),
        sa.Column("scope_regions", JSONB, nullable=False),
        sa.Column("scope_ownership_kinds", JSONB, nullable=False),
        sa.Column("policy_pack", sa.String(64), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("committee_id", name="pk_committee_scopes"),
        schema=SCHEMA,
    )
    op.create_table(
        "declaration_windows",
        sa.Column("plan_id", UUID, nullable=False),
        sa.Column("committee_id", UUID, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("series", sa.String(64), nullable=False),
        sa.Column("levels", JSONB, nullable=False),
        sa.Column("declaration_opens", sa.Date(), nullable=False),
        sa.Column("declaration_closes", sa.Date(), nullable=False),
        sa.Column("policy_pack", sa.String(64), nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("plan_id", name="pk_declaration_windows"),
        schema=SCHEMA,
    )
    op.create_index("ix_declaration_windows_committee_id", "declaration_windows", ["committee_id"], schema=SCHEMA)
    op.create_table(
        "integrity_bars",
        sa.Column("record_id", UUID, nullable=False),
        sa.Column("subject_key", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("record_id", name="pk_integrity_bars"),
        schema=SCHEMA,
    )
    op.create_index("ix_integrity_bars_subject_key", "integrity_bars", ["subject_key"], schema=SCHEMA)


def downgrade() -> None:
    for table in (
        "integrity_bars",
        "declaration_windows",
        "committee_scopes",
        "attachments",
        "idempotency_keys",
        "declaration_status_changes",
        "declarations",
    ):
        op.drop_table(table, schema=SCHEMA)
