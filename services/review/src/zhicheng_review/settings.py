"""Settings of the review service (environment prefix ``ZC_REVIEW_``)."""

from __future__ import annotations

from zhicheng_common.settings import ServiceSettings, migrations_dir

SERVICE, AREA, MIGRATIONS_DIR = "review", "reviews", migrations_dir(__file__)


class ReviewSettings(ServiceSettings, service=SERVICE):
    # Decisions (CH-4) are signed with the `review-decisions` key ring (ZC_KEYS_DIR, docs/keys.md).
    # How often the scheduler looks for publicities that may close.
    publicity_job_interval_seconds: float = 60.0
