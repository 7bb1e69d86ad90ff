"""Per-aggregate order of events (issue 10 §1): outbox_versions, inbox_versions, and the inbox
rows of the former per-type durables copied under the durable per producer.

Revision ID: gateway_event_order
Revises: gateway_0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from zhicheng_common.migrations import create_event_order_tables, drop_event_order_tables

revision: str = "gateway_event_order"
down_revision: str | None = "gateway_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "gateway"


def upgrade() -> None:
    create_event_order_tables(SCHEMA, service=SCHEMA)


def downgrade() -> None:
    drop_event_order_tables(SCHEMA)
