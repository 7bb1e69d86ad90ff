"""Settings of the committees service (environment prefix ``ZC_COMMITTEES_``)."""

from __future__ import annotations

from zhicheng_common.settings import ServiceSettings, migrations_dir

SERVICE, AREA, MIGRATIONS_DIR = "committees", "committees", migrations_dir(__file__)


class CommitteesSettings(ServiceSettings, service=SERVICE):
    expiry_interval_seconds: float = 60.0
