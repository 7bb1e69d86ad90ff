"""The experts service's typed context, built once in ``create_app()`` (composition root), and the
request dependencies the feature folders read from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from fastapi import Depends

from zhicheng_common.api import service_context
from zhicheng_common.auth import CurrentPrincipal
from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.clock import Clock, china_today
from zhicheng_common.pii import PiiCipher
from zhicheng_common.policy import PolicyPack, resolve_pack
from zhicheng_common.series import SeriesCatalog
from zhicheng_experts.draw.notifier import Notifier
from zhicheng_experts.draw.repository import PoolSnapshotSource


@dataclass(frozen=True)
class ExpertsContext:
    """What the use cases need besides the session; ``packs`` finds a pool filing's pack by id (the
    committee's), ``pool_source`` is what the draw freezes (the pool feature's filings)."""

    clock: Clock
    calendar: WorkingDayCalendar
    cipher: PiiCipher
    catalog: SeriesCatalog
    packs: Callable[[str], PolicyPack]
    pool_source: PoolSnapshotSource
    notifier: Notifier


Context = Annotated[ExpertsContext, Depends(service_context)]


@dataclass(frozen=True)
class Tools:
    """What a use case needs besides the session (and the caller's pack): the request's time, the
    cipher, the series catalog, the calendar, a committee's pack by id and the pool the draw freezes."""

    now: datetime
    cipher: PiiCipher
    catalog: SeriesCatalog
    calendar: WorkingDayCalendar
    packs: Callable[[str], PolicyPack]
    source: PoolSnapshotSource

    @property
    def today(self) -> date:
        """The China date of ``now``: every draw date, frozen day and deadline is one."""
        return china_today(self.now)


async def _tools(ctx: Context) -> Tools:
    now = ctx.clock.now()
    return Tools(now, ctx.cipher, ctx.catalog, ctx.calendar, ctx.packs, ctx.pool_source)


async def _pack(ctx: Context, principal: CurrentPrincipal) -> PolicyPack:
    """The pack of the caller's jurisdiction for this year (issue 12: no service-wide pack): experts
    are entered within the caller's region, so its pack's term years (EX-3) apply."""
    return resolve_pack(principal.region, china_today(ctx.clock.now()).year)


async def _now(ctx: Context) -> datetime:
    return ctx.clock.now()


ToolsDep = Annotated[Tools, Depends(_tools)]
PackDep = Annotated[PolicyPack, Depends(_pack)]
NowDep = Annotated[datetime, Depends(_now)]
