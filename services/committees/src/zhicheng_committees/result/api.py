"""Routes of a meeting's results: publicity and objections (NA-11), confirmation, re-examination
(NA-12), the meeting file (CM-11, NA-10), the pass rates (MT-5) and the results entry (CM-11)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from zhicheng_committees.auth import Approver, Authenticated, Filer, MeetingFileReader, Reader, ResultsClerk
from zhicheng_committees.deps import FORBIDDEN, RULE_REFUSED, ToolsDep
from zhicheng_committees.meeting.schemas import MeetingRead
from zhicheng_committees.result import service
from zhicheng_committees.result.schemas import (
    ConfirmationCreate,
    ObjectionCreate,
    ObjectionResolution,
    PassRatePage,
    ReexaminationCreate,
    ReexaminationRead,
    ReexaminationUpdate,
    ResultsEntryCreate,
    ResultsRead,
)
from zhicheng_committees.settings import AREA
from zhicheng_common.api import SessionDep
from zhicheng_common.problems import problem_doc, problem_docs

router = APIRouter(prefix=f"/{AREA}", tags=["committees"])

NOT_PUBLICIZED = problem_doc("评审结果尚未公示 (results_not_publicized)")
MEDIA = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@router.get(
    "/pass-rates",
    summary="通过率 (pass rates of confirmed results per committee, series, level and year; MT-5)",
)
async def pass_rates(
    session: SessionDep,
    principal: Reader,
    year: Annotated[int | None, Query(ge=2000, le=2100, examples=[2024])] = None,
    committee_id: Annotated[uuid.UUID | None, Query()] = None,
    series: Annotated[str | None, Query(max_length=64, examples=["engineering"])] = None,
    level: Annotated[str | None, Query(max_length=32, examples=["senior"])] = None,
) -> PassRatePage:
    """Evaluated, passed and the rate, within the caller's jurisdiction (a committee office: its own)."""
    return await service.pass_rates(
        session, actor=principal, year=year, committee_id=committee_id, series=series, level=level
    )


@router.get(
    "/meetings/{meeting_id}/results",
    summary="评审结果 (publicity, objections, confirmation, each applicant's result)",
    responses={403: FORBIDDEN, 404: NOT_PUBLICIZED},
)
async def read_results(meeting_id: uuid.UUID, session: SessionDep, principal: Reader, tools: ToolsDep) -> ResultsRead:
    """The results of a meeting, for the office and the HR department within their jurisdiction."""
    return await service.get_results(session, actor=principal, meeting_id=meeting_id, tools=tools)


@router.post(
    "/meetings/{meeting_id}/results/publicity",
    status_code=201,
    summary="评审结果公示 (publicize the results for the pack's working days; NA-11, RV-6)",
    responses={
        403: FORBIDDEN,
        409: problem_doc(
            "会议未闭会、无表决结果或已公示 (meeting_not_closed NA-10, nothing_decided, results_already_publicized)"
        ),
    },
)
async def publicize(meeting_id: uuid.UUID, session: SessionDep, principal: Filer, tools: ToolsDep) -> ResultsRead:
    """Open the results publicity today; it lasts through the pack's N-th working day after (NA-14)."""
    return await service.publicize(session, actor=principal, meeting_id=meeting_id, tools=tools)


@router.post(
    "/meetings/{meeting_id}/results/objections",
    status_code=201,
    summary="记录公示异议 (an objection raised during the results publicity; NA-11, RV-6)",
    responses={
        403: FORBIDDEN,
        404: NOT_PUBLICIZED,
        409: problem_doc("公示期已结束或对象不在通过名单 (publicity_closed, not_publicized_as_passed)"),
    },
)
async def record_objection(
    meeting_id: uuid.UUID, body: ObjectionCreate, session: SessionDep, principal: Filer, tools: ToolsDep
) -> ResultsRead:
    """Record an objection about a passed applicant, until the end of the publicity's last day."""
    return await service.record_objection(session, actor=principal, meeting_id=meeting_id, body=body, tools=tools)


