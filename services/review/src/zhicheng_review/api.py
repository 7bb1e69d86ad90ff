"""Routes of the review service, mounted under ``/api/v1/reviews``."""

from __future__ import annotations

from fastapi import APIRouter

from zhicheng_common.api import journal_router
from zhicheng_review.settings import AREA

routers: list[APIRouter] = [journal_router(AREA)]
