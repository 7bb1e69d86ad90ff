"""Settings of the experts service (environment prefix ``ZC_EXPERTS_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from zhicheng_common.settings import ServiceSettings

SERVICE = "experts"
AREA = "experts"
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class ExpertsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZC_EXPERTS_", extra="ignore")

    port: int = 8003
