"""Review chains, step visits, signed decisions, publicities, objections, re-examinations."""

import sqlalchemy as sa
from alembic import op

from zhicheng_common.columns import day, integer, jsonb, long_text, string, timestamp, timestamp_now, uid
from zhicheng_common.migrations import drop_tables

revision: str = "review_0002"
down_revision: str | None = "review_0001"

SCHEMA = "review"
TABLES = ("reexaminations", "objections", "decisions", "step_visits", "publicities", "reviews")


def upgrade() -> None:
    op.create_table(
        "publicities",
        uid("id"),
        string("step_key", 64),
        string("region", 6),
        string("title", 256),
        string("token", 64),
        day("opened_on"),
        day("closes_on"),
        string("status", 16),
        string("opened_by", 128),
        timestamp("closed_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publicities")),
        sa.UniqueConstraint("token", name=op.f("uq_publicities_token")),
        schema="review",
    )
    op.create_table(
        "reviews",
        uid("id"),
        uid("declaration_id"),
        string("applicant_key", 128),
        string("applicant_name", 128),
        integer("year"),
        string("series", 64),
        string("specialty", 128),
        string("level", 32),
        string("rank", 64),
        uid("committee_id", nullable=True),
        string("kind", 64),
        string("channel", 64),
        string("employer_name", 256),
        string("region", 6),
        string("policy_pack", 64),
        string("chain_id", 64),
        string("status", 32),
        integer("step_index"),
        string("step_key", 64),
        day("step_since"),
        day("step_due", nullable=True),
        string("claimed_by", 128, nullable=True),
        timestamp("claimed_at", nullable=True),
        uid("publicity_id", nullable=True),
        integer("returned_step_index", nullable=True),
        day("correction_deadline", nullable=True),
        timestamp_now("created_at"),
        timestamp_now("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("declaration_id", name=op.f("uq_reviews_declaration_id")),
        schema="review",
    )
    op.create_index(
        "ix_reviews_region",
        "reviews",
        ["region"],
        unique=False,
        schema="review",
        postgresql_ops={"region": "varchar_pattern_ops"},
    )
    op.create_index("ix_reviews_queue", "reviews", ["status", "step_key", "step_since"], unique=False, schema="review")
    op.create_table(
        "decisions",
        uid("id"),
        uid("review_id"),
        uid("declaration_id"),
        string("step_key", 64),
        string("outcome", 32),
        long_text("opinion"),
        jsonb("items"),
        string("signer_subject", 128),
        string("signer_role", 64),
        string("signer_unit", 256),
        timestamp("decided_at"),
        string("key_id", 64),
        string("signature", 128),
        sa.ForeignKeyConstraint(
            ["review_id"], ["review.reviews.id"], name=op.f("fk_decisions_review_id_reviews"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        schema="review",
    )
    op.create_index(op.f("ix_decisions_review_id"), "decisions", ["review_id"], unique=False, schema="review")
    op.create_table(
        "objections",
        uid("id"),
        uid("publicity_id"),
        uid("review_id"),
        long_text("content"),
        long_text("contact_name_enc"),
        long_text("contact_phone_enc"),
        timestamp("filed_at"),
        string("status", 16),
        long_text("resolution", nullable=True),
        string("resolved_by", 128, nullable=True),
        timestamp("resolved_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["publicity_id"],
            ["review.publicities.id"],
            name=op.f("fk_objections_publicity_id_publicities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["review.reviews.id"], name=op.f("fk_objections_review_id_reviews"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
        schema="review",
    )
    op.create_index(op.f("ix_objections_publicity_id"), "objections", ["publicity_id"], unique=False, schema="review")
    op.create_table(
        "step_visits",
        uid("id"),
        uid("review_id"),
        string("step_key", 64),
        string("region", 6),
        day("arrived_on"),
        day("due_on", nullable=True),
        day("left_on", nullable=True),
        string("outcome", 32, nullable=True),
        sa.ForeignKeyConstraint(
            ["review_id"], ["review.reviews.id"], name=op.f("fk_step_visits_review_id_reviews"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_step_visits")),
        schema="review",
    )
    op.create_index("ix_step_visits_step", "step_visits", ["step_key", "left_on"], unique=False, schema="review")
    op.create_index(op.f("ix_step_visits_review_id"), "step_visits", ["review_id"], unique=False, schema="review")
    op.create_table(
        "reexaminations",
        uid("id"),
        uid("review_id"),
        uid("decision_id", nullable=True),
        string("requested_by", 128),
        long_text("reason"),
        timestamp("requested_at"),
        string("status", 16),
        string("assignee", 128, nullable=True),
        string("outcome", 16, nullable=True),
        long_text("outcome_text", nullable=True),
        string("decided_by", 128, nullable=True),
        timestamp("decided_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["review.decisions.id"], name=op.f("fk_reexaminations_decision_id_decisions")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["review.reviews.id"], name=op.f("fk_reexaminations_review_id_reviews"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reexaminations")),
        schema="review",
    )
    op.create_index(op.f("ix_reexaminations_review_id"), "reexaminations", ["review_id"], unique=False, schema="review")


def downgrade() -> None:
    drop_tables(SCHEMA, *TABLES)
