"""Settings of the experts service (environment prefix ``ZC_EXPERTS_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from zhicheng_common.settings import ServiceSettings

SERVICE = "experts"
AREA = "experts"
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class ExpertsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZC_EXPERTS_", extra="ignore")

    port: int = 8003
    # How often the scheduler looks for pool filings past their last day (EX-3).
    filing_expiry_interval_seconds: float = Field(default=300.0, gt=0)
