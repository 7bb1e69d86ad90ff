"""Settings of the certificates service (environment prefix ``ZC_CERTIFICATES_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from zhicheng_common.keys import CERTIFICATES_ED25519, CERTIFICATES_SM2
from zhicheng_common.settings import ServiceSettings, migrations_dir

SERVICE, AREA, MIGRATIONS_DIR = "certificates", "certificates", migrations_dir(__file__)


class CertificatesSettings(ServiceSettings, service=SERVICE):
    # The CJK TrueType font embedded in certificate PDFs (Debian: fonts-wqy-microhei); without
    # it the PDF route answers 503 and everything else works.
    pdf_font_file: Path = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
    #: Where the public routes of this service are reached from outside (the gateway's origin):
    #: the status-list URLs in every certificate and the issuer's did:web are built from it.
    public_base_url: str = "http://127.0.0.1:8000"
    #: The origin of the gateway's ``/verify`` page the QR code points to.
    verification_base_url: str = "http://127.0.0.1:8000"
    #: The issuing department named on every certificate, and its unified social credit code (GB 32100).
    issuer_name: str = "山西省人力资源和社会保障厅"
    issuer_credit_code: str = "11140000012345678E"
    #: The licence type code of GB/T 36904 identifiers (NA-16): 1–32 characters 0–9A–Z.
    licence_type: str = Field(default="ZCZS001", pattern=r"^[0-9A-Z]{1,32}$")
    #: Key rings (``<ZC_KEYS_DIR>/<ring>/``): one per algorithm, mounted from the secret store.
    ed25519_ring: str = CERTIFICATES_ED25519
    sm2_ring: str = CERTIFICATES_SM2
    #: The qualification → title correspondence table (EL-16, NA-18); default: the shipped table.
    correspondence_file: Path | None = None
