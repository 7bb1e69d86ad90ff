"""Settings of the experts service (environment prefix ``ZC_EXPERTS_``)."""

from __future__ import annotations

from pydantic import Field

from zhicheng_common.settings import ServiceSettings, migrations_dir

SERVICE, AREA, MIGRATIONS_DIR = "experts", "experts", migrations_dir(__file__)


class ExpertsSettings(ServiceSettings, service=SERVICE):
    # How often the scheduler looks for pool filings past their last day (EX-3).
    filing_expiry_interval_seconds: float = Field(default=300.0, gt=0)
