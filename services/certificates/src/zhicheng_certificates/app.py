"""App factory of the certificates service: ``uvicorn zhicheng_certificates.app:create_app --factory``."""

from __future__ import annotations

from fastapi import FastAPI

from zhicheng_certificates.api import routers
from zhicheng_certificates.consumers import SUBSCRIPTIONS
from zhicheng_certificates.settings import AREA, SERVICE, CertificatesSettings
from zhicheng_common.app import create_service_app
from zhicheng_common.settings import CommonSettings


def create_app(common: CommonSettings | None = None, settings: CertificatesSettings | None = None) -> FastAPI:
    """Build the certificates service app (composition root)."""
    return create_service_app(
        name=SERVICE,
        area=AREA,
        title="电子证书 (certificates)",
        description="Signed electronic certificates, verification and revocation.",
        common=common or CommonSettings(),
        settings=settings or CertificatesSettings(),
        routers=routers,
        subscriptions=SUBSCRIPTIONS,
    )
