"""App factory of the experts service: ``uvicorn zhicheng_experts.app:create_app --factory``."""

from __future__ import annotations

from fastapi import FastAPI

from zhicheng_common.app import create_service_app
from zhicheng_common.settings import CommonSettings
from zhicheng_experts.api import routers
from zhicheng_experts.consumers import SUBSCRIPTIONS
from zhicheng_experts.settings import AREA, SERVICE, ExpertsSettings


def create_app(common: CommonSettings | None = None, settings: ExpertsSettings | None = None) -> FastAPI:
    """Build the experts service app (composition root)."""
    return create_service_app(
        name=SERVICE,
        area=AREA,
        title="评审专家库 (expert pool)",
        description="The expert pool (专家库), terms, recusal and verifiable random draws.",
        common=common or CommonSettings(),
        settings=settings or ExpertsSettings(),
        routers=routers,
        subscriptions=SUBSCRIPTIONS,
    )
