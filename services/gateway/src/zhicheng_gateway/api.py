"""Routes of the gateway: sign-in and keys, users, system health, the merged API document, and the
catch-all that forwards every domain area to its service (registered last, so these routes win)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import OAuth2PasswordRequestForm
from nats.js.client import JetStreamContext

from zhicheng_common.api import SessionDep, journal_router
from zhicheng_common.app import ServiceRuntime
from zhicheng_common.auth import PUBLIC_ROUTE, TokenIssuer, current_principal
from zhicheng_common.clock import Clock, ClockMoveRefused, ClockState, SystemClock, advance_by, set_to
from zhicheng_common.clock_store import move_clock, read_clock
from zhicheng_common.paging import Paging
from zhicheng_common.pii import PiiCipher
from zhicheng_common.problems import problem_docs
from zhicheng_gateway import service
from zhicheng_gateway.auth import Authenticated, ClockOperator, UserAdmin, UserReader
from zhicheng_gateway.errors import ClockBackwards, ClockNotControlled, UnknownArea, UpstreamUnavailable
from zhicheng_gateway.openapi import OpenApiCache, merge_documents
from zhicheng_gateway.proxy import Upstreams, is_public_path
from zhicheng_gateway.schemas import (
    ClockMove,
    ClockRead,
    Jwks,
    OpenIdConfiguration,
    SystemHealth,
    Token,
    UserBindings,
    UserCreate,
    UserPage,
    UserRead,
)
from zhicheng_gateway.settings import AREA, GatewaySettings

API_TITLE = "职称评审 Zhicheng API"


# ``async def``: FastAPI runs a plain ``def`` dependency in the thread pool, a thread hop per request.
async def _settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.gateway_settings
    return settings


async def _issuer(request: Request) -> TokenIssuer:
    issuer: TokenIssuer = request.app.state.token_issuer
    return issuer


async def _upstreams(request: Request) -> Upstreams:
    upstreams: Upstreams = request.app.state.upstreams
    return upstreams


async def _passwords(request: Request) -> service.Passwords:
    passwords: service.Passwords = request.app.state.passwords
    return passwords


SettingsDep = Annotated[GatewaySettings, Depends(_settings)]
IssuerDep = Annotated[TokenIssuer, Depends(_issuer)]
UpstreamsDep = Annotated[Upstreams, Depends(_upstreams)]
PasswordsDep = Annotated[service.Passwords, Depends(_passwords)]


def _cipher(request: Request) -> PiiCipher:
    cipher: PiiCipher = request.app.state.pii_cipher
    return cipher


def _now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock.now()


CipherDep = Annotated[PiiCipher, Depends(_cipher)]
NowDep = Annotated[datetime, Depends(_now)]


def _public_base(request: Request, settings: GatewaySettings) -> str:
    return (settings.public_url or str(request.base_url)).rstrip("/")


# --- sign-in and keys (public) -------------------------------------------------------------------

auth_router = APIRouter(prefix="/auth", tags=["auth"])


@auth_router.post(
    "/token",
    summary="签发令牌 (OAuth2 password grant; public)",
    dependencies=[PUBLIC_ROUTE],
    responses=problem_docs({401: "用户名或密码错误 (code invalid_credentials)"}),
)
async def issue_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    issuer: IssuerDep,
    settings: SettingsDep,
    passwords: PasswordsDep,
) -> Token:
    """Public: exchange a username and password (form fields) for a bearer token."""
    user = await service.authenticate(session, username=form.username, password=form.password, passwords=passwords)
    token = issuer.issue(service.principal_of(user), ttl_seconds=settings.token_ttl_seconds)
    return Token(access_token=token, expires_in=settings.token_ttl_seconds)


@auth_router.get("/jwks", summary="公钥 (JWKS; public)", dependencies=[PUBLIC_ROUTE])
async def jwks(issuer: IssuerDep) -> Jwks:
    """Public: the keys that verify the gateway's tokens."""
    return Jwks(**issuer.jwks())


discovery_router = APIRouter(tags=["auth"])


@discovery_router.get(
    "/.well-known/openid-configuration", summary="OIDC 发现文档 (public)", dependencies=[PUBLIC_ROUTE]
)
async def openid_configuration(request: Request, issuer: IssuerDep, settings: SettingsDep) -> OpenIdConfiguration:
    """Public: where the issuer's keys and token endpoint are (OpenID Connect Discovery)."""
    base = _public_base(request, settings)
    return OpenIdConfiguration(
        issuer=issuer.issuer, jwks_uri=f"{base}/api/v1/auth/jwks", token_endpoint=f"{base}/api/v1/auth/token"
    )


