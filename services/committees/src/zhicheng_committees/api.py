"""Routes of the committees service, mounted under ``/api/v1/committees``; each feature folder has its own.

The committee router comes last: its ``/{committee_id}`` routes would otherwise shadow the literal
paths of the other folders.
"""

from __future__ import annotations

from fastapi import APIRouter

from zhicheng_committees.ballot.api import router as ballot_router
from zhicheng_committees.committee.api import router as committee_router
from zhicheng_committees.meeting.api import router as meeting_router
from zhicheng_committees.plan.api import router as plan_router
from zhicheng_committees.result.api import router as result_router
from zhicheng_committees.settings import AREA
from zhicheng_common.api import journal_router

routers: list[APIRouter] = [
    journal_router(AREA),
    meeting_router,
    ballot_router,
    result_router,
    plan_router,
    committee_router,
]
