"""Reviews keep the keyed hash of the applicant's unit credit code (from intake), and pass it on in
``review.declaration.qualified``: the experts service recuses experts of that unit (NA-9).

Revision ID: review_unit_key
Revises: review_publicity_policy_pack
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "review_unit_key"
down_revision: str | None = "review_publicity_policy_pack"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "review"


def upgrade() -> None:
    op.add_column(
        "reviews", sa.Column("unit_key", sa.String(length=64), server_default="", nullable=False), schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_column("reviews", "unit_key", schema=SCHEMA)
