"""Routes of annual evaluation plans (CM-5..CM-8)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from zhicheng_committees.auth import Filer, HrAdmin, Reader
from zhicheng_committees.deps import FORBIDDEN, RULE_REFUSED, ToolsDep
from zhicheng_committees.plan import service
from zhicheng_committees.plan.schemas import PlanCreate, PlanRead, PlanUpdate
from zhicheng_committees.settings import AREA
from zhicheng_common.api import SessionDep
from zhicheng_common.problems import problem_doc

router = APIRouter(prefix=f"/{AREA}", tags=["committees"])


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
