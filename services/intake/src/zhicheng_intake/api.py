"""Routes of the intake service, mounted under ``/api/v1/declarations``."""

from __future__ import annotations

import base64
import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Request, Response, status

from zhicheng_common.api import SessionDep, journal_router
from zhicheng_common.paging import Paging
from zhicheng_common.problems import FieldError
from zhicheng_intake import service
from zhicheng_intake.auth import Authenticated, Deps, Now
from zhicheng_intake.errors import AttachmentTooLarge
from zhicheng_intake.schemas import (
    AttachmentRead,
    Da1Export,
    DeclarationCreate,
    DeclarationPage,
    DeclarationRead,
    DeclarationStatus,
    DeclarationUpdate,
    EligibilityReport,
    StatusHistory,
    WindowsPage,
    WithdrawIn,
)
from zhicheng_intake.settings import AREA

router = APIRouter(prefix=f"/{AREA}", tags=["declarations"])

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]


@router.get("/windows", summary="开放的申报窗口与评委会评审范围 (open windows and committee scopes)")
async def list_windows(session: SessionDep, principal: Authenticated) -> WindowsPage:
    """Approved committees, their filed scope and their declaration windows, as intake knows them."""
    return WindowsPage(items=await service.windows(session))


@router.get("/export/da1", summary="DA-1 职称信息采集导出 (export, paged)")
async def export_da1(
    session: SessionDep,
    principal: Authenticated,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    committee_id: Annotated[uuid.UUID | None, Query(description="only this committee's declarations")] = None,
    after: Annotated[uuid.UUID | None, Query(description="`next_after` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> Da1Export:
    """DA-1 fields of the declarations in the caller's jurisdiction (HR roles and auditors), one page at a time."""
    items, next_after = await service.export_da1(
        session, actor=principal, year=year, committee_id=committee_id, after=after, limit=limit
    )
    return Da1Export(items=items, next_after=next_after)


@router.post("", status_code=status.HTTP_201_CREATED, summary="保存申报草稿 (save a draft)")
async def create_declaration(
    declaration_in: DeclarationCreate,
    session: SessionDep,
    principal: Authenticated,
    deps: Deps,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> DeclarationRead:
    """Save a new draft; repeating a request with the same ``Idempotency-Key`` returns the same draft."""
    read, created = await service.create_draft(
        session, actor=principal, declaration_in=declaration_in, idempotency_key=idempotency_key, deps=deps, now=now
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return read


@router.get("", summary="申报列表 (declarations I may read)")
async def list_declarations(
    session: SessionDep,
    principal: Authenticated,
    deps: Deps,
    page: Paging,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    committee_id: uuid.UUID | None = None,
    status_: Annotated[DeclarationStatus | None, Query(alias="status")] = None,
    unit_credit_code: Annotated[str | None, Query(max_length=18)] = None,
    mine: bool = False,
) -> DeclarationPage:
    """Own declarations, a unit's, or a clerk's list by year, committee and status, within jurisdiction."""
    return await service.page(
        session,
        actor=principal,
        year=year,
        committee_id=committee_id,
        status=status_,
        unit_credit_code=unit_credit_code,
        mine=mine,
        offset=page.offset,
        limit=page.limit,
        deps=deps,
    )


@router.get("/{declaration_id}", summary="查看申报 (one declaration)")
async def get_declaration(
    declaration_id: uuid.UUID, session: SessionDep, principal: Authenticated, deps: Deps
) -> DeclarationRead:
    """One declaration; identifiers masked unless the caller's role needs them."""
    return await service.read(session, actor=principal, declaration_id=declaration_id, deps=deps)


@router.put("/{declaration_id}", summary="修改申报 (edit a draft or correct a returned declaration)")
async def update_declaration(
    declaration_id: uuid.UUID,
    declaration_in: DeclarationUpdate,
    session: SessionDep,
    principal: Authenticated,
    deps: Deps,
    now: Now,
) -> DeclarationRead:
    """Replace a draft; a returned declaration may change only the listed fields (RV-3)."""
    return await service.update(
        session, actor=principal, declaration_id=declaration_id, declaration_in=declaration_in, deps=deps, now=now
    )


@router.post("/{declaration_id}/submit", summary="提交申报 (submit: runs every eligibility rule)")
async def submit_declaration(
    declaration_id: uuid.UUID,
    session: SessionDep,
    principal: Authenticated,
    deps: Deps,
    now: Now,
    idempotency_key: IdempotencyKey = None,
) -> DeclarationRead:
    """Accept the declaration or refuse it with every failed rule at once (409 ``not_eligible``)."""
    return await service.submit(
        session, actor=principal, declaration_id=declaration_id, idempotency_key=idempotency_key, deps=deps, now=now
    )


@router.post("/{declaration_id}/check", summary="资格预检 (dry run of every eligibility rule)")
async def check_declaration(
    declaration_id: uuid.UUID, session: SessionDep, principal: Authenticated, deps: Deps, now: Now
) -> EligibilityReport:
    """Every rule the declaration fails today, without submitting it."""
    return await service.dry_run(session, actor=principal, declaration_id=declaration_id, deps=deps, now=now)


@router.post("/{declaration_id}/resubmit", summary="补正后重新提交 (resubmit after correction)")
async def resubmit_declaration(
    declaration_id: uuid.UUID, session: SessionDep, principal: Authenticated, deps: Deps, now: Now
) -> DeclarationRead:
    """Resubmit a returned declaration before its correction deadline (RV-3)."""
    return await service.resubmit(session, actor=principal, declaration_id=declaration_id, deps=deps, now=now)


@router.post("/{declaration_id}/withdraw", summary="撤回申报 (withdraw)")
async def withdraw_declaration(
    declaration_id: uuid.UUID, body: WithdrawIn, session: SessionDep, principal: Authenticated, deps: Deps, now: Now
) -> DeclarationRead:
    """The applicant withdraws the declaration before review decides."""
    return await service.withdraw(
        session, actor=principal, declaration_id=declaration_id, reason=body.reason, deps=deps, now=now
    )


@router.get("/{declaration_id}/history", summary="状态历史 (status history)")
async def declaration_history(
    declaration_id: uuid.UUID, session: SessionDep, principal: Authenticated
) -> StatusHistory:
    """Every status the declaration went through, with who and why."""
    return await service.history(session, actor=principal, declaration_id=declaration_id)


@router.post(
    "/{declaration_id}/attachments",
    status_code=status.HTTP_201_CREATED,
    summary="上传附件 (upload an attachment: the raw bytes as the body)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "附件原始字节；Content-Type 为文件类型（如 application/pdf），记录为附件的 media_type",
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    responses={413: {"description": "附件超过大小上限 (attachment_too_large)"}},
)
async def upload_attachment(
    declaration_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Authenticated,
    deps: Deps,
    now: Now,
    name: Annotated[str, Query(min_length=1, max_length=255, examples=["学历证书.pdf"])],
    kind: Annotated[
        str,
        Query(
            min_length=1,
            max_length=64,
            examples=["achievement_proof"],
            description=(
                "附件类别：参考数据 /api/v1/reference/attachment-kinds 的编号之一"
                "（其他编号 422 unknown_attachment_kind）"
            ),
        ),
    ],
) -> AttachmentRead:
    """Store an attachment (size limit from settings); its digest and size are recorded."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > deps.attachment_max_bytes:
        raise AttachmentTooLarge(
            f"附件 {declared} 字节，超过上限 {deps.attachment_max_bytes} 字节",
            errors=[FieldError(field="body", code="too_large", message=f"上限 {deps.attachment_max_bytes} 字节")],
        )
    # The allow-list (and the file's first bytes) decide in add_attachment: a missing, malformed or
    # overlong type is simply not on it (415), and nothing is stored.
    media_type = request.headers.get("content-type", "")
    data = await request.body()
    return await service.add_attachment(
        session,
        actor=principal,
        declaration_id=declaration_id,
        name=name,
        kind=kind,
        media_type=media_type,
        data=data,
        deps=deps,
        now=now,
    )


@router.get("/{declaration_id}/attachments", summary="附件列表 (attachments)")
async def list_attachments(
    declaration_id: uuid.UUID, session: SessionDep, principal: Authenticated
) -> list[AttachmentRead]:
    """Metadata of the declaration's attachments."""
    return await service.attachments(session, actor=principal, declaration_id=declaration_id)


@router.get(
    "/{declaration_id}/attachments/{attachment_id}",
    summary="下载附件 (download an attachment; its digest is checked)",
    response_class=Response,
    responses={
        200: {
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            "description": "the file as uploaded, with the Content-Type it was uploaded with",
        },
        404: {"description": "no such attachment of this declaration"},
        500: {"description": "the stored file is missing or does not match its digest (attachment_unavailable)"},
    },
)
async def download_attachment(
    declaration_id: uuid.UUID, attachment_id: uuid.UUID, session: SessionDep, principal: Authenticated, deps: Deps
) -> Response:
    """The file as uploaded, for the owner and the clerks and reviewers of its region (RV-1)."""
    attachment, data = await service.attachment_content(
        session, actor=principal, declaration_id=declaration_id, attachment_id=attachment_id, deps=deps
    )
    return Response(
        content=data,
        media_type=attachment.media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(attachment.name)}",
            "Digest": f"sha-256={base64.b64encode(bytes.fromhex(attachment.sha256)).decode()}",
            "Cache-Control": "private, no-store",
        },
    )


routers: list[APIRouter] = [journal_router(AREA), router]
