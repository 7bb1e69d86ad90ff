"""Settings of the integrity service (environment prefix ``ZC_INTEGRITY_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from zhicheng_common.policy import available_packs
from zhicheng_common.settings import ServiceSettings

SERVICE = "integrity"
AREA = "integrity"
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class IntegritySettings(ServiceSettings):
    """What the integrity service reads from ``ZC_INTEGRITY_*``."""

    model_config = SettingsConfigDict(env_prefix="ZC_INTEGRITY_", extra="ignore")

    port: int = 8005
    # The policy pack whose numbers (record and bar years) new records follow; each record keeps
    # the id of the pack it was decided under.
    policy_pack: str = "shanxi-2024"
    # How often the scheduler looks for records whose validity has ended.
    expiry_interval_seconds: float = Field(default=60.0, gt=0)

    @field_validator("policy_pack")
    @classmethod
    def _known_pack(cls, value: str) -> str:
        if value not in available_packs():
            raise ValueError(f"unknown policy pack {value!r}; available: {', '.join(available_packs())}")
        return value
