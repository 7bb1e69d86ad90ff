"""Settings of the integrity service (environment prefix ``ZC_INTEGRITY_``)."""

from __future__ import annotations

from pydantic import Field

from zhicheng_common.settings import ServiceSettings, migrations_dir

SERVICE, AREA, MIGRATIONS_DIR = "integrity", "integrity", migrations_dir(__file__)


class IntegritySettings(ServiceSettings, service=SERVICE):
    """What the integrity service reads from ``ZC_INTEGRITY_*``."""

    # How often the scheduler looks for records whose validity has ended.
    expiry_interval_seconds: float = Field(default=60.0, gt=0)
