"""Review chains, step visits, signed decisions, publicities, objections, re-examinations."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "review_0002"
down_revision: str | None = "review_0001"

SCHEMA = "review"
TABLES = ("reexaminations", "objections", "decisions", "step_visits", "publicities", "reviews")


def upgrade() -> None:
    op.create_table(
        "publicities",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("step_key", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_by", sa.String(length=128), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publicities")),
        sa.UniqueConstraint("token", name=op.f("uq_publicities_token")),
        schema="review",
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("declaration_id", sa.UUID(), nullable=False),
        sa.Column("applicant_key", sa.String(length=128), nullable=False),
        sa.Column("applicant_name", sa.String(length=128), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("series", sa.String(length=64), nullable=False),
        sa.Column("specialty", sa.String(length=128), nullable=False),
        sa.Column("level", sa.String(length=32), nullable=False),
        sa.Column("rank", sa.String(length=64), nullable=False),
        sa.Column("committee_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("employer_name", sa.String(length=256), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("policy_pack", sa.String(length=64), nullable=False),
        sa.Column("chain_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("step_key", sa.String(length=64), nullable=False),
        sa.Column("step_since", sa.Date(), nullable=False),
        sa.Column("step_due", sa.Date(), nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("publicity_id", sa.UUID(), nullable=True),
        sa.Column("returned_step_index", sa.Integer(), nullable=True),
        sa.Column("correction_deadline", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
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
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("review_id", sa.UUID(), nullable=False),
        sa.Column("declaration_id", sa.UUID(), nullable=False),
        sa.Column("step_key", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("opinion", sa.Text(), nullable=False),
        sa.Column("items", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("signer_subject", sa.String(length=128), nullable=False),
        sa.Column("signer_role", sa.String(length=64), nullable=False),
        sa.Column("signer_unit", sa.String(length=256), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"], ["review.reviews.id"], name=op.f("fk_decisions_review_id_reviews"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        schema="review",
    )
    op.create_index(op.f("ix_decisions_review_id"), "decisions", ["review_id"], unique=False, schema="review")
    op.create_table(
        "objections",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("publicity_id", sa.UUID(), nullable=False),
        sa.Column("review_id", sa.UUID(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("contact_name_enc", sa.Text(), nullable=False),
        sa.Column("contact_phone_enc", sa.Text(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.String(length=128), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("review_id", sa.UUID(), nullable=False),
        sa.Column("step_key", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("arrived_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
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
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("review_id", sa.UUID(), nullable=False),
        sa.Column("decision_id", sa.UUID(), nullable=True),
        sa.Column("requested_by", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee", sa.String(length=128), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("outcome_text", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
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
    for table in TABLES:
        op.drop_table(table, schema=SCHEMA)
