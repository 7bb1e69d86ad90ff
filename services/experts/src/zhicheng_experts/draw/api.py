"""Routes of the draw, mounted under ``/api/v1/experts``. Thin: the service decides.

Refused requests (409) are journaled in their own transaction before the problem is returned.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Any, TypeVar

from fastapi import APIRouter, Request

from zhicheng_common.api import SessionDep
from zhicheng_common.auth import CurrentPrincipal, Principal
from zhicheng_common.problems import problem_doc
from zhicheng_experts.deps import ToolsDep
from zhicheng_experts.draw import service
from zhicheng_experts.draw.errors import DrawRefused
from zhicheng_experts.draw.schemas import (
    CommitmentRead,
    DrawCreate,
    DrawPage,
    DrawRead,
    ReplacementCreate,
    SeedIn,
    SignatureCreate,
    SigningPayload,
)
from zhicheng_experts.settings import AREA

T = TypeVar("T")


FORBIDDEN = problem_doc(
    "角色或管辖范围不符 (outside_jurisdiction, not_committee_office, supervisor_required, panel_not_readable)"
)
REFUSED = problem_doc(
    "规则或抽取状态拒绝 (members_not_odd, too_few_members, draw_too_late, pool_too_small, redraw_needs_reason, "
    "commitment_revealed, already_signed, no_alternate_left…; `rule` 给出规则编号)；拒绝记录写入审计日志"
)
NOT_FOUND = problem_doc("抽取记录或评审会议不存在 (draw_not_found, meeting_not_open)")

SIGNATURE_INVALID = problem_doc("签名或公钥无效 (signature_invalid, public_key_invalid)")

router = APIRouter(prefix=f"/{AREA}", tags=["draws"])


async def _journaled(request: Request, actor: Principal, call: Awaitable[T]) -> T:
    try:
        return await call
    except DrawRefused as error:
        await service.journal_refusal(request.app.state.database, actor=actor, error=error)
        raise


@router.post(
    "/committees/{committee_id}/meetings/{meeting_id}/draws",
    status_code=201,
    summary="申请抽取专家 (freeze the pool and commit to a secret)",
    responses={403: FORBIDDEN, 404: NOT_FOUND, 409: REFUSED},
)
async def request_draw(
    committee_id: uuid.UUID,
    meeting_id: uuid.UUID,
    draw_in: DrawCreate,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    tools: ToolsDep,
) -> DrawRead:
    """The committee office asks for a draw (NA-1 size, EX-2 timing); the commitment is published."""
    return await _journaled(
        request,
        principal,
        service.request_draw(
            session, actor=principal, committee_id=committee_id, meeting_id=meeting_id, draw_in=draw_in, tools=tools
        ),
    )


@router.get(
    "/meetings/{meeting_id}/draws",
    summary="评审会议的抽取记录 (draws of a meeting, voided ones included)",
    responses={403: FORBIDDEN},
)
async def list_draws(meeting_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> DrawPage:
    """Every draw of the meeting: the committee office, HR supervisors and auditors only (NA-2)."""
    return await service.list_draws(session, actor=principal, meeting_id=meeting_id)


@router.get(
    "/draws/{draw_id}/commitment",
    summary="抽取承诺 (the published commitment and snapshot hash; no experts)",
    responses={404: NOT_FOUND},
)
async def read_commitment(draw_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> CommitmentRead:
    """What any signed-in caller may see before the draw: the commitment to the secret and the pool's hash."""
    return await service.get_commitment(session, draw_id=draw_id)


@router.get("/draws/{draw_id}", summary="查看抽取结果 (one draw, ids only)", responses={403: FORBIDDEN, 404: NOT_FOUND})
async def read_draw(draw_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> DrawRead:
    """One draw with its panel: the committee office, HR supervisors and auditors only (NA-2)."""
    return await service.get_draw(session, actor=principal, draw_id=draw_id)


@router.post(
    "/draws/{draw_id}/seed",
    summary="录入外部随机种子并抽取 (the supervisor's seed; the panel is derived)",
    responses={403: FORBIDDEN, 404: NOT_FOUND, 409: REFUSED},
)
async def enter_seed(
    draw_id: uuid.UUID,
    seed_in: SeedIn,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    tools: ToolsDep,
) -> DrawRead:
    """A supervisor enters the external seed; the secret is revealed and the panel derived (zc-draw-v1)."""
    return await _journaled(
        request, principal, service.enter_seed(session, actor=principal, draw_id=draw_id, seed_in=seed_in, tools=tools)
    )


@router.get(
    "/draws/{draw_id}/signing-payload",
    summary="待签名内容 (the bytes the calling drawer or supervisor signs)",
    responses={403: FORBIDDEN, 404: NOT_FOUND, 409: REFUSED},
)
async def signing_payload(
    draw_id: uuid.UUID, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> SigningPayload:
    """The canonical result with the caller's id and role, to sign with the caller's own Ed25519 key (EX-1)."""
    return await _journaled(request, principal, service.signing_payload(session, actor=principal, draw_id=draw_id))


@router.post(
    "/draws/{draw_id}/signatures",
    status_code=201,
    summary="抽取人员签名 (a drawer's or supervisor's signature, EX-1)",
    responses={400: SIGNATURE_INVALID, 403: FORBIDDEN, 409: REFUSED},
)
async def sign(
    draw_id: uuid.UUID,
    signature_in: SignatureCreate,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    tools: ToolsDep,
) -> DrawRead:
    """Store a verified signature; with the pack's number of signers the panel is published (experts.panel.drawn)."""
    return await _journaled(
        request,
        principal,
        service.sign(session, actor=principal, draw_id=draw_id, signature_in=signature_in, tools=tools),
    )


@router.post(
    "/draws/{draw_id}/replacements",
    status_code=201,
    summary="递补备选专家 (a member declined or is conflicted)",
    responses={403: FORBIDDEN, 404: NOT_FOUND, 409: REFUSED},
)
async def replace(
    draw_id: uuid.UUID,
    replacement_in: ReplacementCreate,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    tools: ToolsDep,
) -> DrawRead:
    """The next alternate of the specialty takes the seat, recorded with the reason, and is notified."""
    return await _journaled(
        request,
        principal,
        service.replace(session, actor=principal, draw_id=draw_id, replacement_in=replacement_in, tools=tools),
    )


@router.get(
    "/draws/{draw_id}/evidence",
    summary="抽取证据包 (the evidence pack, for zhicheng draw verify)",
    responses={
        200: {"description": "zc-draw-evidence-v1 (docs/expert-draw.md)"},
        403: FORBIDDEN,
        404: NOT_FOUND,
        409: REFUSED,
    },
)
async def evidence(
    draw_id: uuid.UUID, request: Request, session: SessionDep, principal: CurrentPrincipal, tools: ToolsDep
) -> dict[str, Any]:
    """The whole pack: snapshot, audit, commitment, secret, seed, result, signatures (NA-2 readers only)."""
    return await _journaled(
        request, principal, service.evidence(session, actor=principal, draw_id=draw_id, tools=tools)
    )
