"""App factory of the integrity service: ``uvicorn zhicheng_integrity.app:create_app --factory``."""

from __future__ import annotations

from fastapi import FastAPI

from zhicheng_common.app import create_service_app
from zhicheng_common.settings import CommonSettings
from zhicheng_integrity.api import routers
from zhicheng_integrity.consumers import SUBSCRIPTIONS
from zhicheng_integrity.settings import AREA, SERVICE, IntegritySettings


def create_app(common: CommonSettings | None = None, settings: IntegritySettings | None = None) -> FastAPI:
    """Build the integrity service app (composition root)."""
    return create_service_app(
        name=SERVICE,
        area=AREA,
        title="诚信档案 (integrity records)",
        description="Credit and integrity records (诚信档案) and their effects on the other services.",
        common=common or CommonSettings(),
        settings=settings or IntegritySettings(),
        routers=routers,
        subscriptions=SUBSCRIPTIONS,
    )
