"""Settings of the certificates service (environment prefix ``ZC_CERTIFICATES_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from zhicheng_common.settings import ServiceSettings

SERVICE = "certificates"
AREA = "certificates"
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class CertificatesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ZC_CERTIFICATES_", extra="ignore")

    port: int = 8006
