"""Routes of a meeting's results: the results entry with the meeting file (CM-11)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from zhicheng_committees.auth import Filer
from zhicheng_committees.deps import RULE_REFUSED, ToolsDep
from zhicheng_committees.meeting.schemas import MeetingRead
from zhicheng_committees.result import service
from zhicheng_committees.result.schemas import ResultsEntryCreate
from zhicheng_committees.settings import AREA
from zhicheng_common.api import SessionDep

router = APIRouter(prefix=f"/{AREA}", tags=["committees"])


@router.post(
    "/meetings/{meeting_id}/results-entry",
    summary="评审结果录入 (results and meeting file into the platform; CM-11)",
    responses={409: RULE_REFUSED},
)
async def enter_results(
    meeting_id: uuid.UUID, entry_in: ResultsEntryCreate, session: SessionDep, principal: Filer, tools: ToolsDep
) -> MeetingRead:
    """Record the results entry with the full meeting file; an entry after the due day is flagged late."""
    return await service.enter_results(session, actor=principal, meeting_id=meeting_id, entry_in=entry_in, tools=tools)
