"""Per-aggregate event order (issue 10 §1), inbox rows kept per producer (2026-12-02)."""

from zhicheng_common.migrations import event_order

revision = "committees_event_order"
down_revision = "committees_provisional_deadlines"
upgrade, downgrade = event_order("committees")
