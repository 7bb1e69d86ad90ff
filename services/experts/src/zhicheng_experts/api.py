"""Routes of the experts service, mounted under ``/api/v1/experts``."""

from __future__ import annotations

from fastapi import APIRouter

from zhicheng_common.api import journal_router
from zhicheng_experts.draw.api import router as draw_router
from zhicheng_experts.expert.api import router as expert_router
from zhicheng_experts.pool.api import router as pool_router
from zhicheng_experts.settings import AREA

routers: list[APIRouter] = [expert_router, pool_router, draw_router, journal_router(AREA)]
