"""Titles held by certificate, projected from certificates' events (issue 16).

Revision ID: intake_titles_held
Revises: intake_attachment_contents
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "intake_titles_held"
down_revision: str | None = "intake_attachment_contents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "intake"


def upgrade() -> None:
    op.create_table(
        "titles_held",
        sa.Column("certificate_number", sa.String(20), primary_key=True),
        sa.Column("holder_key", sa.String(64), nullable=False),
        sa.Column("series", sa.String(64), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("title_name", sa.String(64), nullable=False),
        sa.Column("obtained_on", sa.Date(), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_titles_held_holder_key", "titles_held", ["holder_key"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("titles_held", schema=SCHEMA)
