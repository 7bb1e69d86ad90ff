"""Settings of the committees service (environment prefix ``ZC_COMMITTEES_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from zhicheng_common.settings import ServiceSettings

SERVICE = "committees"
AREA = "committees"
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class CommitteesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZC_COMMITTEES_", extra="ignore")

    port: int = 8004
    expiry_interval_seconds: float = 60.0
