"""Issue 12: a publicity keeps the policy pack of its batch (its publicity_working_days apply).

Existing publicities take the pack of their reviews (every review keeps the pack it was judged
by); the review service no longer has a service-wide pack to fall back to.
"""

from alembic import op

from zhicheng_common.columns import string

revision: str = "review_publicity_policy_pack"
down_revision: str | None = "review_publicity_open_through"

SCHEMA = "review"


def upgrade() -> None:
    op.add_column("publicities", string("policy_pack", 64, nullable=True), schema=SCHEMA)
    op.execute(
        "UPDATE review.publicities AS p SET policy_pack = "
        "(SELECT r.policy_pack FROM review.reviews AS r WHERE r.publicity_id = p.id ORDER BY r.id LIMIT 1)"
    )
    # A publicity without a review in it (none is made so) keeps an empty id: acting on it answers
    # 422 unknown_policy_pack instead of guessing a pack.
    op.execute("UPDATE review.publicities SET policy_pack = '' WHERE policy_pack IS NULL")
    op.alter_column("publicities", "policy_pack", nullable=False, schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("publicities", "policy_pack", schema=SCHEMA)
