"""Routes of committees and their filings (核准备案), sanctions and the scope query (CM-1..CM-4, CM-10, NA-13)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from zhicheng_committees.auth import Approver, Authenticated, Filer, HrAdmin, Reader
from zhicheng_committees.committee import service
from zhicheng_committees.committee.domain import CommitteeStatus, FilingStatus, OwnershipKind
from zhicheng_committees.committee.schemas import (
    CommitteePage,
    CommitteeRead,
    FilingCreate,
    FilingDecision,
    FilingPage,
    FilingRead,
    RefilingCreate,
    ResumptionCreate,
    SanctionCreate,
    SanctionRead,
    ScopeResult,
)
from zhicheng_committees.deps import FORBIDDEN, RULE_REFUSED, ToolsDep
from zhicheng_committees.settings import AREA
from zhicheng_common.api import SessionDep
from zhicheng_common.paging import Paging
from zhicheng_common.problems import problem_doc
from zhicheng_common.series import Level
from zhicheng_common.validators import RegionCode

router = APIRouter(prefix=f"/{AREA}", tags=["committees"])


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
