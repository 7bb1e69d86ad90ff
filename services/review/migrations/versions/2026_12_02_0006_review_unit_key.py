"""Issue 12 (jurisdiction beyond the region): a review keeps the keyed hash of its declaration's unit.

A unit reviewer then sees and acts on the declarations of the unit it is bound to only. Reviews
started before intake carried the hash keep NULL: a bound unit reviewer does not reach them (the
region-wide reviewers still do), rather than every unit's reviewer reaching them.
"""

from alembic import op

from zhicheng_common.columns import string

revision: str = "review_unit_key"
down_revision: str | None = "review_publicity_policy_pack"

SCHEMA = "review"


def upgrade() -> None:
    op.add_column("reviews", string("unit_key", 64, nullable=True), schema=SCHEMA)
    op.create_index("ix_reviews_unit_key", "reviews", ["unit_key"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("ix_reviews_unit_key", "reviews", schema=SCHEMA)
    op.drop_column("reviews", "unit_key", schema=SCHEMA)
