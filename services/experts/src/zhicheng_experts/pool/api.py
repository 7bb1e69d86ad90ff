"""Routes of pool filings, under ``/api/v1/experts/pools`` (thin: each calls one service function)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from zhicheng_common.api import SessionDep
from zhicheng_common.problems import problem_doc
from zhicheng_experts.auth import ExpertAdmin, ExpertReader
from zhicheng_experts.deps import ToolsDep
from zhicheng_experts.pool import service
from zhicheng_experts.pool.schemas import PoolFilingCreate, PoolFilingDetail, PoolFilingRead, PoolMemberRead
from zhicheng_experts.settings import AREA

UNKNOWN_EXPERTS = problem_doc("名单中有不存在的专家 (unknown_experts)")
OUTSIDE_JURISDICTION = problem_doc("不在管辖范围 (outside_jurisdiction)")
FILING_VALIDITY_TOO_LONG = problem_doc(
    "有效期超过规定 (filing_validity_too_long, EX-3)；新增专家不足 (too_few_new_experts, EX-4)；"
    "申请过迟 (refiling_too_late, EX-4)；非公有制经济组织专家不足 (EX-5)；评委会未同步 (committee_unknown)"
)
POOL_FILING_NOT_FOUND = problem_doc("备案不存在 (pool_filing_not_found)")

router = APIRouter(prefix=f"/{AREA}/pools", tags=["pool filings"])


@router.post(
    "",
    status_code=201,
    summary="专家库备案或重新备案 (committee_office, hr_admin, province_admin)",
    responses={400: UNKNOWN_EXPERTS, 403: OUTSIDE_JURISDICTION, 409: FILING_VALIDITY_TOO_LONG},
)
async def file_pool(
    filing_in: PoolFilingCreate, session: SessionDep, principal: ExpertAdmin, tools: ToolsDep
) -> PoolFilingRead:
    """File a committee's expert pool; a re-filing replaces the filing in force."""
    filing = await service.file_pool(session, actor=principal, filing_in=filing_in, tools=tools)
    return PoolFilingRead.model_validate(filing)


@router.get("/committees/{committee_id}", summary="评委会的专家库备案 (newest first)")
async def filings_of(committee_id: uuid.UUID, session: SessionDep, principal: ExpertReader) -> list[PoolFilingRead]:
    """Every filing of the committee within the caller's jurisdiction, newest first."""
    rows = await service.filings_of(session, actor=principal, committee_id=committee_id)
    return [PoolFilingRead.model_validate(row) for row in rows]


@router.get(
    "/{filing_id}", summary="查看专家库备案及名单", responses={403: OUTSIDE_JURISDICTION, 404: POOL_FILING_NOT_FOUND}
)
async def read_filing(filing_id: uuid.UUID, session: SessionDep, principal: ExpertReader) -> PoolFilingDetail:
    """One filing with its members (ids, and whether each is new since the previous filing)."""
    filing, members = await service.get_filing(session, actor=principal, filing_id=filing_id)
    return PoolFilingDetail(
        **PoolFilingRead.model_validate(filing).model_dump(),
        members=[PoolMemberRead.model_validate(m) for m in members],
    )
