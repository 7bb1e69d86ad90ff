"""Platform tables of the review service: outbox, inbox, audit journal (2026-11-22)."""

from zhicheng_common.migrations import platform_tables

revision = "review_0001"
down_revision = None
upgrade, downgrade = platform_tables("review")
