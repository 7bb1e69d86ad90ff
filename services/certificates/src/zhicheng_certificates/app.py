"""App factory of the certificates service: ``uvicorn zhicheng_certificates.app:create_app --factory``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from fastapi import FastAPI

from zhicheng_certificates.api import routers
from zhicheng_certificates.certificate.domain import Correspondence
from zhicheng_certificates.consumers import subscriptions
from zhicheng_certificates.deps import CertificatesContext, Issuer
from zhicheng_certificates.settings import CertificatesSettings
from zhicheng_certificates.signing.keyring import load_certificate_keys
from zhicheng_common.app import create_service_app, make_clock
from zhicheng_common.clock import Clock
from zhicheng_common.pii import PiiCipher
from zhicheng_common.series import load_series_catalog
from zhicheng_common.settings import CommonSettings

CORRESPONDENCE_FILE = Path(__file__).parent / "certificate" / "data" / "qualification_correspondence.yaml"


def load_correspondence(path: Path) -> tuple[Correspondence, ...]:
    """The qualification → title table (EL-16, NA-18) from its YAML file."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    rows = []
    for entry in document["entries"]:
        until = entry.get("effective_until")
        rows.append(
            Correspondence(
                qualification=str(entry["qualification"]),
                name=str(entry["name"]),
                province=str(entry["province"]),
                series=str(entry["series"]),
                specialty=str(entry["specialty"]),
                rank=str(entry["rank"]),
                effective_from=entry["effective_from"]
                if isinstance(entry["effective_from"], date)
                else date.fromisoformat(str(entry["effective_from"])),
                effective_until=None
                if until is None
                else (until if isinstance(until, date) else date.fromisoformat(str(until))),
            )
        )
    return tuple(rows)


def build_context(common: CommonSettings, settings: CertificatesSettings, clock: Clock) -> CertificatesContext:
    """The service's context: keys from the rings, the issuer, the catalogs (built once)."""
    return CertificatesContext(
        cipher=PiiCipher(common.pii_key),
        clock=clock,
        keys=load_certificate_keys(common, ed25519_ring=settings.ed25519_ring, sm2_ring=settings.sm2_ring),
        issuer=Issuer(
            name=settings.issuer_name,
            credit_code=settings.issuer_credit_code,
            licence_type=settings.licence_type,
            public_base_url=settings.public_base_url,
            verification_base_url=settings.verification_base_url,
        ),
        catalog=load_series_catalog(),
        correspondence=load_correspondence(settings.correspondence_file or CORRESPONDENCE_FILE),
        font_file=settings.pdf_font_file,
    )


def create_app(
    common: CommonSettings | None = None,
    settings: CertificatesSettings | None = None,
    *,
    clock: Clock | None = None,
) -> FastAPI:
    """Build the certificates service app (composition root)."""
    common = common or CommonSettings()
    settings = settings or CertificatesSettings()
    clock = clock or make_clock(common)
    context = build_context(common, settings, clock)
    return create_service_app(common, settings, routers, subscriptions(context), clock=clock, context=context)
