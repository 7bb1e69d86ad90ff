"""Titles held by certificate, projected from certificates' events (issue 16).

Revision ID: intake_titles_held
Revises: intake_attachment_contents
Create Date: 2026-12-03
"""

from alembic import op

from zhicheng_common.columns import day, string, timestamp_now

revision: str = "intake_titles_held"
down_revision: str | None = "intake_attachment_contents"

SCHEMA = "intake"


def upgrade() -> None:
    op.create_table(
        "titles_held",
        string("certificate_number", 20, primary_key=True),
        string("holder_key", 64),
        string("series", 64),
        string("level", 32),
        string("title_name", 64),
        day("obtained_on"),
        string("region", 6),
        string("status", 16),
        timestamp_now("updated_at"),
        schema=SCHEMA,
    )
    op.create_index("ix_titles_held_holder_key", "titles_held", ["holder_key"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("titles_held", schema=SCHEMA)
