"""Settings of the integrity service (environment prefix ``ZC_INTEGRITY_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from zhicheng_common.settings import ServiceSettings

SERVICE = "integrity"
AREA = "integrity"
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class IntegritySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZC_INTEGRITY_", extra="ignore")

    port: int = 8005
