"""Integrity records, appeals and the history of every record; deletes refused."""

import sqlalchemy as sa
from alembic import op

from zhicheng_common.columns import day, jsonb, long_text, string, timestamp, timestamp_now, uid
from zhicheng_common.constraints import primary_key, region_format
from zhicheng_common.migrations import create_region_index, drop_tables

revision: str = "integrity_0002"
down_revision: str | None = "integrity_0001"

SCHEMA = "integrity"
EMPTY_LIST = sa.text("'[]'::jsonb")
HISTORY_TABLES = ("records", "appeals", "record_changes")


def upgrade() -> None:
    op.create_table(
        "records",
        uid("id"),
        string("subject_kind", 8),
        string("subject_key", 64),
        long_text("subject_id_encrypted", nullable=True),
        string("subject_id_masked", 32, nullable=True),
        string("subject_name", 128, nullable=True),
        string("kind", 32),
        long_text("facts"),
        jsonb("evidence", server_default=EMPTY_LIST),
        string("deciding_authority", 128, nullable=True),
        day("decision_date", nullable=True),
        jsonb("effects"),
        uid("committee_id", nullable=True),
        day("valid_from", nullable=True),
        day("valid_until", nullable=True),
        string("region", 6),
        string("status", 16),
        string("source", 8),
        string("source_event_id", 64, nullable=True),
        uid("declaration_id", nullable=True),
        jsonb("rule_ids"),
        string("policy_pack", 64),
        uid("supersedes_id", nullable=True),
        uid("superseded_by_id", nullable=True),
        string("created_by", 128),
        timestamp_now("created_at"),
        timestamp_now("updated_at"),
        timestamp("expired_at", nullable=True),
        timestamp("withdrawn_at", nullable=True),
        primary_key("records"),
        sa.ForeignKeyConstraint(["supersedes_id"], [f"{SCHEMA}.records.id"], name="fk_records_supersedes_id_records"),
        sa.CheckConstraint("subject_kind IN ('person', 'unit')", name="ck_records_subject_kind"),
        sa.CheckConstraint(
            "status IN ('proposed', 'decided', 'under_appeal', 'expired', 'withdrawn', 'superseded')",
            name="ck_records_status",
        ),
        sa.CheckConstraint("source IN ('manual', 'event')", name="ck_records_source"),
        region_format("records"),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from", name="ck_records_validity"
        ),
        sa.CheckConstraint(
            "status = 'proposed' OR (valid_from IS NOT NULL AND valid_until IS NOT NULL)", name="ck_records_dated"
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_records_subject_key", "records", ["subject_key"], schema=SCHEMA)
    create_region_index("records", schema=SCHEMA)
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
        uid("id"),
        uid("record_id"),
        string("status", 16),
        long_text("grounds"),
        jsonb("evidence", server_default=EMPTY_LIST),
        string("filed_as", 8),
        string("filed_by", 128),
        timestamp_now("filed_at"),
        string("decided_by", 128, nullable=True),
        timestamp("decided_at", nullable=True),
        long_text("decision_reason", nullable=True),
        uid("replacement_record_id", nullable=True),
        primary_key("appeals"),
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
        uid("id"),
        uid("record_id"),
        timestamp("at"),
        string("actor", 128),
        string("action", 32),
        string("from_status", 16, nullable=True),
        string("to_status", 16),
        long_text("reason", nullable=True),
        jsonb("data", server_default=sa.text("'{}'::jsonb")),
        primary_key("record_changes"),
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
    drop_tables(SCHEMA, "record_changes", "appeals", "records")
