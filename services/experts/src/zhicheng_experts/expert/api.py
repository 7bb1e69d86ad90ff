"""Routes of experts, under ``/api/v1/experts`` (thin: each calls one service function)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from zhicheng_common.api import SessionDep
from zhicheng_common.paging import Paging
from zhicheng_common.problems import problem_doc
from zhicheng_experts.auth import ExpertAdmin, ExpertReader, ExpertSelf
from zhicheng_experts.deps import NowDep, PackDep, ToolsDep
from zhicheng_experts.expert import service
from zhicheng_experts.expert.errors import UnsupportedImportType
from zhicheng_experts.expert.files import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, format_of
from zhicheng_experts.expert.schemas import (
    AccountLink,
    ExpertCreate,
    ExpertPage,
    ExpertRead,
    ExpertStatus,
    ExpertUpdate,
    ImportReport,
    StatusChange,
)
from zhicheng_experts.settings import AREA

EXPERT_INVALID = problem_doc("系列、专业或职称与目录不符 (expert_invalid)")
OUTSIDE_JURISDICTION = problem_doc("不在管辖范围 (outside_jurisdiction)")
TERM_TOO_LONG_OR_EXISTS = problem_doc("聘期超过政策规定 (term_too_long, EX-3) 或专家已在库中 (expert_exists)")
IMPORT_TYPE_NOT_SUPPORTED = problem_doc("不是 CSV 或 xlsx (import_type_not_supported)")
IMPORT_ROWS_INVALID = problem_doc("有错误行，未导入任何专家；errors[] 逐行列出 (import_rows_invalid)")
NO_EXPERT_RECORD = problem_doc("本账号未关联专家记录 (no_expert_record)")
EXPERT_NOT_FOUND = problem_doc("专家不存在 (expert_not_found)")
FIELDS_INVALID = problem_doc("专业或职称与目录不符 (expert_invalid)")
TERM_TOO_LONG = problem_doc("聘期超过政策规定 (term_too_long, EX-3)")
ACCOUNT_ALREADY_LINKED = problem_doc("账号已关联其他专家 (account_already_linked)")

router = APIRouter(prefix=f"/{AREA}", tags=["experts"])


@router.post(
    "/experts",
    status_code=201,
    summary="录入专家 (committee_office, hr_admin, province_admin)",
    responses={400: EXPERT_INVALID, 403: OUTSIDE_JURISDICTION, 409: TERM_TOO_LONG_OR_EXISTS},
)
async def create_expert(
    expert_in: ExpertCreate, session: SessionDep, principal: ExpertAdmin, pack: PackDep, tools: ToolsDep
) -> ExpertRead:
    """Enter one expert; the resident ID and credit code are stored encrypted with their keyed hashes."""
    expert = await service.create_expert(session, actor=principal, expert_in=expert_in, pack=pack, tools=tools)
    return await service.read_of(session, expert)


@router.post(
    "/experts/imports",
    status_code=201,
    summary="批量导入专家 (CSV or xlsx as the body)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "CSV（UTF-8 或 GB18030）或 xlsx 文件；第1行为表头（代码或中文列名），行号按表格显示",
            "content": {
                CSV_MEDIA_TYPE: {
                    "schema": {"type": "string"},
                    "example": "姓名,身份证号,工作单位,统一社会信用代码,单位性质,职称系列,专业,职称级别,行政区划,"
                    "聘期开始,聘期结束\n"
                    "王建国,140105197001010017,山西省电力勘测设计院,12140000405201379W,事业单位,engineering,"
                    "electrical,正高级,140100,2025-01-01,2027-12-31\n",
                },
                XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
    responses={415: IMPORT_TYPE_NOT_SUPPORTED, 422: IMPORT_ROWS_INVALID},
)
async def import_experts(
    request: Request,
    session: SessionDep,
    principal: ExpertAdmin,
    pack: PackDep,
    tools: ToolsDep,
    accept_valid_rows: Annotated[
        bool, Query(description="有错误行时仍导入正确的行（默认：有任何错误则不导入）")
    ] = False,
) -> ImportReport:
    """Import experts from a file: every row checked as on entry; a report names each bad row."""
    file_format = format_of(request.headers.get("content-type", ""))
    if file_format is None:
        raise UnsupportedImportType(f"Content-Type 应为 {CSV_MEDIA_TYPE} 或 {XLSX_MEDIA_TYPE}")
    return await service.import_experts(
        session,
        actor=principal,
        data=await request.body(),
        file_format=file_format,
        accept_valid_rows=accept_valid_rows,
        pack=pack,
        tools=tools,
    )


@router.get(
    "/experts/export",
    summary="导出专家库 (CSV or xlsx; identifiers masked)",
    response_class=Response,
    responses={
        200: {
            "description": "专家名单文件（身份证号码与信用代码为掩码）",
            "content": {
                CSV_MEDIA_TYPE: {"schema": {"type": "string"}},
                XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def export_experts(
    session: SessionDep,
    principal: ExpertReader,
    file_format: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
    series: str | None = None,
    status: ExpertStatus | None = None,
) -> Response:
    """The experts of the caller's jurisdiction as a file (journaled as a read of personal data)."""
    body = await service.export_experts(session, actor=principal, file_format=file_format, series=series, status=status)
    media_type = CSV_MEDIA_TYPE + "; charset=utf-8" if file_format == "csv" else XLSX_MEDIA_TYPE
    headers = {"Content-Disposition": f'attachment; filename="experts.{file_format}"'}
    return Response(content=body, media_type=media_type, headers=headers)


