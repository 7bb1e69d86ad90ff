"""Routes of the certificates service, mounted under ``/api/v1/certificates``."""

from __future__ import annotations

from fastapi import APIRouter

from zhicheng_certificates.certificate.api import router as certificate_router
from zhicheng_certificates.settings import AREA
from zhicheng_certificates.signing.api import public as keys_router
from zhicheng_certificates.status.api import public as status_list_router
from zhicheng_certificates.status.api import router as status_router
from zhicheng_certificates.verification.api import public as verification_router
from zhicheng_common.api import journal_router

routers: list[APIRouter] = [
    journal_router(AREA),
    certificate_router,
    status_router,
    status_list_router,
    verification_router,
    keys_router,
]
