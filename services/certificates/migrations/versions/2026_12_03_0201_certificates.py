"""Issued certificates, numbering, status history, status lists, holders, verifier lookups (issue 16).

Revision ID: certificates_certificates
Revises: certificates_event_order
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from zhicheng_common.columns import binary, day, integer, long_text, string, timestamp, timestamp_now, uid
from zhicheng_common.migrations import create_region_index, drop_tables

revision: str = "certificates_certificates"
down_revision: str | None = "certificates_event_order"

SCHEMA = "certificates"


def upgrade() -> None:
    op.create_table(
        "certificates",
        uid("id", primary_key=True),
        string("number", 20),
        string("province", 2),
        integer("year"),
        integer("serial"),
        string("licence_id", 96),
        integer("status_list_index"),
        string("holder_key", 64),
        string("holder_name_hash", 64),
        long_text("holder_name_sealed"),
        string("resident_id_masked", 32),
        long_text("document_sealed"),
        long_text("token"),
        string("sm2_key_id", 64),
        string("ed25519_key_id", 64),
        string("series", 64),
        string("specialty", 128),
        string("level", 32),
        string("title_name", 64),
        uid("committee_id", nullable=True),
        string("committee_name", 128),
        day("obtained_on"),
        timestamp("issued_at"),
        string("region", 6),
        string("basis", 32),
        uid("declaration_id", nullable=True),
        uid("confirmation_id", nullable=True),
        string("status", 16, server_default="valid"),
        string("status_reason_category", 32, nullable=True),
        uid("status_record_id", nullable=True),
        timestamp("status_changed_at", nullable=True),
        string("superseded_by", 20, nullable=True),
        string("supersedes", 20, nullable=True),
        string("created_by", 128),
        timestamp_now("created_at"),
        sa.CheckConstraint(
            "status IN ('valid', 'suspended', 'revoked', 'superseded')", name=op.f("ck_certificates_status")
        ),
        sa.CheckConstraint(
            "basis IN ('evaluation', 'initial_determination', 'qualification_correspondence', 'talent', 'transfer')",
            name=op.f("ck_certificates_basis"),
        ),
        sa.CheckConstraint("region ~ '^[0-9]{6}$'", name=op.f("ck_certificates_region_format")),
        schema=SCHEMA,
    )
    op.create_index("ix_certificates_number", "certificates", ["number"], unique=True, schema=SCHEMA)
    op.create_index(
        "ix_certificates_serial", "certificates", ["province", "year", "serial"], unique=True, schema=SCHEMA
    )
    op.create_index(
        "ix_certificates_status_list_index", "certificates", ["status_list_index"], unique=True, schema=SCHEMA
    )
    op.create_index("ix_certificates_holder_key", "certificates", ["holder_key"], schema=SCHEMA)
    create_region_index("certificates", schema=SCHEMA)
    op.create_index(
        "ix_certificates_declaration_id",
        "certificates",
        ["declaration_id"],
        unique=True,
        postgresql_where=sa.text("declaration_id IS NOT NULL"),
        schema=SCHEMA,
    )
    op.create_table(
        "number_counters",
        string("province", 2, primary_key=True),
        integer("year", primary_key=True),
        integer("last_serial"),
        schema=SCHEMA,
    )
    op.create_table(
        "status_changes",
        uid("id", primary_key=True),
        uid("certificate_id", sa.ForeignKey("certificates.certificates.id")),
        timestamp("at"),
        string("action", 16),
        string("from_status", 16, nullable=True),
        string("to_status", 16),
        string("reason_category", 32, nullable=True),
        long_text("reason_sealed", nullable=True),
        uid("record_id", nullable=True),
        string("actor", 128),
        schema=SCHEMA,
    )
    op.create_index("ix_status_changes_certificate_id", "status_changes", ["certificate_id"], schema=SCHEMA)
    op.create_table(
        "holders",
        uid("declaration_id", primary_key=True),
        string("holder_key", 64),
        long_text("holder_sealed"),
        string("region", 6),
        timestamp_now("received_at"),
        schema=SCHEMA,
    )
    op.create_table(
        "status_lists",
        string("purpose", 16, primary_key=True),
        binary("bits", server_default=sa.text("''::bytea")),
        integer("version", server_default="0"),
        timestamp_now("updated_at"),
        sa.CheckConstraint("purpose IN ('revocation', 'suspension')", name=op.f("ck_status_lists_purpose")),
        schema=SCHEMA,
    )
    op.execute("INSERT INTO certificates.status_lists (purpose) VALUES ('revocation'), ('suspension')")
    # Status-list indices: given once each, never reused (a gap after a rollback costs one bit).
    op.execute("CREATE SEQUENCE certificates.status_list_index_seq MINVALUE 0 START 0")
    op.create_table(
        "verifier_lookups",
        uid("id", primary_key=True),
        uid("certificate_id", sa.ForeignKey("certificates.certificates.id")),
        timestamp("at"),
        string("verifier_id", 128),
        string("verifier_name", 128),
        string("method", 8),
        schema=SCHEMA,
    )
    op.create_index("ix_verifier_lookups_certificate_id", "verifier_lookups", ["certificate_id"], schema=SCHEMA)
    op.create_table(
        "anonymous_counts",
        day("day", primary_key=True),
        string("method", 8, primary_key=True),
        integer("count"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    drop_tables(
        SCHEMA,
        "anonymous_counts",
        "verifier_lookups",
        "status_lists",
        "holders",
        "status_changes",
        "number_counters",
        "certificates",
    )
    op.execute("DROP SEQUENCE certificates.status_list_index_seq")
