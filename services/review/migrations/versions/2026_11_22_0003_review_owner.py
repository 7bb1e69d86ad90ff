"""Who declared: the account that may ask for re-examination (NA-12).

Revision ID: review_0003
Revises: review_0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "review_0003"
down_revision: str | None = "review_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "review"


def upgrade() -> None:
    # Reviews started before intake published the owner keep "": nobody may ask for their
    # re-examination through the API (a clerk records such a request on paper, as today).
    op.add_column(
        "reviews",
        sa.Column("owner_subject", sa.String(length=128), server_default="", nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_column("reviews", "owner_subject", schema=SCHEMA)
