"""Settings of the intake service (environment prefix ``ZC_INTAKE_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from zhicheng_common.settings import ServiceSettings

SERVICE = "intake"
AREA = "declarations"
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZC_INTAKE_", extra="ignore")

    port: int = 8001
    # Attachments are stored under this directory; None = ``<ZC_DATA_DIR>/intake/attachments``.
    attachments_dir: Path | None = None
    # Largest attachment accepted, in bytes.
    attachment_max_bytes: int = 10 * 1024 * 1024
    # How often the scheduler looks for returned declarations past their correction deadline.
    abandon_interval_seconds: float = 60.0

    def attachments_root(self, data_dir: Path) -> Path:
        """Where attachments live: the configured directory or one under ``ZC_DATA_DIR``."""
        return self.attachments_dir or data_dir / "intake" / "attachments"
