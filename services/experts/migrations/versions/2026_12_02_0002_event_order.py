"""Per-aggregate event order (issue 10 §1), inbox rows kept per producer (2026-12-02)."""

from zhicheng_common.migrations import event_order

revision = "experts_event_order"
down_revision = "experts_journal_sequencer"
upgrade, downgrade = event_order("experts")
