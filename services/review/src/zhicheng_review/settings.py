"""Settings of the review service (environment prefix ``ZC_REVIEW_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from zhicheng_common.settings import ServiceSettings

SERVICE = "review"
AREA = "reviews"
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
SIGNING_KEY_FILE_NAME = "review-decisions.pem"  # under <ZC_DATA_DIR>/keys/


class ReviewSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZC_REVIEW_", extra="ignore")

    port: int = 8002
    # Ed25519 key that signs decisions (CH-4); default: <ZC_DATA_DIR>/keys/review-decisions.pem,
    # created on first start.
    signing_key_file: Path | None = None
    # How often the scheduler looks for publicities that may close.
    publicity_job_interval_seconds: float = 60.0
