"""Routes of the status feature: revoke, suspend, reinstate (HR decisions) and the public status lists."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_certificates.auth import CertificateAdmin
from zhicheng_certificates.certificate.api import to_read
from zhicheng_certificates.certificate.errors import CertificateNotFound
from zhicheng_certificates.certificate.repository import CertificateRepository
from zhicheng_certificates.certificate.schemas import CertificateRead
from zhicheng_certificates.deps import CertificatesContext, ContextDep, NowDep
from zhicheng_certificates.settings import AREA
from zhicheng_certificates.status import service
from zhicheng_certificates.status.domain import Action, StatusPurpose
from zhicheng_certificates.status.schemas import Reinstatement, Revocation, Suspension
from zhicheng_common.api import SessionDep
from zhicheng_common.auth import PUBLIC_ROUTE, Principal
from zhicheng_common.problems import problem_docs

router = APIRouter(prefix=f"/{AREA}", tags=["certificate status"])
public = APIRouter(prefix=f"/{AREA}/public", tags=["certificate status"], dependencies=[PUBLIC_ROUTE])

_CHANGE_DOCS = problem_docs(
    {
        403: "不在管辖范围 (outside_jurisdiction)",
        404: "证书不存在 (certificate_not_found)",
        409: "当前状态不允许此操作 (status_transition)",
    }
)


async def _decide(
    session: AsyncSession,
    *,
    context: CertificatesContext,
    number: str,
    action: Action,
    decision: Revocation | Suspension | Reinstatement,
    principal: Principal,
    now: NowDep,
) -> CertificateRead:
    row = await CertificateRepository(session).by_number(number.strip().upper(), for_update=True)
    if row is None or not principal.covers(row.region):
        raise CertificateNotFound("证书不存在或不在您的管辖范围")
    await service.change_status(
        session,
        context=context,
        certificate=row,
        action=action,
        reason_category=decision.reason_category,
        reason=decision.reason,
        record_id=None,
        actor=principal,
        now=now,
    )
    return to_read(context, row)


@router.post(
    "/certificates/{number}/revocation",
    summary="撤销证书 (HR decision, with a reason category)",
    responses=_CHANGE_DOCS,
)
async def revoke(
    number: str, body: Revocation, session: SessionDep, principal: CertificateAdmin, context: ContextDep, now: NowDep
) -> CertificateRead:
    """Revoke a certificate (permanent); verification says revoked at once, the status list from its next read."""
    return await _decide(
        session, context=context, number=number, action="revoke", decision=body, principal=principal, now=now
    )


@router.post("/certificates/{number}/suspension", summary="暂停证书 (HR decision)", responses=_CHANGE_DOCS)
async def suspend(
    number: str, body: Suspension, session: SessionDep, principal: CertificateAdmin, context: ContextDep, now: NowDep
) -> CertificateRead:
    """Suspend a valid certificate until it is reinstated."""
    return await _decide(
        session, context=context, number=number, action="suspend", decision=body, principal=principal, now=now
    )


@router.post("/certificates/{number}/reinstatement", summary="恢复证书 (HR decision)", responses=_CHANGE_DOCS)
async def reinstate(
    number: str, body: Reinstatement, session: SessionDep, principal: CertificateAdmin, context: ContextDep, now: NowDep
) -> CertificateRead:
    """Reinstate a suspended certificate."""
    return await _decide(
        session, context=context, number=number, action="reinstate", decision=body, principal=principal, now=now
    )


@public.get(
    "/status/{purpose}",
    summary="证书状态列表 (W3C Bitstring Status List credential; public, ETag)",
    response_class=Response,
    responses={
        200: {
            "description": "the signed BitstringStatusListCredential",
            "content": {"application/vc+json": {"schema": {"type": "object"}}},
        },
        304: {"description": "unchanged since the ETag given in If-None-Match"},
    },
)
async def status_list(
    purpose: StatusPurpose,
    session: SessionDep,
    context: ContextDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The revocation or suspension list: revalidate with If-None-Match (a change gives a new ETag at once)."""
    published = await service.published_list(session, context=context, purpose=purpose)
    headers = {"ETag": published.etag, "Cache-Control": "public, no-cache"}
    if if_none_match is not None and published.etag in {tag.strip() for tag in if_none_match.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(content=published.body, media_type="application/vc+json", headers=headers)
