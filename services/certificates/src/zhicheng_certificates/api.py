"""Routes of the certificates service, mounted under ``/api/v1/certificates``."""

from __future__ import annotations

from fastapi import APIRouter

from zhicheng_common.api import journal_router
from zhicheng_certificates.settings import AREA

routers: list[APIRouter] = [journal_router(AREA)]
