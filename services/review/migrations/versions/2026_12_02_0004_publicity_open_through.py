"""RV-6, NA-14: a publicity's stored day is its last open day, so the column says so.

The value kept in ``closes_on`` was always the N-th working day after the opening; it is the last
day objections are accepted, and the publicity closes at the earliest on the day after. Renaming
keeps every stored value (no data changes): only its reading changed.
"""

from alembic import op

revision: str = "review_publicity_open_through"
down_revision: str | None = "review_event_order"

SCHEMA = "review"


def upgrade() -> None:
    op.alter_column("publicities", "closes_on", new_column_name="open_through", schema=SCHEMA)
    op.alter_column("publicities", "closes_on_provisional", new_column_name="open_through_provisional", schema=SCHEMA)


def downgrade() -> None:
    op.alter_column("publicities", "open_through_provisional", new_column_name="closes_on_provisional", schema=SCHEMA)
    op.alter_column("publicities", "open_through", new_column_name="closes_on", schema=SCHEMA)
