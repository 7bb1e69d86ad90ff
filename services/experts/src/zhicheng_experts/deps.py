"""The experts service's typed context, built once in ``create_app()`` (composition root), and the
request dependencies the feature folders read from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
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


async def _cipher(ctx: Context) -> PiiCipher:
    return ctx.cipher


async def _pack(ctx: Context, principal: CurrentPrincipal) -> PolicyPack:
    """The pack of the caller's jurisdiction for this year (issue 12: no service-wide pack): experts
    are entered within the caller's region, so its pack's term years (EX-3) apply."""
    return resolve_pack(principal.region, china_today(ctx.clock.now()).year)


async def _packs(ctx: Context) -> Callable[[str], PolicyPack]:
    return ctx.packs


async def _catalog(ctx: Context) -> SeriesCatalog:
    return ctx.catalog


async def _calendar(ctx: Context) -> WorkingDayCalendar:
    return ctx.calendar


async def _now(ctx: Context) -> datetime:
    return ctx.clock.now()


CipherDep = Annotated[PiiCipher, Depends(_cipher)]
PackDep = Annotated[PolicyPack, Depends(_pack)]
PacksDep = Annotated[Callable[[str], PolicyPack], Depends(_packs)]
CatalogDep = Annotated[SeriesCatalog, Depends(_catalog)]
CalendarDep = Annotated[WorkingDayCalendar, Depends(_calendar)]
NowDep = Annotated[datetime, Depends(_now)]
