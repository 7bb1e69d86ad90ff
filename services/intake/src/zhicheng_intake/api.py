"""Routes of the intake service, mounted under ``/api/v1/declarations``."""

from __future__ import annotations

from fastapi import APIRouter

from zhicheng_common.api import journal_router
from zhicheng_intake.settings import AREA

routers: list[APIRouter] = [journal_router(AREA)]
