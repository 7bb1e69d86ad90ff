"""Routes of a plan's meetings: read, pre- and post-meeting filings (CM-8, CM-9), overdue filings."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from zhicheng_committees.auth import Filer, Reader
from zhicheng_committees.deps import FORBIDDEN, ToolsDep
from zhicheng_committees.meeting import service
from zhicheng_committees.meeting.schemas import (
    MeetingDetail,
    MeetingRead,
    OverdueMeetingPage,
    PostMeetingFilingCreate,
    PreMeetingFilingCreate,
)
from zhicheng_committees.settings import AREA
from zhicheng_common.api import SessionDep
from zhicheng_common.problems import problem_doc, problem_docs

router = APIRouter(prefix=f"/{AREA}", tags=["committees"])


@router.get("/meetings/overdue-post-filings", summary="会后备案逾期 (overdue post-meeting filings; CM-9)")
async def overdue_post_meeting_filings(session: SessionDep, principal: Reader, tools: ToolsDep) -> OverdueMeetingPage:
    """Meetings in the caller's jurisdiction whose post-meeting filing is past due."""
    return await service.overdue_post_meeting_filings(session, actor=principal, tools=tools)


@router.get(
    "/meetings/{meeting_id}",
    summary="查看评审会议 (one meeting, with its plan and committee)",
    responses={403: FORBIDDEN, 404: problem_doc("会议不存在 (meeting_not_found)")},
)
async def read_meeting(meeting_id: uuid.UUID, session: SessionDep, principal: Reader) -> MeetingDetail:
    """One meeting of a plan: its dates, filings and deadlines (CM-8, CM-9, CM-11)."""
    return await service.get_meeting(session, actor=principal, meeting_id=meeting_id)


@router.post(
    "/meetings/{meeting_id}/pre-meeting-filing",
    summary="会前备案 (pre-meeting filing: opens the meeting; CM-8, CM-10)",
    responses={
        403: FORBIDDEN,
        409: problem_doc(
            "不符合政策规定或已备案 (committee_suspended, committee_withdrawn, committee_expired, plan_not_published, "
            "pre_meeting_filing_too_late, pre_meeting_already_filed)"
        ),
    },
)
async def file_pre_meeting(
    meeting_id: uuid.UUID, filing_in: PreMeetingFilingCreate, session: SessionDep, principal: Filer, tools: ToolsDep
) -> MeetingRead:
    """File a planned meeting with the HR department before it is held; its experts may then be drawn."""
    return await service.file_pre_meeting(
        session, actor=principal, meeting_id=meeting_id, filing_in=filing_in, tools=tools
    )


@router.post(
    "/meetings/{meeting_id}/post-meeting-filing",
    summary="会后备案 (post-meeting filing; CM-9)",
    responses=problem_docs({409: "会议尚未举行或已备案 (meeting_not_held, post_meeting_already_filed)"}),
)
async def file_post_meeting(
    meeting_id: uuid.UUID, filing_in: PostMeetingFilingCreate, session: SessionDep, principal: Filer, tools: ToolsDep
) -> MeetingRead:
    """Record the post-meeting filing of a held meeting, dated by the server; a late one is flagged (CM-9)."""
    return await service.file_post_meeting(
        session, actor=principal, meeting_id=meeting_id, paper_date=filing_in.paper_date, tools=tools
    )
