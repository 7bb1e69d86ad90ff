"""Platform tables of the gateway service: outbox, inbox, audit journal.

Revision ID: gateway_0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from zhicheng_common.migrations import create_platform_tables, drop_platform_tables

revision: str = "gateway_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "gateway"


def upgrade() -> None:
    create_platform_tables(SCHEMA)


def downgrade() -> None:
    drop_platform_tables(SCHEMA)
