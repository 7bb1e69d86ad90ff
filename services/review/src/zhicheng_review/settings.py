"""Settings of the review service (environment prefix ``ZC_REVIEW_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from zhicheng_common.settings import ServiceSettings

SERVICE = "review"
AREA = "reviews"
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class ReviewSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZC_REVIEW_", extra="ignore")

    port: int = 8002
    # Decisions (CH-4) are signed with the `review-decisions` key ring (ZC_KEYS_DIR, docs/keys.md).
    # How often the scheduler looks for publicities that may close.
    publicity_job_interval_seconds: float = 60.0
