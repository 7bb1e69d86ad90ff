"""Routes of the integrity service, mounted under ``/api/v1/integrity``."""

from __future__ import annotations

from fastapi import APIRouter

from zhicheng_common.api import journal_router
from zhicheng_integrity.settings import AREA

routers: list[APIRouter] = [journal_router(AREA)]
