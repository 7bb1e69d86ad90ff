"""The audit journal linked by a sequencer: id, format, the record's region (docs/journal.md, 2026-12-02)."""

from zhicheng_common.migrations import journal_sequencer

revision = "committees_journal_sequencer"
down_revision = "committees_0003"
upgrade, downgrade = journal_sequencer("committees")
