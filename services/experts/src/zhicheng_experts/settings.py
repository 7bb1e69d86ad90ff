"""Settings of the experts service (environment prefix ``ZC_EXPERTS_``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from zhicheng_common.settings import ServiceSettings, migrations_dir

SERVICE, AREA, MIGRATIONS_DIR = "experts", "experts", migrations_dir(__file__)


class ExpertsSettings(ServiceSettings, service=SERVICE):
    # How often the scheduler looks for pool filings past their last day (EX-3).
    filing_expiry_interval_seconds: float = Field(default=300.0, gt=0)
    #: How drawn experts are told: ``log`` (a log line, ids only) or ``smtp`` (an e-mail).
    notifier: Literal["log", "smtp"] = "log"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_sender: str = "zhicheng-experts@localhost"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    #: Seconds between two runs of the job sending pending notifications.
    notify_interval_seconds: float = 30.0
