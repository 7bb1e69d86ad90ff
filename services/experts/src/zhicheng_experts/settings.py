"""Settings of the experts service (environment prefix ``ZC_EXPERTS_``)."""

from __future__ import annotations

from zhicheng_common.settings import ServiceSettings, migrations_dir

SERVICE, AREA, MIGRATIONS_DIR = "experts", "experts", migrations_dir(__file__)


class ExpertsSettings(ServiceSettings, service=SERVICE):
    """Only the shared fields so far (``ZC_EXPERTS_HOST``, ``ZC_EXPERTS_PORT``, …)."""
