"""Routes of the committees service, mounted under ``/api/v1/committees``. Thin: the service decides."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from zhicheng_committees import service
from zhicheng_committees.auth import Approver, Authenticated, Filer, HrAdmin, Reader
from zhicheng_committees.domain import CommitteeStatus, FilingStatus, OwnershipKind
from zhicheng_committees.schemas import (
    CommitteePage,
    CommitteeRead,
    FilingCreate,
    FilingDecision,
    FilingPage,
    FilingRead,
    MeetingDetail,
    MeetingRead,
    OverdueMeetingPage,
    PlanCreate,
    PlanRead,
    PlanUpdate,
    PostMeetingFilingCreate,
    PreMeetingFilingCreate,
    RefilingCreate,
    ResultsEntryCreate,
    ResumptionCreate,
    SanctionCreate,
    SanctionRead,
    ScopeResult,
)
from zhicheng_committees.settings import AREA
from zhicheng_common.api import SessionDep, journal_router, service_context
from zhicheng_common.paging import Paging
from zhicheng_common.problems import problem_doc, problem_docs
from zhicheng_common.series import Level
from zhicheng_common.validators import RegionCode


async def _tools(context: Annotated[service.CommitteesContext, Depends(service_context)]) -> service.Tools:
    """Today's date (China) from the injectable clock, the working-day calendar and the PII cipher."""
    return context.tools()


ToolsDep = Annotated[service.Tools, Depends(_tools)]

RULE_REFUSED = problem_doc("不符合政策规定 (rule_refused 等; `rule` 字段给出规则编号)")
FORBIDDEN = problem_doc(
    "角色、核准权限或管辖范围不符 (role_required, approval_authority_required, outside_jurisdiction)"
)

router = APIRouter(prefix=f"/{AREA}", tags=["committees"])


# --- filings ---------------------------------------------------------------------------------------


@router.post(
    "/filings", status_code=201, summary="申请核准备案 (new committee)", responses={403: FORBIDDEN, 409: RULE_REFUSED}
)
async def apply_filing(filing_in: FilingCreate, session: SessionDep, principal: Filer, tools: ToolsDep) -> FilingRead:
    """Apply for the approval and filing of a new committee (CM-1, NA-1)."""
    return await service.apply_filing(session, actor=principal, filing_in=filing_in, tools=tools)


@router.get("/filings", summary="备案申请列表 (filings by status, in my jurisdiction)", responses={403: FORBIDDEN})
async def list_filings(
    session: SessionDep,
    principal: Reader,
    tools: ToolsDep,
    page: Paging,
    status: FilingStatus | None = None,
    region: RegionCode | None = None,
) -> FilingPage:
    """Filings within the caller's jurisdiction, optionally by status and region."""
    return await service.list_filings(
        session, actor=principal, status=status, region=region, limit=page.limit, offset=page.offset, tools=tools
    )


@router.get("/filings/{filing_id}", summary="查看备案申请 (one filing)", responses={403: FORBIDDEN})
async def read_filing(filing_id: uuid.UUID, session: SessionDep, principal: Reader, tools: ToolsDep) -> FilingRead:
    """One filing; 403 outside the caller's jurisdiction."""
    return await service.get_filing(session, actor=principal, filing_id=filing_id, tools=tools)


@router.post(
    "/filings/{filing_id}/decision",
    summary="核准或不予核准 (approve or reject a filing)",
    responses={403: FORBIDDEN, 409: problem_doc("已处理 (filing_already_decided)")},
)
async def decide_filing(
    filing_id: uuid.UUID, decision: FilingDecision, session: SessionDep, principal: Approver, tools: ToolsDep
) -> FilingRead:
    """The HR department with authority for the level and region decides, with an opinion (CM-1, CM-3)."""
    return await service.decide_filing(session, actor=principal, filing_id=filing_id, decision=decision, tools=tools)


# --- committees ------------------------------------------------------------------------------------


@router.get("", summary="评委会列表 (by status, expiring soon; in my jurisdiction)", responses={403: FORBIDDEN})
async def list_committees(
    session: SessionDep,
    principal: Reader,
    tools: ToolsDep,
    page: Paging,
    status: CommitteeStatus | None = None,
    region: RegionCode | None = None,
    expiring_within_days: Annotated[int | None, Query(ge=0, le=3650)] = None,
) -> CommitteePage:
    """Committees within the caller's jurisdiction; `expiring_within_days` lists those whose validity ends soon."""
    return await service.list_committees(
        session,
        actor=principal,
        status=status,
        region=region,
        expiring_within_days=expiring_within_days,
        limit=page.limit,
        offset=page.offset,
        tools=tools,
    )


@router.get("/scope", summary="评审范围查询 (which committees may evaluate; CM-4)")
async def scope(
    session: SessionDep,
    principal: Authenticated,
    tools: ToolsDep,
    series: Annotated[str, Query(examples=["engineering"])],
    level: Annotated[Level, Query(examples=["associate_senior"])],
    region: Annotated[RegionCode, Query(description="The applicant's region.", examples=["140105"])],
    specialty: Annotated[str | None, Query(examples=["electrical"])] = None,
    ownership_kind: Annotated[OwnershipKind | None, Query(examples=["private_enterprise"])] = None,
) -> ScopeResult:
    """Active committees whose filed series, level, specialties, regions and ownership kinds cover the applicant."""
    return await service.scope_query(
        session,
        series=series,
        level=level,
        region=region,
        specialty=specialty,
        ownership_kind=ownership_kind,
        tools=tools,
    )


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


