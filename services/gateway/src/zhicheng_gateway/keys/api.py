"""Routes of the API keys: administrators issue, list, rotate and revoke; a key holder reads its own."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from zhicheng_common.api import SessionDep
from zhicheng_common.auth import CurrentKeyHolder, Principal, Role, require_roles
from zhicheng_common.clock import Clock
from zhicheng_common.problems import problem_docs
from zhicheng_gateway.keys import service
from zhicheng_gateway.keys.schemas import (
    ApiKeyCreate,
    ApiKeyIssued,
    ApiKeyPage,
    ApiKeyRead,
    ApiKeyRotate,
    ApiKeyUsageRead,
    ApiKeyUsageWindow,
)
from zhicheng_gateway.settings import GatewaySettings

#: May issue and manage the keys of its jurisdiction.
KeyAdmin = Annotated[Principal, require_roles(Role.PROVINCE_ADMIN, Role.HR_ADMIN)]

router = APIRouter(prefix="/api-keys", tags=["api-keys"])

NOT_FOUND = {404: "不存在或不在管辖范围 (api_key_not_found)"}


def _settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.gateway_settings
    return settings


def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


@router.post(
    "",
    status_code=201,
    summary="签发 API 密钥 (province_admin, hr_admin; the secret is shown once)",
    responses=problem_docs(
        {400: "未知的权限范围 (bad_api_key_request)", 403: "地区不在管辖范围 (outside_jurisdiction)"}
    ),
)
async def issue_key(key_in: ApiKeyCreate, request: Request, session: SessionDep, principal: KeyAdmin) -> ApiKeyIssued:
    """Issue a key for an agency or third party in the caller's jurisdiction; store only its hash."""
    key, secret = await service.issue_key(session, actor=principal, key_in=key_in, settings=_settings(request))
    return ApiKeyIssued(key=ApiKeyRead.model_validate(key), secret=secret)


@router.get("", summary="API 密钥列表 (keys in my jurisdiction)")
async def list_keys(session: SessionDep, principal: KeyAdmin) -> ApiKeyPage:
    """The keys whose region lies within the caller's, oldest first; never a secret."""
    keys = await service.list_keys(session, actor=principal)
    return ApiKeyPage(items=[ApiKeyRead.model_validate(k) for k in keys], total=len(keys))


@router.get(
    "/me",
    summary="本密钥 (the calling key itself; X-API-Key)",
    responses=problem_docs(
        {401: "密钥无效、已吊销或已轮换 (api_key_*)", 429: "超过配额 (quota_exceeded; Retry-After)"}
    ),
)
async def read_own_key(session: SessionDep, principal: CurrentKeyHolder) -> ApiKeyRead:
    """The key the call is made with: its scopes, region and quota."""
    return ApiKeyRead.model_validate(await service.own_key(session, caller=principal))


@router.get("/{key_id}", summary="查看 API 密钥", responses=problem_docs(NOT_FOUND))
async def read_key(key_id: uuid.UUID, session: SessionDep, principal: KeyAdmin) -> ApiKeyRead:
    """One key of the caller's jurisdiction."""
    return ApiKeyRead.model_validate(await service.readable_key(session, actor=principal, key_id=key_id))


@router.post(
    "/{key_id}/rotate",
    summary="轮换 API 密钥 (new secret; the old one works until the overlap ends)",
    responses=problem_docs({**NOT_FOUND, 400: "已吊销 (api_key_revoked)"}),
)
async def rotate_key(
    key_id: uuid.UUID, body: ApiKeyRotate, request: Request, session: SessionDep, principal: KeyAdmin
) -> ApiKeyIssued:
    """Give the key a new secret (shown once); the previous one is accepted for `overlap_seconds` more."""
    key, secret = await service.rotate_key(
        session,
        actor=principal,
        key_id=key_id,
        overlap_seconds=body.overlap_seconds,
        now=_clock(request).now(),
        settings=_settings(request),
    )
    return ApiKeyIssued(key=ApiKeyRead.model_validate(key), secret=secret)


@router.post("/{key_id}/revoke", summary="吊销 API 密钥 (at once, every secret)", responses=problem_docs(NOT_FOUND))
async def revoke_key(key_id: uuid.UUID, request: Request, session: SessionDep, principal: KeyAdmin) -> ApiKeyRead:
    """Revoke the key: every call with any of its secrets gets 401 from now on."""
    key = await service.revoke_key(session, actor=principal, key_id=key_id, now=_clock(request).now())
    return ApiKeyRead.model_validate(key)


@router.get("/{key_id}/usage", summary="API 密钥调用计数 (calls per window)", responses=problem_docs(NOT_FOUND))
async def key_usage(
    key_id: uuid.UUID,
    session: SessionDep,
    principal: KeyAdmin,
    windows: Annotated[int, Query(ge=1, le=1000, description="how many recent windows")] = 24,
) -> ApiKeyUsageRead:
    """Every call of the key, counted per quota window, refused calls included."""
    key, rows, calls, refused = await service.key_usage(session, actor=principal, key_id=key_id, limit=windows)
    return ApiKeyUsageRead(
        key_id=key.id, calls=calls, refused=refused, windows=[ApiKeyUsageWindow.model_validate(r) for r in rows]
    )


routers: list[APIRouter] = [router]
