"""App factory of the intake service: ``uvicorn zhicheng_intake.app:create_app --factory``."""

from __future__ import annotations

from fastapi import FastAPI

from zhicheng_common.app import create_service_app
from zhicheng_common.settings import CommonSettings
from zhicheng_intake.api import routers
from zhicheng_intake.consumers import SUBSCRIPTIONS
from zhicheng_intake.settings import AREA, SERVICE, IntakeSettings


def create_app(common: CommonSettings | None = None, settings: IntakeSettings | None = None) -> FastAPI:
    """Build the intake service app (composition root)."""
    return create_service_app(
        name=SERVICE,
        area=AREA,
        title="申报受理 (declaration intake)",
        description="Declarations (申报) and the eligibility rules.",
        common=common or CommonSettings(),
        settings=settings or IntakeSettings(),
        routers=routers,
        subscriptions=SUBSCRIPTIONS,
    )
