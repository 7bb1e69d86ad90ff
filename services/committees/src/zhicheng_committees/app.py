"""App factory of the committees service: ``uvicorn zhicheng_committees.app:create_app --factory``."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_committees.api import routers
from zhicheng_committees.ballot.keyring import BallotKeyring
from zhicheng_committees.committee.service import expire_committees
from zhicheng_committees.consumers import SUBSCRIPTIONS
from zhicheng_committees.deps import CommitteesContext
from zhicheng_committees.meeting.service import note_overdue_post_meeting_filings, recompute_deadlines
from zhicheng_committees.settings import CommitteesSettings
from zhicheng_common.app import create_service_app, make_clock
from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.clock import Clock
from zhicheng_common.keys import COMMITTEES_TALLIES, ring_for
from zhicheng_common.pii import PiiCipher
from zhicheng_common.scheduler import Job
from zhicheng_common.settings import CommonSettings


def jobs(settings: CommitteesSettings) -> tuple[Job, ...]:
    """The service's timers: filing expiry (CM-2) and overdue post-meeting filings (CM-9)."""
    return (
        Job("committees.expire", expire_committees, settings.expiry_interval_seconds),
        Job(
            "committees.post_meeting_overdue",
            note_overdue_post_meeting_filings,
            settings.expiry_interval_seconds,
        ),
    )


def create_app(
    common: CommonSettings | None = None, settings: CommitteesSettings | None = None, *, clock: Clock | None = None
) -> FastAPI:
    """Build the committees service app (composition root)."""
    common = common or CommonSettings()
    settings = settings or CommitteesSettings()
    calendar = WorkingDayCalendar.from_settings_json(common.calendar_overrides)

    async def recompute(session: AsyncSession, years: frozenset[int]) -> int:
        return await recompute_deadlines(session, calendar=calendar, years=years)

    timers = jobs(settings)
    clock = clock or make_clock(common)
    context = CommitteesContext(
        clock=clock,
        calendar=calendar,
        cipher=PiiCipher(common.pii_key),
        ballot_keys=BallotKeyring(),
        tally_keys=ring_for(common, COMMITTEES_TALLIES),
    )
    return create_service_app(
        common,
        settings,
        routers,
        SUBSCRIPTIONS,
        timers,
        clock=clock,
        calendar=calendar,
        on_calendar_change=recompute,
        context=context,
    )
