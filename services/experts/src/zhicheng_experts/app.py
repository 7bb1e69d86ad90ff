"""App factory of the experts service: ``uvicorn zhicheng_experts.app:create_app --factory``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.app import create_service_app
from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.clock import Clock
from zhicheng_common.pii import PiiCipher
from zhicheng_common.scheduler import Job
from zhicheng_common.settings import CommonSettings
from zhicheng_experts.api import routers
from zhicheng_experts.consumers import SUBSCRIPTIONS
from zhicheng_experts.draw import service as draw_service
from zhicheng_experts.draw.notifier import LogNotifier, Notifier, SmtpNotifier
from zhicheng_experts.draw.repository import PoolSnapshot, PoolSnapshotSource
from zhicheng_experts.settings import AREA, SERVICE, ExpertsSettings


class NoPool:
    """The pool source before the ``pool`` feature is wired in: it knows no meeting (404 ``meeting_not_open``)."""

    async def eligible_pool_snapshot(
        self, session: AsyncSession, committee_id: uuid.UUID, meeting_id: uuid.UUID, *, frozen_on: date
    ) -> PoolSnapshot | None:
        return None

    async def contact_emails(self, session: AsyncSession, expert_ids: Sequence[str]) -> Mapping[str, str]:
        return {}


def notifier_of(settings: ExpertsSettings) -> Notifier:
    """The notifier the settings name: a log line (default) or an e-mail through SMTP."""
    if settings.notifier == "smtp":
        return SmtpNotifier(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_sender,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password,
        )
    return LogNotifier()


def create_app(
    common: CommonSettings | None = None,
    settings: ExpertsSettings | None = None,
    *,
    clock: Clock | None = None,
    pool_source: PoolSnapshotSource | None = None,
    notifier: Notifier | None = None,
) -> FastAPI:
    """Build the experts service app (composition root)."""
    common = common or CommonSettings()
    settings = settings or ExpertsSettings()
    calendar = WorkingDayCalendar.from_settings_json(common.calendar_overrides)
    source: PoolSnapshotSource = pool_source or NoPool()
    sender = notifier or notifier_of(settings)

    async def notify(session: AsyncSession, now: datetime) -> int:
        return await draw_service.send_notifications(session, now, notifier=sender, source=source)

    app = create_service_app(
        name=SERVICE,
        area=AREA,
        title="评审专家库 (expert pool)",
        description="The expert pool (专家库), terms, recusal and verifiable random draws.",
        common=common,
        settings=settings,
        routers=routers,
        subscriptions=SUBSCRIPTIONS,
        jobs=(Job("experts.draw.notify", notify, settings.notify_interval_seconds),),
        clock=clock,
        calendar=calendar,
    )
    app.state.calendar = calendar
    app.state.pii_cipher = PiiCipher(common.pii_key)
    app.state.pool_source = source
    app.state.notifier = sender
    return app