# --- users ---------------------------------------------------------------------------------------

users_router = APIRouter(prefix="/users", tags=["users"])


@users_router.post(
    "",
    status_code=201,
    summary="创建用户 (province_admin, hr_admin)",
    responses=problem_docs(
        {
            403: "角色不可授予或地区不在管辖范围 (role_not_grantable, outside_jurisdiction)",
            409: "用户名已被使用 (username_taken)",
        }
    ),
)
async def create_user(
    user_in: UserCreate, session: SessionDep, principal: UserAdmin, passwords: PasswordsDep
) -> UserRead:
    """Create a user in the caller's jurisdiction with roles the caller may grant."""
    user = await service.create_user(session, actor=principal, user_in=user_in, passwords=passwords)
    return UserRead.model_validate(user)


@users_router.get("", summary="用户列表 (users in my jurisdiction)")
async def list_users(
    session: SessionDep,
    principal: UserReader,
    page: Paging,
) -> UserPage:
    """Users whose region lies within the caller's, ordered by username."""
    users, total = await service.list_users(session, actor=principal, limit=page.limit, offset=page.offset)
    return UserPage(
        items=[UserRead.model_validate(u) for u in users], total=total, limit=page.limit, offset=page.offset
    )


@users_router.get("/me", summary="当前用户 (my own account)", responses=problem_docs({404: "账号不在本网关"}))
async def read_me(session: SessionDep, principal: Authenticated) -> UserRead:
    """The caller's own account (404 for a token of another identity provider)."""
    try:
        user_id = uuid.UUID(principal.subject)
    except ValueError:
        user_id = uuid.UUID(int=0)
    user = await service.get_user(session, actor=principal, user_id=user_id)
    return UserRead.model_validate(user)


@users_router.put(
    "/{user_id}/bindings",
    summary="绑定身份、单位、部门或评审委员会 (staff, after checking identity)",
    responses=problem_docs({403: "不在管辖范围 (outside_jurisdiction)", 404: "用户不存在 (user_not_found)"}),
)
async def bind_user(
    user_id: uuid.UUID,
    bindings_in: UserBindings,
    session: SessionDep,
    principal: UserAdmin,
    cipher: CipherDep,
    now: NowDep,
) -> UserRead:
    """Bind an account to a checked identity, its unit, department or committees; new tokens carry them."""
    user = await service.bind_user(
        session, actor=principal, user_id=user_id, bindings_in=bindings_in, cipher=cipher, now=now
    )
    return UserRead.model_validate(user)


@users_router.get(
    "/{user_id}",
    summary="查看用户 (one user)",
    responses=problem_docs({403: "不在管辖范围 (outside_jurisdiction)", 404: "用户不存在 (user_not_found)"}),
)
async def read_user(user_id: uuid.UUID, session: SessionDep, principal: UserReader) -> UserRead:
    """One user; 403 when their region is outside the caller's jurisdiction."""
    user = await service.get_user(session, actor=principal, user_id=user_id)
    return UserRead.model_validate(user)


# --- system: the deployment's clock (operators; docs/clock.md) ---------------------------------

clock_router = APIRouter(prefix="/system/clock", tags=["system"])


def _clock_read(mode: str, state: ClockState, real: datetime) -> ClockRead:
    return ClockRead(
        mode="controlled" if mode == "controlled" else "system",
        now=state.now(real),
        real=real,
        offset_seconds=state.offset_seconds,
        revision=state.revision,
        moved_at=state.moved_at,
        moved_by=state.moved_by,
    )


def _clock_js(request: Request) -> tuple[ServiceRuntime, JetStreamContext]:
    runtime: ServiceRuntime = request.app.state.runtime
    if runtime.js is None:
        raise UpstreamUnavailable("消息服务（NATS）暂不可用，无法读取或调整时钟")
    return runtime, runtime.js


@clock_router.get(
    "", summary="系统时钟 (the time every service reads)", responses=problem_docs({503: "NATS unavailable"})
)
async def show_clock(request: Request, principal: ClockOperator) -> ClockRead:
    """The deployment's time: with `ZC_CLOCK=controlled`, the shared offset every service follows."""
    runtime: ServiceRuntime = request.app.state.runtime
    if runtime.common.clock != "controlled":
        return _clock_read("system", ClockState(), SystemClock().now())
    _, js = _clock_js(request)
    return _clock_read("controlled", await read_clock(js, runtime.common), SystemClock().now())


