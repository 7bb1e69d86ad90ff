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
    # The policy pack the review runs under: review chains (CH-4), publicity and correction
    # working days, the RV-4 flag, proofs not asked again (NA-5).
    policy_pack: str = "shanxi-2024"
    # Decisions (CH-4) are signed with the `review-decisions` key ring (ZC_KEYS_DIR, docs/keys.md).
    # How often the scheduler looks for publicities that may close.
    publicity_job_interval_seconds: float = 60.0
