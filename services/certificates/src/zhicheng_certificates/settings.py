"""Settings of the certificates service (environment prefix ``ZC_CERTIFICATES_``)."""

from __future__ import annotations

from pathlib import Path

from zhicheng_common.settings import ServiceSettings, migrations_dir

SERVICE, AREA, MIGRATIONS_DIR = "certificates", "certificates", migrations_dir(__file__)


class CertificatesSettings(ServiceSettings, service=SERVICE):
    # The CJK TrueType font embedded in certificate PDFs (Debian: fonts-wqy-microhei); without
    # it the PDF route answers 503 and everything else works.
    pdf_font_file: Path = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