@router.get("/experts", summary="专家列表 (experts in my jurisdiction)")
async def list_experts(
    session: SessionDep,
    principal: ExpertReader,
    page: Paging,
    series: str | None = None,
    specialty: str | None = None,
    status: ExpertStatus | None = None,
) -> ExpertPage:
    """Experts of the caller's jurisdiction by series, specialty and status, by name."""
    rows, total = await service.list_experts(
        session,
        actor=principal,
        series=series,
        status=status,
        specialty=specialty,
        limit=page.limit,
        offset=page.offset,
    )
    return ExpertPage(items=await service.reads_of(session, rows), total=total, limit=page.limit, offset=page.offset)


@router.get("/experts/me", summary="本人专家信息 (the expert signed in)", responses={404: NO_EXPERT_RECORD})
async def my_record(session: SessionDep, principal: ExpertSelf) -> ExpertRead:
    """The expert record linked to the caller's account."""
    return await service.read_of(session, await service.own_expert(session, actor=principal))


@router.get("/experts/{expert_id}", summary="查看专家", responses={403: OUTSIDE_JURISDICTION, 404: EXPERT_NOT_FOUND})
async def read_expert(expert_id: uuid.UUID, session: SessionDep, principal: ExpertReader) -> ExpertRead:
    """One expert with terms and relationships (journaled as a read of personal data)."""
    return await service.read_of(session, await service.get_expert(session, actor=principal, expert_id=expert_id))


@router.patch(
    "/experts/{expert_id}",
    summary="修改专家信息",
    responses={400: FIELDS_INVALID, 404: EXPERT_NOT_FOUND, 409: TERM_TOO_LONG},
)
async def update_expert(
    expert_id: uuid.UUID,
    expert_in: ExpertUpdate,
    session: SessionDep,
    principal: ExpertAdmin,
    pack: PackDep,
    tools: ToolsDep,
) -> ExpertRead:
    """Change unit, specialties, title, contact, terms or relationships (a list given replaces the old one)."""
    expert = await service.update_expert(
        session, actor=principal, expert_id=expert_id, expert_in=expert_in, pack=pack, tools=tools
    )
    return await service.read_of(session, expert)


@router.put("/experts/{expert_id}/status", summary="暂停、取消或恢复专家资格", responses={404: EXPERT_NOT_FOUND})
async def change_status(
    expert_id: uuid.UUID, change: StatusChange, session: SessionDep, principal: ExpertAdmin, now: NowDep
) -> ExpertRead:
    """Set the expert's status with the reason (journaled)."""
    expert = await service.change_status(session, actor=principal, expert_id=expert_id, change=change, now=now)
    return await service.read_of(session, expert)


@router.put(
    "/experts/{expert_id}/account",
    summary="关联专家的登录账号 (role expert)",
    responses={404: EXPERT_NOT_FOUND, 409: ACCOUNT_ALREADY_LINKED},
)
async def link_account(
    expert_id: uuid.UUID, link: AccountLink, session: SessionDep, principal: ExpertAdmin, now: NowDep
) -> ExpertRead:
    """Link the gateway account the expert signs in with (its token subject)."""
    expert = await service.link_account(session, actor=principal, expert_id=expert_id, link=link, now=now)
    return await service.read_of(session, expert)
