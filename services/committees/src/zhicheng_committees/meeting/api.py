"""Routes of a plan's meetings: read, pre- and post-meeting filings (CM-8, CM-9), overdue filings."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from zhicheng_committees.auth import Expert, Filer, MeetingReader, Reader
from zhicheng_committees.deps import FORBIDDEN, RULE_REFUSED, ToolsDep
from zhicheng_committees.meeting import service
from zhicheng_committees.meeting.schemas import (
    ArrangementIn,
    GroupsIn,
    MeetingDetail,
    MeetingRead,
    OpeningIn,
    OpinionIn,
    OpinionsRead,
    OverdueMeetingPage,
    PostMeetingFilingCreate,
    PreMeetingFilingCreate,
    RecusalIn,
    SittingRead,
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


# --- the sitting (MT-1..MT-4, NA-7..NA-9) ------------------------------------------------------

NOT_ARRANGED = "会议尚未安排 (meeting_not_arranged)"


@router.get(
    "/meetings/{meeting_id}/sitting",
    summary="评审会议现场 (the sitting: panel, sign-in sheet, groups, recusals, rounds)",
    responses=problem_docs({403: "不是本会议专家或管理人员", 404: "会议不存在 (meeting_not_found)", 409: NOT_ARRANGED}),
)
async def read_sitting(meeting_id: uuid.UUID, session: SessionDep, principal: MeetingReader) -> SittingRead:
    """The sitting as its drawn experts and the office see it; never a vote."""
    return await service.get_sitting(session, actor=principal, meeting_id=meeting_id)


@router.put(
    "/meetings/{meeting_id}/arrangement",
    summary="安排评审会议 (venue or remote, forms, qualified applicants; MT-4)",
    responses={403: FORBIDDEN, 409: RULE_REFUSED},
)
async def arrange(
    meeting_id: uuid.UUID, body: ArrangementIn, session: SessionDep, principal: Filer, tools: ToolsDep
) -> SittingRead:
    """Arrange a meeting of a published plan; its applicants are the committee's qualified declarations."""
    return await service.arrange(session, actor=principal, meeting_id=meeting_id, body=body, tools=tools)


@router.post(
    "/meetings/{meeting_id}/sign-in",
    summary="专家签到 (an expert signs in with their own token; MT-1)",
    responses=problem_docs({409: "不是抽取的专家或会议已结束 (not_a_member, meeting_closed, meeting_not_arranged)"}),
)
async def sign_in(meeting_id: uuid.UUID, session: SessionDep, principal: Expert, tools: ToolsDep) -> SittingRead:
    """A drawn member signs in; signing in again changes nothing."""
    return await service.sign_in(session, actor=principal, meeting_id=meeting_id, tools=tools)


@router.post(
    "/meetings/{meeting_id}/opening",
    summary="开会 (open: consent CM-8, drawn panel, odd, quorum MT-1/NA-7, chair)",
    responses={403: FORBIDDEN, 409: RULE_REFUSED},
)
async def open_meeting(
    meeting_id: uuid.UUID, body: OpeningIn, session: SessionDep, principal: Filer, tools: ToolsDep
) -> SittingRead:
    """Open the meeting once its pre-meeting filing is consented and its quorum is present."""
    return await service.open_meeting(session, actor=principal, meeting_id=meeting_id, body=body, tools=tools)


@router.post(
    "/meetings/{meeting_id}/closing",
    summary="闭会 (close the meeting; no vote after, NA-7)",
    responses={403: FORBIDDEN, 409: RULE_REFUSED},
)
async def close_meeting(meeting_id: uuid.UUID, session: SessionDep, principal: Filer, tools: ToolsDep) -> SittingRead:
    """Close an open meeting once no round is open."""
    return await service.close_meeting(session, actor=principal, meeting_id=meeting_id, tools=tools)


@router.put(
    "/meetings/{meeting_id}/groups",
    summary="评议组 (review groups: each applicant read by ≥ 3 experts; MT-2, NA-8)",
    responses={403: FORBIDDEN, 409: RULE_REFUSED},
)
async def set_groups(
    meeting_id: uuid.UUID, body: GroupsIn, session: SessionDep, principal: Filer, tools: ToolsDep
) -> SittingRead:
    """Assign every applicant of the meeting to attending, non-recused experts."""
    return await service.set_groups(session, actor=principal, meeting_id=meeting_id, body=body, tools=tools)


@router.post(
    "/meetings/{meeting_id}/recusals",
    summary="回避 (an expert recuses for an applicant; NA-9)",
    responses={409: RULE_REFUSED},
)
async def recuse(
    meeting_id: uuid.UUID, body: RecusalIn, session: SessionDep, principal: Expert, tools: ToolsDep
) -> SittingRead:
    """The expert recuses for one applicant; they write no opinion and cast no vote on them."""
    return await service.recuse(session, actor=principal, meeting_id=meeting_id, body=body, tools=tools)


@router.post(
    "/meetings/{meeting_id}/opinions",
    status_code=201,
    summary="提交评审意见 (an independent opinion: score and text; MT-2, NA-8)",
    responses={409: RULE_REFUSED},
)
async def write_opinion(
    meeting_id: uuid.UUID, body: OpinionIn, session: SessionDep, principal: Expert, tools: ToolsDep
) -> OpinionsRead:
    """A member of the applicant's group writes their opinion once; the others' stay hidden until all wrote."""
    return await service.write_opinion(session, actor=principal, meeting_id=meeting_id, body=body, tools=tools)


@router.get(
    "/meetings/{meeting_id}/opinions/{declaration_id}",
    summary="评审意见 (opinions on one applicant: one's own until all are in; MT-2)",
    responses={403: FORBIDDEN, 404: problem_doc("会议不存在 (meeting_not_found)")},
)
async def read_opinions(
    meeting_id: uuid.UUID, declaration_id: str, session: SessionDep, principal: MeetingReader, tools: ToolsDep
) -> OpinionsRead:
    """The opinions the caller may read."""
    return await service.read_opinions(
        session, actor=principal, meeting_id=meeting_id, declaration_id=declaration_id, tools=tools
    )
