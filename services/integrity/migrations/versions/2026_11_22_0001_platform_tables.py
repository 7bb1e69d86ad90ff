"""Platform tables of the integrity service: outbox, inbox, audit journal (2026-11-22)."""

from zhicheng_common.migrations import platform_tables

revision = "integrity_0001"
down_revision = None
upgrade, downgrade = platform_tables("integrity")
