"""App factory of the committees service: ``uvicorn zhicheng_committees.app:create_app --factory``."""

from __future__ import annotations

from fastapi import FastAPI

from zhicheng_committees.api import routers
from zhicheng_committees.consumers import SUBSCRIPTIONS
from zhicheng_committees.settings import AREA, SERVICE, CommitteesSettings
from zhicheng_common.app import create_service_app
from zhicheng_common.settings import CommonSettings


def create_app(common: CommonSettings | None = None, settings: CommitteesSettings | None = None) -> FastAPI:
    """Build the committees service app (composition root)."""
    return create_service_app(
        name=SERVICE,
        area=AREA,
        title="评审委员会 (committees)",
        description="Committee approval and filing (核准备案), annual plans, meetings, votes, results.",
        common=common or CommonSettings(),
        settings=settings or CommitteesSettings(),
        routers=routers,
        subscriptions=SUBSCRIPTIONS,
    )
