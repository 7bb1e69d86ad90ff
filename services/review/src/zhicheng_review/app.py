"""App factory of the review service: ``uvicorn zhicheng_review.app:create_app --factory``."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.app import composition, create_service_app
from zhicheng_common.clock import Clock
from zhicheng_common.scheduler import Job
from zhicheng_common.settings import CommonSettings
from zhicheng_review import service
from zhicheng_review.api import routers
from zhicheng_review.consumers import subscriptions
from zhicheng_review.settings import ReviewSettings


def create_app(
    common: CommonSettings | None = None, settings: ReviewSettings | None = None, *, clock: Clock | None = None
) -> FastAPI:
    """Build the review service app (composition root)."""
    common, settings, clock = composition(common, settings, ReviewSettings, clock)
    ctx = service.build_context(common, settings, clock)

    async def close_publicities(session: AsyncSession, now: datetime) -> int:
        return await service.close_due_publicities(session, ctx=ctx, now=now)

    async def recompute(session: AsyncSession, years: frozenset[int]) -> int:
        return await service.recompute_deadlines(session, ctx=ctx, years=years)

    close = Job("review.close_publicities", close_publicities, settings.publicity_job_interval_seconds)
    events = subscriptions(ctx)
    app = create_service_app(
        common,
        settings,
        routers,
        events,
        [close],
        clock=clock,
        calendar=ctx.calendar,
        on_calendar_change=recompute,
        context=ctx,
    )
    return app
