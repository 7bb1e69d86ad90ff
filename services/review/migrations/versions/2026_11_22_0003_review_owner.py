"""Who declared: the account that may ask for re-examination (NA-12)."""

from alembic import op

from zhicheng_common.columns import string

revision: str = "review_0003"
down_revision: str | None = "review_0002"

SCHEMA = "review"


def upgrade() -> None:
    # Reviews started before intake published the owner keep "": nobody may ask for their
    # re-examination through the API (a clerk records such a request on paper, as today).
    op.add_column("reviews", string("owner_subject", 128, server_default=""), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("reviews", "owner_subject", schema=SCHEMA)
