"""App factory of the review service: ``uvicorn zhicheng_review.app:create_app --factory``."""

from __future__ import annotations

from fastapi import FastAPI

from zhicheng_common.app import create_service_app
from zhicheng_common.settings import CommonSettings
from zhicheng_review.api import routers
from zhicheng_review.consumers import SUBSCRIPTIONS
from zhicheng_review.settings import AREA, SERVICE, ReviewSettings


def create_app(common: CommonSettings | None = None, settings: ReviewSettings | None = None) -> FastAPI:
    """Build the review service app (composition root)."""
    return create_service_app(
        name=SERVICE,
        area=AREA,
        title="资格审查 (qualification review)",
        description="The multi-level qualification review (资格审查), publicity (公示) and objections.",
        common=common or CommonSettings(),
        settings=settings or ReviewSettings(),
        routers=routers,
        subscriptions=SUBSCRIPTIONS,
    )
