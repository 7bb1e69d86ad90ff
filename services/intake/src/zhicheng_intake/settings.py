"""Settings of the intake service (environment prefix ``ZC_INTAKE_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from zhicheng_common.settings import ServiceSettings

SERVICE = "intake"
AREA = "declarations"
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZC_INTAKE_", extra="ignore")

    port: int = 8001
