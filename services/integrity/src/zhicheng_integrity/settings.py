"""Settings of the integrity service (environment prefix ``ZC_INTEGRITY_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from zhicheng_common.settings import ServiceSettings

SERVICE = "integrity"
AREA = "integrity"
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class IntegritySettings(ServiceSettings):
    """What the integrity service reads from ``ZC_INTEGRITY_*``."""

    model_config = SettingsConfigDict(env_prefix="ZC_INTEGRITY_", extra="ignore")

    port: int = 8005
    # How often the scheduler looks for records whose validity has ended.
    expiry_interval_seconds: float = Field(default=60.0, gt=0)
