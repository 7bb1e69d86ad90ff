"""The expert draw (issue 14): draws, their signatures, replacements and notifications.

Revision ID: experts_draws
Revises: experts_expert_pool
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from zhicheng_common.columns import day, integer, jsonb, long_text, string, timestamp, timestamp_now, uid
from zhicheng_common.constraints import region_format
from zhicheng_common.migrations import drop_tables

revision: str = "experts_draws"
down_revision: str | None = "experts_expert_pool"

SCHEMA = "experts"


def upgrade() -> None:
    op.create_table(
        "draws",
        uid("id", primary_key=True),
        uid("meeting_id"),
        uid("committee_id"),
        string("region", 6),
        string("policy_pack", 64),
        string("status", 16),
        jsonb("request"),
        long_text("reason", nullable=True),
        string("requested_by", 128),
        timestamp("requested_at"),
        day("frozen_on"),
        day("meeting_date"),
        integer("eligible_count"),
        integer("excluded_count"),
        jsonb("snapshot"),
        string("snapshot_sha256", 64),
        jsonb("audit"),
        string("audit_sha256", 64),
        string("commitment", 64),
        long_text("secret_token"),
        long_text("external_seed", nullable=True),
        string("drawn_by", 128, nullable=True),
        timestamp("drawn_at", nullable=True),
        jsonb("result", nullable=True),
        uid("voided_by", nullable=True),
        timestamp_now("created_at"),
        region_format("draws"),
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
        uid("id", primary_key=True),
        uid("draw_id", sa.ForeignKey(f"{SCHEMA}.draws.id")),
        string("signer_id", 128),
        string("role", 16),
        string("key_id", 128),
        long_text("public_key_pem"),
        string("signature", 128),
        timestamp("signed_at"),
        sa.UniqueConstraint("draw_id", "signer_id", name="uq_draw_signatures_draw_id"),
        schema=SCHEMA,
    )
    op.create_table(
        "draw_replacements",
        uid("id", primary_key=True),
        uid("draw_id", sa.ForeignKey(f"{SCHEMA}.draws.id")),
        integer("seq"),
        string("specialty", 128),
        string("replaced", 128),
        string("replacement", 128),
        string("reason", 16),
        long_text("note"),
        string("made_by", 128),
        timestamp("made_at"),
        sa.UniqueConstraint("draw_id", "seq", name="uq_draw_replacements_draw_id"),
        schema=SCHEMA,
    )
    op.create_table(
        "draw_notifications",
        uid("id", primary_key=True),
        uid("draw_id", sa.ForeignKey(f"{SCHEMA}.draws.id")),
        uid("meeting_id"),
        string("expert_id", 128),
        string("kind", 16),
        string("specialty", 128),
        day("meeting_date"),
        integer("attempts", server_default="0"),
        long_text("last_error", nullable=True),
        timestamp("sent_at", nullable=True),
        timestamp_now("created_at"),
        schema=SCHEMA,
    )
    op.create_index("ix_draw_notifications_pending", "draw_notifications", ["sent_at", "id"], schema=SCHEMA)


def downgrade() -> None:
    drop_tables(SCHEMA, "draw_notifications", "draw_replacements", "draw_signatures", "draws")
