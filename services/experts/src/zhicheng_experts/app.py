"""App factory of the experts service: ``uvicorn zhicheng_experts.app:create_app --factory``."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.app import composition, create_service_app
from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.clock import Clock
from zhicheng_common.pii import PiiCipher
from zhicheng_common.policy import pack_by_id
from zhicheng_common.scheduler import Job
from zhicheng_common.series import load_series_catalog
from zhicheng_common.settings import CommonSettings, prefixed
from zhicheng_experts.api import routers
from zhicheng_experts.consumers import SUBSCRIPTIONS
from zhicheng_experts.deps import ExpertsContext
from zhicheng_experts.draw import service as draw_service
from zhicheng_experts.draw.notifier import LogNotifier, Notifier, SmtpNotifier
from zhicheng_experts.draw.repository import PoolSnapshotSource
from zhicheng_experts.pool import service as pool_service
from zhicheng_experts.pool.repository import PoolSource
from zhicheng_experts.settings import AREA, SERVICE, ExpertsSettings


async def expire_filings(session: AsyncSession, now: datetime) -> int:
    """Scheduler job: pool filings past their last day expire by themselves (EX-3)."""
    return await pool_service.expire_lapsed(session, now=now)


def notifier_of(settings: ExpertsSettings) -> Notifier:
    """The notifier the settings name: a log line (default) or an e-mail through SMTP."""
    if settings.notifier == "smtp":
        return SmtpNotifier(**prefixed(settings, "smtp_"))  # host, port, sender, starttls and the login
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
    common, settings, clock = composition(common, settings, ExpertsSettings, clock)
    calendar = WorkingDayCalendar.from_settings_json(common.calendar_overrides)
    # The draw reads the pool feature's frozen pool; tests may give their own rows.
    source: PoolSnapshotSource = pool_source or PoolSource()
    sender = notifier or notifier_of(settings)

    async def notify(session: AsyncSession, now: datetime) -> int:
        return await draw_service.send_notifications(session, now, notifier=sender, source=source)

    context = ExpertsContext(
        clock=clock,
        calendar=calendar,
        cipher=PiiCipher(common.pii_key),
        catalog=load_series_catalog(),
        # Pool filings follow the pack their committee runs under (its id comes with the committee).
        packs=pack_by_id,
        pool_source=source,
        notifier=sender,
    )
    return create_service_app(
        name=SERVICE,
        area=AREA,
        title="评审专家库 (expert pool)",
        description="The expert pool (专家库), terms, recusal and verifiable random draws.",
        common=common,
        settings=settings,
        routers=routers,
        subscriptions=SUBSCRIPTIONS,
        jobs=[
            Job("experts.expire_filings", expire_filings, settings.filing_expiry_interval_seconds),
            Job("experts.draw.notify", notify, settings.notify_interval_seconds),
        ],
        clock=clock,
        calendar=calendar,
        context=context,
    )
