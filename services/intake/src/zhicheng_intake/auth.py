"""Scope aliases and dependencies of intake's routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from zhicheng_common.api import service_context
from zhicheng_common.auth import CurrentPrincipal
from zhicheng_common.clock import Clock
from zhicheng_intake.service import IntakeDeps

# Every route of intake is authenticated; who may do what is checked in service.py.
Authenticated = CurrentPrincipal


# Dependencies are ``async def``: FastAPI runs a plain ``def`` one in the thread pool, a thread
# hop on every request for reading an attribute.
async def _now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock.now()


Deps = Annotated[IntakeDeps, Depends(service_context)]
Now = Annotated[datetime, Depends(_now)]
