"""Issued certificates, numbering, status history, status lists, holders, verifier lookups (issue 16).

Revision ID: certificates_certificates
Revises: certificates_event_order
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "certificates_certificates"
down_revision: str | None = "certificates_event_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = postgresql.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)
SCHEMA = "certificates"


def upgrade() -> None:
    op.create_table(
        "certificates",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("province", sa.String(2), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("licence_id", sa.String(96), nullable=False),
        sa.Column("status_list_index", sa.Integer(), nullable=False),
        sa.Column("holder_key", sa.String(64), nullable=False),
        sa.Column("holder_name_hash", sa.String(64), nullable=False),
        sa.Column("holder_name_sealed", sa.Text(), nullable=False),
        sa.Column("resident_id_masked", sa.String(32), nullable=False),
        sa.Column("document_sealed", sa.Text(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("sm2_key_id", sa.String(64), nullable=False),
        sa.Column("ed25519_key_id", sa.String(64), nullable=False),
        sa.Column("series", sa.String(64), nullable=False),
        sa.Column("specialty", sa.String(128), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("title_name", sa.String(64), nullable=False),
        sa.Column("committee_id", UUID, nullable=True),
        sa.Column("committee_name", sa.String(128), nullable=False),
        sa.Column("obtained_on", sa.Date(), nullable=False),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("basis", sa.String(32), nullable=False),
        sa.Column("declaration_id", UUID, nullable=True),
        sa.Column("confirmation_id", UUID, nullable=True),
        sa.Column("status", sa.String(16), server_default="valid", nullable=False),
        sa.Column("status_reason_category", sa.String(32), nullable=True),
        sa.Column("status_record_id", UUID, nullable=True),
        sa.Column("status_changed_at", TS, nullable=True),
        sa.Column("superseded_by", sa.String(20), nullable=True),
        sa.Column("supersedes", sa.String(20), nullable=True),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
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
    op.create_index(
        "ix_certificates_region",
        "certificates",
        ["region"],
        postgresql_ops={"region": "varchar_pattern_ops"},
        schema=SCHEMA,
    )
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
        sa.Column("province", sa.String(2), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("last_serial", sa.Integer(), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "status_changes",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("certificate_id", UUID, sa.ForeignKey("certificates.certificates.id"), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("reason_category", sa.String(32), nullable=True),
        sa.Column("reason_sealed", sa.Text(), nullable=True),
        sa.Column("record_id", UUID, nullable=True),
        sa.Column("actor", sa.String(128), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_status_changes_certificate_id", "status_changes", ["certificate_id"], schema=SCHEMA)
    op.create_table(
        "holders",
        sa.Column("declaration_id", UUID, primary_key=True),
        sa.Column("holder_key", sa.String(64), nullable=False),
        sa.Column("holder_sealed", sa.Text(), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("received_at", TS, server_default=sa.text("now()"), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "status_lists",
        sa.Column("purpose", sa.String(16), primary_key=True),
        sa.Column("bits", sa.LargeBinary(), server_default=sa.text("''::bytea"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("purpose IN ('revocation', 'suspension')", name=op.f("ck_status_lists_purpose")),
        schema=SCHEMA,
    )
    op.execute("INSERT INTO certificates.status_lists (purpose) VALUES ('revocation'), ('suspension')")
    # Status-list indices: given once each, never reused (a gap after a rollback costs one bit).
    op.execute("CREATE SEQUENCE certificates.status_list_index_seq MINVALUE 0 START 0")
    op.create_table(
        "verifier_lookups",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("certificate_id", UUID, sa.ForeignKey("certificates.certificates.id"), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("verifier_id", sa.String(128), nullable=False),
        sa.Column("verifier_name", sa.String(128), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_verifier_lookups_certificate_id", "verifier_lookups", ["certificate_id"], schema=SCHEMA)
    op.create_table(
        "anonymous_counts",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("method", sa.String(8), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in (
        "anonymous_counts",
        "verifier_lookups",
        "status_lists",
        "holders",
        "status_changes",
        "number_counters",
        "certificates",
    ):
        op.drop_table(table, schema=SCHEMA)
    op.execute("DROP SEQUENCE certificates.status_list_index_seq")
