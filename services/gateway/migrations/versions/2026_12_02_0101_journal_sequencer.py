"""The audit journal linked by a sequencer: id, format, the record's region (docs/journal.md, 2026-12-02)."""

from zhicheng_common.migrations import journal_sequencer

revision = "gateway_journal_sequencer"
down_revision = "gateway_0002"
upgrade, downgrade = journal_sequencer("gateway")
