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
    # The CJK TrueType font embedded in certificate PDFs (Debian: fonts-wqy-microhei); without
    # it the PDF route answers 503 and everything else works.
    pdf_font_file: Path = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
