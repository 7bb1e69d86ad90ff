"""The audit journal linked by a sequencer: id, format, the record's region (docs/journal.md).

Revision ID: gateway_journal_sequencer
Revises: gateway_0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from zhicheng_common.migrations import journal_sequencer_downgrade, journal_sequencer_upgrade

revision: str = "gateway_journal_sequencer"
down_revision: str | None = "gateway_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "gateway"


def upgrade() -> None:
    journal_sequencer_upgrade(SCHEMA)


def downgrade() -> None:
    journal_sequencer_downgrade(SCHEMA)
