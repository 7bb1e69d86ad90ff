"""Integrity records, appeals and the history of every record; deletes refused."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "integrity_0002"
down_revision: str | None = "integrity_0001"

SCHEMA = "integrity"
UUID = postgresql.UUID(as_uuid=True)
TZ = sa.DateTime(timezone=True)
EMPTY_LIST = sa.text("'[]'::jsonb")
HISTORY_TABLES = ("records", "appeals", "record_changes")


def upgrade() -> None:
    op.create_table(
        "records",
        sa.Column("id", UUID, nullable=False),
        sa.Column("subject_kind", sa.String(8), nullable=False),
        sa.Column("subject_key", sa.String(64), nullable=False),
        sa.Column("subject_id_encrypted", sa.Text(), nullable=True),
        sa.Column("subject_id_masked", sa.String(32), nullable=True),
        sa.Column("subject_name", sa.String(128), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("evidence", postgresql.JSONB(), server_default=EMPTY_LIST, nullable=False),
        sa.Column("deciding_authority", sa.String(128), nullable=True),
        sa.Column("decision_date", sa.Date(), nullable=True),
        sa.Column("effects", postgresql.JSONB(), nullable=False),
        sa.Column("committee_id", UUID, nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("source_event_id", sa.String(64), nullable=True),
        sa.Column("declaration_id", UUID, nullable=True),
        sa.Column("rule_ids", postgresql.JSONB(), nullable=False),
        sa.Column("policy_pack", sa.String(64), nullable=False),
        sa.Column("supersedes_id", UUID, nullable=True),
        sa.Column("superseded_by_id", UUID, nullable=True),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", TZ, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", TZ, server_default=sa.func.now(), nullable=False),
        sa.Column("expired_at", TZ, nullable=True),
        sa.Column("withdrawn_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_records"),
        sa.ForeignKeyConstraint(["supersedes_id"], [f"{SCHEMA}.records.id"], name="fk_records_supersedes_id_records"),
        sa.CheckConstraint("subject_kind IN ('person', 'unit')", name="ck_records_subject_kind"),
        sa.CheckConstraint(
            "status IN ('proposed', 'decided', 'under_appeal', 'expired', 'withdrawn', 'superseded')",
            name="ck_records_status",
        ),
        sa.CheckConstraint("source IN ('manual', 'event')", name="ck_records_source"),
        sa.CheckConstraint("region ~ '^[0-9]{6}$'", name="ck_records_region_format"),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from", name="ck_records_validity"
        ),
        sa.CheckConstraint(
            "status = 'proposed' OR (valid_from IS NOT NULL AND valid_until IS NOT NULL)", name="ck_records_dated"
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_records_subject_key", "records", ["subject_key"], schema=SCHEMA)
    op.create_index(
        "ix_records_region", "records", ["region"], schema=SCHEMA, postgresql_ops={"region": "varchar_pattern_ops"}
    )
    op.create_index(
        "ix_records_active_valid_until",
        "records",
        ["valid_until"],
        schema=SCHEMA,
        postgresql_where=sa.text("status IN ('decided', 'under_appeal')"),
    )
    op.create_index("ix_records_source_event_id", "records", ["source_event_id"], unique=True, schema=SCHEMA)

    op.create_table(
        "appeals",
        sa.Column("id", UUID, nullable=False),
        sa.Column("record_id", UUID, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("evidence", postgresql.JSONB(), server_default=EMPTY_LIST, nullable=False),
        sa.Column("filed_as", sa.String(8), nullable=False),
        sa.Column("filed_by", sa.String(128), nullable=False),
        sa.Column("filed_at", TZ, server_default=sa.func.now(), nullable=False),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("decided_at", TZ, nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("replacement_record_id", UUID, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_appeals"),
        sa.ForeignKeyConstraint(["record_id"], [f"{SCHEMA}.records.id"], name="fk_appeals_record_id_records"),
        sa.CheckConstraint("status IN ('open', 'upheld', 'changed', 'withdrawn', 'lapsed')", name="ck_appeals_status"),
        sa.CheckConstraint("filed_as IN ('subject', 'staff')", name="ck_appeals_filed_as"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_appeals_one_open_per_record",
        "appeals",
        ["record_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index("ix_appeals_record_id", "appeals", ["record_id"], schema=SCHEMA)

    op.create_table(
        "record_changes",
        sa.Column("id", UUID, nullable=False),
        sa.Column("record_id", UUID, nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("data", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_record_changes"),
        sa.ForeignKeyConstraint(["record_id"], [f"{SCHEMA}.records.id"], name="fk_record_changes_record_id_records"),
        schema=SCHEMA,
    )
    op.create_index("ix_record_changes_record_id", "record_changes", ["record_id"], schema=SCHEMA)

    # History is superseded, never deleted: refuse DELETE (and TRUNCATE) on the history tables.
    op.execute(
        f"""
        CREATE FUNCTION {SCHEMA}.refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'integrity history is never deleted (table %)', TG_TABLE_NAME;
        END $$
        """
    )
    for table in HISTORY_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {SCHEMA}.{table} "
            f"FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.refuse_delete()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {SCHEMA}.{table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.refuse_delete()"
        )


def downgrade() -> None:
    for table in reversed(HISTORY_TABLES):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {SCHEMA}.{table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete ON {SCHEMA}.{table}")
    op.execute(f"DROP FUNCTION IF EXISTS {SCHEMA}.refuse_delete()")
    op.drop_table("record_changes", schema=SCHEMA)
    op.drop_table("appeals", schema=SCHEMA)
    op.drop_table("records", schema=SCHEMA)
