"""Routes of the committees service, mounted under ``/api/v1/committees``."""

from __future__ import annotations

from fastapi import APIRouter

from zhicheng_committees.settings import AREA
from zhicheng_common.api import journal_router

routers: list[APIRouter] = [journal_router(AREA)]
