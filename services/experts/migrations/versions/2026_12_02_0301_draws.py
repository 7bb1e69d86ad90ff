"""The expert draw (issue 14): draws, their signatures, replacements and notifications.

Revision ID: experts_draws
Revises: experts_expert_pool
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "experts_draws"
down_revision: str | None = "experts_expert_pool"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "experts"


def upgrade() -> None:
    op.create_table(
        "draws",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("meeting_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("committee_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("policy_pack", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("request", postgresql.JSONB(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("frozen_on", sa.Date(), nullable=False),
        sa.Column("meeting_date", sa.Date(), nullable=False),
        sa.Column("eligible_count", sa.Integer(), nullable=False),
        sa.Column("excluded_count", sa.Integer(), nullable=False),
        sa.Column("snapshot", postgresql.JSONB(), nullable=False),
        sa.Column("snapshot_sha256", sa.String(64), nullable=False),
        sa.Column("audit", postgresql.JSONB(), nullable=False),
        sa.Column("audit_sha256", sa.String(64), nullable=False),
        sa.Column("commitment", sa.String(64), nullable=False),
        sa.Column("secret_token", sa.Text(), nullable=False),
        sa.Column("external_seed", sa.Text(), nullable=True),
        sa.Column("drawn_by", sa.String(128), nullable=True),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", postgresql.JSONB(), nullable=True),
        sa.Column("voided_by", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("region ~ '^[0-9]{6}$'", name="ck_draws_region_format"),
        sa.CheckConstraint("status IN ('committed', 'drawn', 'signed', 'voided')", name="ck_draws_status_known"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_draws_meeting_live",
        "draws",
        ["meeting_id"],
        unique=True,
        postgresql_where=sa.text("status <> 'voided'"),
        schema=SCHEMA,
    )
    op.create_index("ix_draws_meeting_id", "draws", ["meeting_id"], schema=SCHEMA)
    op.create_table(
        "draw_signatures",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("draw_id", postgresql.UUID(as_uuid=True), sa.ForeignKey(f"{SCHEMA}.draws.id"), nullable=False),
        sa.Column("signer_id", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("key_id", sa.String(128), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("draw_id", "signer_id", name="uq_draw_signatures_draw_id"),
        schema=SCHEMA,
    )
    op.create_table(
        "draw_replacements",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("draw_id", postgresql.UUID(as_uuid=True), sa.ForeignKey(f"{SCHEMA}.draws.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("specialty", sa.String(128), nullable=False),
        sa.Column("replaced", sa.String(128), nullable=False),
        sa.Column("replacement", sa.String(128), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("made_by", sa.String(128), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("draw_id", "seq", name="uq_draw_replacements_draw_id"),
        schema=SCHEMA,
    )
    op.create_table(
        "draw_notifications",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("draw_id", postgresql.UUID(as_uuid=True), sa.ForeignKey(f"{SCHEMA}.draws.id"), nullable=False),
        sa.Column("meeting_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("expert_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("specialty", sa.String(128), nullable=False),
        sa.Column("meeting_date", sa.Date(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_draw_notifications_pending", "draw_notifications", ["sent_at", "id"], schema=SCHEMA)


def downgrade() -> None:
    for table in ("draw_notifications", "draw_replacements", "draw_signatures", "draws"):
        op.drop_table(table, schema=SCHEMA)
