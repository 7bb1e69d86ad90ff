"""Routes of the certificates service, mounted under ``/api/v1/certificates``."""

from __future__ import annotations

from fastapi import APIRouter

from zhicheng_certificates.settings import AREA
from zhicheng_common.api import journal_router

routers: list[APIRouter] = [journal_router(AREA)]