@router.get("/plans/{plan_id}", summary="查看年度评审计划 (one plan)", responses={403: FORBIDDEN})
async def read_plan(plan_id: uuid.UUID, session: SessionDep, principal: Reader) -> PlanRead:
    """One annual plan with its meetings."""
    return await service.get_plan(session, actor=principal, plan_id=plan_id)


@router.put(
    "/plans/{plan_id}", summary="修改年度评审计划 (change a plan)", responses={403: FORBIDDEN, 409: RULE_REFUSED}
)
async def update_plan(
    plan_id: uuid.UUID, plan_in: PlanUpdate, session: SessionDep, principal: Filer, tools: ToolsDep
) -> PlanRead:
    """Replace a plan's dates; checked again (CM-6..CM-8); a published plan announces the change."""
    return await service.update_plan(session, actor=principal, plan_id=plan_id, plan_in=plan_in, tools=tools)


@router.post(
    "/plans/{plan_id}/publication", summary="核准发布年度评审计划 (publish a plan; CM-5)", responses={409: RULE_REFUSED}
)
async def publish_plan(plan_id: uuid.UUID, session: SessionDep, principal: HrAdmin, tools: ToolsDep) -> PlanRead:
    """The HR department approves and publishes the plan; its declaration window opens."""
    return await service.publish_plan(session, actor=principal, plan_id=plan_id, tools=tools)


@router.get("/{committee_id}", summary="查看评委会 (one committee)", responses={403: FORBIDDEN})
async def read_committee(
    committee_id: uuid.UUID, session: SessionDep, principal: Reader, tools: ToolsDep
) -> CommitteeRead:
    """One committee with its filing in force; 403 outside the caller's jurisdiction."""
    return await service.get_committee(session, actor=principal, committee_id=committee_id, tools=tools)


@router.get("/{committee_id}/filings", summary="备案历史 (filing history)", responses={403: FORBIDDEN})
async def committee_filings(
    committee_id: uuid.UUID, session: SessionDep, principal: Reader, tools: ToolsDep
) -> list[FilingRead]:
    """Every filing of the committee, oldest first (CM-2)."""
    return await service.committee_history(session, actor=principal, committee_id=committee_id, tools=tools)


@router.post(
    "/{committee_id}/filings",
    status_code=201,
    summary="重新备案 (re-file: rename, organizer, scope, delegation, expiry; CM-2)",
    responses={403: FORBIDDEN, 409: RULE_REFUSED},
)
async def refile(
    committee_id: uuid.UUID, filing_in: RefilingCreate, session: SessionDep, principal: Filer, tools: ToolsDep
) -> FilingRead:
    """Apply for a re-filing; the filing in force stays until the new one is approved."""
    return await service.refile(
        session, actor=principal, committee_id=committee_id, filing_in=filing_in, reason=filing_in.reason, tools=tools
    )


@router.post(
    "/{committee_id}/sanctions",
    status_code=201,
    summary="处理评委会 (reminder … withdrawal of power; NA-13, CM-10)",
    responses={403: FORBIDDEN, 409: RULE_REFUSED},
)
async def sanction(
    committee_id: uuid.UUID, sanction_in: SanctionCreate, session: SessionDep, principal: HrAdmin, tools: ToolsDep
) -> SanctionRead:
    """Take a measure against a committee, with reason, actor and date."""
    row = await service.sanction(
        session, actor=principal, committee_id=committee_id, sanction_in=sanction_in, tools=tools
    )
    return SanctionRead.model_validate(row)


@router.get("/{committee_id}/sanctions", summary="处理记录 (sanctions of a committee)", responses={403: FORBIDDEN})
async def list_sanctions(committee_id: uuid.UUID, session: SessionDep, principal: Reader) -> list[SanctionRead]:
    """The measures taken against the committee, oldest first."""
    rows = await service.list_sanctions(session, actor=principal, committee_id=committee_id)
    return [SanctionRead.model_validate(r) for r in rows]


@router.post(
    "/{committee_id}/resumption",
    summary="恢复评审 (lift a suspension; CM-10)",
    responses={403: FORBIDDEN, 409: RULE_REFUSED},
)
async def resume(
    committee_id: uuid.UUID, resumption_in: ResumptionCreate, session: SessionDep, principal: HrAdmin, tools: ToolsDep
) -> CommitteeRead:
    """A suspended committee that has rectified evaluates again."""
    return await service.resume(
        session, actor=principal, committee_id=committee_id, resumption_in=resumption_in, tools=tools
    )


@router.get(
    "/{committee_id}/plans",
    summary="评委会的年度评审计划 (a committee's plans, by year)",
    responses={403: FORBIDDEN, 404: problem_doc("评委会不存在 (committee_not_found)")},
)
async def list_plans(committee_id: uuid.UUID, session: SessionDep, principal: Reader) -> list[PlanRead]:
    """Every annual plan of the committee with its meetings, oldest year first."""
    return await service.committee_plans(session, actor=principal, committee_id=committee_id)


@router.post(
    "/{committee_id}/plans",
    status_code=201,
    summary="编制年度评审计划 (draft an annual plan; CM-5..CM-8)",
    responses={403: FORBIDDEN, 409: RULE_REFUSED},
)
async def create_plan(
    committee_id: uuid.UUID, plan_in: PlanCreate, session: SessionDep, principal: Filer, tools: ToolsDep
) -> PlanRead:
    """Draft the committee's plan for a year; notice, pre-meeting filing and deadlines are checked."""
    return await service.create_plan(session, actor=principal, committee_id=committee_id, plan_in=plan_in, tools=tools)


routers: list[APIRouter] = [journal_router(AREA), router]