@clock_router.put(
    "",
    summary="调整系统时钟 (set or advance the controlled clock)",
    responses=problem_docs({409: "not a controlled clock, or backwards without force", 503: "NATS unavailable"}),
)
async def move_clock_route(request: Request, body: ClockMove, principal: ClockOperator) -> ClockRead:
    """Staging only: set the controlled time or move it forward; every service follows within moments
    and its scheduler runs what became due. Backwards only with `force`."""
    runtime, js = _clock_js(request)
    if runtime.common.clock != "controlled":
        raise ClockNotControlled("本部署使用系统时钟（ZC_CLOCK=system），不能调整")
    by = principal.name or principal.subject

    def move(state: ClockState, real: datetime) -> ClockState:
        if body.to is not None:
            return set_to(state, target=body.to, real=real, by=by, force=body.force)
        assert body.advance is not None
        return advance_by(state, delta=body.advance, real=real, by=by, force=body.force)

    try:
        state = await move_clock(js, runtime.common, move)
    except ClockMoveRefused as exc:
        raise ClockBackwards(
            f"时钟不能倒退：{exc.target.isoformat()} 早于当前时间 {exc.current.isoformat()}（确需倒退请设 force）"
        ) from None
    return _clock_read("controlled", state, SystemClock().now())


# --- system: health of everything, one API document (public) ------------------------------------

system_router = APIRouter(tags=["health"], dependencies=[PUBLIC_ROUTE])


@system_router.get(
    "/healthz",
    summary="全系统就绪检查 (public)",
    dependencies=[PUBLIC_ROUTE],
    response_model=SystemHealth,
    responses={503: {"model": SystemHealth, "description": "at least one service is not ready"}},
)
async def system_health(request: Request, upstreams: UpstreamsDep) -> JSONResponse:
    """Public: readiness of the gateway and of every domain service, asked concurrently."""
    runtime: ServiceRuntime = request.app.state.runtime
    own, services = await asyncio.gather(runtime.readiness(), upstreams.readiness())
    failing = ", ".join(f"{name} {state}" for name, state in own.items() if state != "ok")
    states = {"gateway": f"not ready: {failing}" if failing else "ready", **services}
    ready = all(state == "ready" for state in states.values())
    body = SystemHealth(status="all services ready" if ready else "degraded", services=states)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@system_router.get("/openapi.json", include_in_schema=False)
async def merged_openapi(request: Request, upstreams: UpstreamsDep) -> JSONResponse:
    """Public: one OpenAPI document for every area, cached briefly."""
    cache: OpenApiCache = request.app.state.openapi_cache

    async def build() -> dict[str, Any]:
        document = merge_documents(request.app.openapi(), await upstreams.openapi_documents(), title=API_TITLE)
        schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes["bearer"] = {
            "type": "oauth2",
            "flows": {"password": {"tokenUrl": "/api/v1/auth/token", "scopes": {}}},
        }
        document["security"] = [{"bearer": []}]
        return document

    return JSONResponse(await cache.get(build))


@system_router.get("/docs", include_in_schema=False)
async def docs(request: Request) -> HTMLResponse:
    """Public: the interactive documentation of the merged document."""
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(openapi_url=f"{root}/api/v1/openapi.json", title=API_TITLE)


# --- forwarding (must be included after every other router) -------------------------------------

# Public at this layer on purpose: ``forward`` verifies the token itself unless the path is one of
# the owning service's public prefixes, and the owning service checks it again (its own routes are
# walked by the same route-auth test).
proxy_router = APIRouter(dependencies=[PUBLIC_ROUTE])
PROXY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@proxy_router.api_route("/{area}", methods=PROXY_METHODS, include_in_schema=False)
@proxy_router.api_route("/{area}/{rest:path}", methods=PROXY_METHODS, include_in_schema=False)
async def forward(area: str, request: Request, upstreams: UpstreamsDep, settings: SettingsDep) -> Response:
    """Verify the caller's token (unless the path is public), then forward to the area's service."""
    upstream = upstreams.for_area(area)
    if upstream is None:
        raise UnknownArea(f"/api/v1/{area} 不是已知的接口区域")
    if not is_public_path(request.url.path, settings.public_path_prefixes):
        await current_principal(request)
    return await upstreams.forward(request, upstream)


routers: list[APIRouter] = [auth_router, users_router, clock_router, system_router, journal_router(AREA)]
