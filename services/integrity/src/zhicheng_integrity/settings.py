"""Settings of the integrity service (environment prefix ``ZC_INTEGRITY_``)."""

from __future__ import annotations

from pydantic import Field, field_validator

from zhicheng_common.policy import available_packs
from zhicheng_common.settings import ServiceSettings, migrations_dir

SERVICE, AREA, MIGRATIONS_DIR = "integrity", "integrity", migrations_dir(__file__)


class IntegritySettings(ServiceSettings, service=SERVICE):
    """What the integrity service reads from ``ZC_INTEGRITY_*``."""

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
