"""Settings of the experts service (environment prefix ``ZC_EXPERTS_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from zhicheng_common.policy import available_packs
from zhicheng_common.settings import ServiceSettings

SERVICE = "experts"
AREA = "experts"
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class ExpertsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZC_EXPERTS_", extra="ignore")

    port: int = 8003
    # The pack whose numbers (term years, EX-3) checks an expert's terms; pool filings follow the
    # pack their committee runs under.
    policy_pack: str = "shanxi-2024"
    # How often the scheduler looks for pool filings past their last day (EX-3).
    filing_expiry_interval_seconds: float = Field(default=300.0, gt=0)

    @field_validator("policy_pack")
    @classmethod
    def _known_pack(cls, value: str) -> str:
        if value not in available_packs():
            raise ValueError(f"unknown policy pack {value!r}; available: {', '.join(available_packs())}")
        return value
