"""Request dependencies shared by the feature folders: what the app built once (composition root)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from zhicheng_common.auth import CurrentPrincipal
from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.clock import Clock, china_today
from zhicheng_common.pii import PiiCipher
from zhicheng_common.policy import PolicyPack, resolve_pack
from zhicheng_common.series import SeriesCatalog


def _cipher(request: Request) -> PiiCipher:
    cipher: PiiCipher = request.app.state.pii_cipher
    return cipher


def _pack(request: Request, principal: CurrentPrincipal) -> PolicyPack:
    """The pack of the caller's jurisdiction for this year (issue 12: no service-wide pack): experts
    are entered within the caller's region, so its pack's term years (EX-3) apply."""
    clock: Clock = request.app.state.clock
    return resolve_pack(principal.region, china_today(clock.now()).year)


def _packs(request: Request) -> Callable[[str], PolicyPack]:
    packs: Callable[[str], PolicyPack] = request.app.state.pack_resolver
    return packs


def _catalog(request: Request) -> SeriesCatalog:
    catalog: SeriesCatalog = request.app.state.series_catalog
    return catalog


def _calendar(request: Request) -> WorkingDayCalendar:
    calendar: WorkingDayCalendar = request.app.state.calendar
    return calendar


def _now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock.now()


CipherDep = Annotated[PiiCipher, Depends(_cipher)]
PackDep = Annotated[PolicyPack, Depends(_pack)]
PacksDep = Annotated[Callable[[str], PolicyPack], Depends(_packs)]
CatalogDep = Annotated[SeriesCatalog, Depends(_catalog)]
CalendarDep = Annotated[WorkingDayCalendar, Depends(_calendar)]
NowDep = Annotated[datetime, Depends(_now)]
