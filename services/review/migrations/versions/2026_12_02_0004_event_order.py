"""Per-aggregate event order (issue 10 §1), inbox rows kept per producer (2026-12-02)."""

from zhicheng_common.migrations import event_order

revision = "review_event_order"
down_revision = "review_0004"
upgrade, downgrade = event_order("review")