@router.patch(
    "/meetings/{meeting_id}/results/objections/{objection_id}",
    summary="处理公示异议 (resolve an objection: upheld withholds the pass; NA-11, RV-6)",
    responses=problem_docs({404: "异议不存在 (objection_not_found)", 409: "异议已处理 (objection_resolved)"}),
)
async def resolve_objection(
    meeting_id: uuid.UUID,
    objection_id: uuid.UUID,
    body: ObjectionResolution,
    session: SessionDep,
    principal: Filer,
    tools: ToolsDep,
) -> ResultsRead:
    """Resolve an open objection; an upheld one leaves the applicant out of the confirmed passed list."""
    return await service.resolve_objection(
        session, actor=principal, meeting_id=meeting_id, objection_id=objection_id, body=body, tools=tools
    )


@router.post(
    "/meetings/{meeting_id}/results/confirmation",
    summary="评审结果确认 (confirmation by the filing department; NA-11) → committees.results.confirmed",
    responses={
        403: FORBIDDEN,
        409: problem_doc(
            "公示未满、异议未处理、未公示或已以其他文号确认 "
            "(publicity_too_short, objections_unresolved, results_not_publicized, results_already_confirmed)"
        ),
        503: problem_doc("会议档案字体不可用 (meeting_file_font_unavailable)"),
    },
)
async def confirm(
    meeting_id: uuid.UUID, body: ConfirmationCreate, session: SessionDep, principal: Approver, tools: ToolsDep
) -> ResultsRead:
    """Confirm the publicized results; repeating the same confirmation answers the same, sending nothing new."""
    return await service.confirm(session, actor=principal, meeting_id=meeting_id, body=body, tools=tools)


@router.post(
    "/meetings/{meeting_id}/results/reexaminations",
    status_code=201,
    summary="复查申请 (record an applicant's request for re-examination; NA-12)",
    responses={403: FORBIDDEN, 404: NOT_PUBLICIZED, 409: RULE_REFUSED},
)
async def request_reexamination(
    meeting_id: uuid.UUID, body: ReexaminationCreate, session: SessionDep, principal: ResultsClerk, tools: ToolsDep
) -> ReexaminationRead:
    """Record the request of an applicant of the meeting, once its results are confirmed."""
    return await service.request_reexamination(session, actor=principal, meeting_id=meeting_id, body=body, tools=tools)


@router.patch(
    "/meetings/{meeting_id}/results/reexaminations/{reexamination_id}",
    summary="复查办理与结论 (handle, then decide; a changed result is confirmed anew; NA-12)",
    responses={
        403: FORBIDDEN,
        404: problem_doc("复查申请不存在 (reexamination_not_found)"),
        409: problem_doc(
            "已作出结论或结论与结果不符 (reexamination_decided, result_not_changed, upheld_changes_result)"
        ),
    },
)
async def update_reexamination(
    meeting_id: uuid.UUID,
    reexamination_id: uuid.UUID,
    body: ReexaminationUpdate,
    session: SessionDep,
    principal: Authenticated,
    tools: ToolsDep,
) -> ReexaminationRead:
    """Name the handler (the office or HR), or decide (the filing department)."""
    return await service.update_reexamination(
        session, actor=principal, meeting_id=meeting_id, reexamination_id=reexamination_id, body=body, tools=tools
    )


@router.get(
    "/meetings/{meeting_id}/file.{fmt}",
    summary="会议档案 (the meeting file as one PDF or xlsx; CM-11, NA-10)",
    response_class=Response,
    responses={
        200: {
            "description": "The meeting file.",
            "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in MEDIA.values()},
        },
        403: problem_doc("保密期内或不在管辖范围 (meeting_file_confidential NA-10, outside_jurisdiction)"),
        404: problem_doc("会议不存在 (meeting_not_found)"),
        503: problem_doc("会议档案字体不可用 (meeting_file_font_unavailable)"),
    },
)
async def read_meeting_file(
    meeting_id: uuid.UUID,
    fmt: Literal["pdf", "xlsx"],
    session: SessionDep,
    principal: MeetingFileReader,
    tools: ToolsDep,
) -> Response:
    """Post-meeting report, publicity, draw list (office only), sign-in sheet, opinions, signed tally, passed list."""
    data = await service.meeting_file(session, actor=principal, meeting_id=meeting_id, fmt=fmt, tools=tools)
    return Response(
        content=data,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="meeting-{meeting_id}.{fmt}"'},
    )


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
