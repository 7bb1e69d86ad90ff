"""App factory of the integrity service: ``uvicorn zhicheng_integrity.app:create_app --factory``."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.app import composition, create_service_app
from zhicheng_common.clock import Clock
from zhicheng_common.pii import PiiCipher
from zhicheng_common.scheduler import Job
from zhicheng_common.settings import CommonSettings
from zhicheng_integrity import service
from zhicheng_integrity.api import routers
from zhicheng_integrity.consumers import subscriptions
from zhicheng_integrity.settings import IntegritySettings


async def expire_lapsed(session: AsyncSession, now: datetime) -> int:
    """Scheduler job: records whose validity ended lapse, once each."""
    return await service.expire_lapsed(session, now=now)


def create_app(
    common: CommonSettings | None = None, settings: IntegritySettings | None = None, *, clock: Clock | None = None
) -> FastAPI:
    """Build the integrity service app (composition root)."""
    common, settings, clock = composition(common, settings, IntegritySettings, clock)
    expire = Job("integrity.expire_lapsed", expire_lapsed, settings.expiry_interval_seconds)
    cipher = PiiCipher(common.pii_key)
    context = service.IntegrityContext(cipher=cipher, clock=clock)
    events = subscriptions(clock, cipher)
    return create_service_app(common, settings, routers, events, [expire], clock=clock, context=context)
