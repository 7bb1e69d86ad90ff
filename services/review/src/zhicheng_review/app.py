"""App factory of the review service: ``uvicorn zhicheng_review.app:create_app --factory``."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.app import create_service_app, make_clock
from zhicheng_common.clock import Clock
from zhicheng_common.scheduler import Job
from zhicheng_common.settings import CommonSettings
from zhicheng_review import service
from zhicheng_review.api import routers
from zhicheng_review.consumers import subscriptions
from zhicheng_review.settings import AREA, SERVICE, ReviewSettings


def create_app(
    common: CommonSettings | None = None, settings: ReviewSettings | None = None, *, clock: Clock | None = None
) -> FastAPI:
    """Build the review service app (composition root)."""
    common = common or CommonSettings()
    settings = settings or ReviewSettings()
    clock = clock or make_clock(common)
    ctx = service.build_context(common, settings, clock)

    async def close_publicities(session: AsyncSession, now: datetime) -> int:
        return await service.close_due_publicities(session, ctx=ctx, now=now)

    async def recompute_deadlines(session: AsyncSession, years: frozenset[int]) -> int:
        return await service.recompute_deadlines(session, ctx=ctx, years=years)

    app = create_service_app(
        name=SERVICE,
        area=AREA,
        title="资格审查 (qualification review)",
        description="The multi-level qualification review (资格审查), publicity (公示) and objections.",
        common=common,
        settings=settings,
        routers=routers,
        subscriptions=subscriptions(ctx),
        jobs=[Job("review.close_publicities", close_publicities, settings.publicity_job_interval_seconds)],
        clock=clock,
        calendar=ctx.calendar,
        on_calendar_change=recompute_deadlines,
    )
    app.state.review_context = ctx
    return app
