"""Routes of the committees service, mounted under ``/api/v1/committees``."""

from __future__ import annotations

from fastapi import APIRouter

from zhicheng_common.api import journal_router
from zhicheng_committees.settings import AREA

routers: list[APIRouter] = [journal_router(AREA)]
