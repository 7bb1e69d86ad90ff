"""Who may call what at the gateway: scope aliases and the gateway's token verifier.

Routes are authenticated by default. The gateway's public routes are exactly ``PUBLIC_ROUTES``
(plus the forwarded prefixes of ``ZC_GATEWAY_PUBLIC_PATH_PREFIXES``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated

import jwt
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from zhicheng_common.auth import CurrentPrincipal, Principal, Role, TokenIssuer, TokenVerifier, require_roles
from zhicheng_common.limits import RateRule
from zhicheng_common.problems import NotAuthenticated, ProblemError, problem_response
from zhicheng_common.settings import CommonSettings
from zhicheng_gateway.keys.auth import carries_key
from zhicheng_gateway.proxy import is_public_path
from zhicheng_gateway.settings import GatewaySettings
from zhicheng_gateway.verify.page import PAGE_PATH

#: Routes of the gateway that need no token (documentation; each route also says so itself).
PUBLIC_ROUTES: tuple[str, ...] = (
    "POST /api/v1/auth/token",
    "GET /api/v1/auth/jwks",
    "GET /.well-known/openid-configuration",
    "GET /api/v1/healthz",
    "GET /api/v1/openapi.json",
    "GET /api/v1/gateway/openapi.json",
    "GET /api/v1/docs",
    "GET /api/v1/feeds/catalog",
    "GET /api/v1/feeds/keys",
    "POST /api/v1/verify/by-number",
    "POST /api/v1/verify/by-token",
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
)

#: Reference data for front ends (``zhicheng_gateway.reference``): public reads, GET and HEAD.
PUBLIC_READ_PREFIX = "/api/v1/reference/"

#: Any verified caller.
Authenticated = CurrentPrincipal
#: May create users (within their region, with the roles ``domain.GRANTABLE_BY`` allows).
UserAdmin = Annotated[Principal, require_roles(Role.PROVINCE_ADMIN, Role.HR_ADMIN)]
#: May read users within their region (a user's own account is open to that user via ``/users/me``).
UserReader = Annotated[Principal, require_roles(Role.PROVINCE_ADMIN, Role.HR_ADMIN, Role.AUDITOR)]

#: May read and move the deployment's controlled clock (docs/clock.md): the platform's administrators.
ClockOperator = Annotated[Principal, require_roles(Role.PROVINCE_ADMIN)]


class GatewayTokenVerifier(TokenVerifier):
    """Trusts the gateway's own key ring as well as the configured JWKS (``ZC_JWT_JWKS*``).

    The gateway verifies the tokens it issues without calling itself over HTTP, whatever the
    configured JWKS source; tokens of other issuers' keys go through the configured verifier.
    """

    def __init__(self, settings: CommonSettings, *, issuer: TokenIssuer) -> None:
        super().__init__(settings)
        own = settings.model_copy(
            update={"jwt_jwks": json.dumps(issuer.jwks()), "jwt_jwks_file": None, "jwt_jwks_url": None}
        )
        self._own = TokenVerifier(own)
        self._own_kids = issuer.key_ids

    async def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            kid = None
        if kid in self._own_kids:
            return await self._own._verify(token)
        return await super()._verify(token)


LOGIN_ROUTE = "POST /api/v1/auth/token"
_PUBLIC_ROUTES = frozenset(PUBLIC_ROUTES)


def is_public_request(method: str, path: str, public_prefixes: Sequence[str]) -> bool:
    """Whether a request needs no token: a public route, a public read, a public prefix, outside /api/v1."""
    return (
        not path.startswith("/api/v1/")
        or f"{method} {path}" in _PUBLIC_ROUTES
        or (method == "HEAD" and f"GET {path}" in _PUBLIC_ROUTES)
        or (method in ("GET", "HEAD") and (path + "/").startswith(PUBLIC_READ_PREFIX))
        or is_public_path(path, public_prefixes)
    )


def public_rate_rules(settings: GatewaySettings) -> list[RateRule]:
    """The login's rate, then every other public request's (the probes outside /api/v1 excepted)."""
    prefixes = tuple(settings.public_path_prefixes)
    return [
        RateRule(
            "login",
            lambda method, path: f"{method} {path}" == LOGIN_ROUTE,
            settings.login_rate_per_minute,
            settings.login_rate_burst,
        ),
        RateRule(
            "public",
            # The /verify page too: it asks the certificates service on every lookup it cannot answer.
            lambda method, path: (
                (path.startswith("/api/v1/") and is_public_request(method, path, prefixes)) or path == PAGE_PATH
            ),
            settings.public_rate_per_minute,
            settings.public_rate_burst,
        ),
    ]


class AuthenticateFirst:
    """Verify the caller's token before anything reads the request body (issue 11 §3).

    FastAPI reads and parses a route's body before its dependencies run, so without this an
    anonymous client could make the gateway read a body up to the size limit on every
    authenticated route just to be told 401. Only a request that carries a body is checked here:
    one without a body costs nothing to refuse later, and routing answers it first (405 for an
    undeclared method, 404 for an unknown area). Public routes (``PUBLIC_ROUTES``, the public
    reads under ``PUBLIC_READ_PREFIX``, the configured public prefixes, everything outside
    ``/api/v1``) pass untouched; the verified principal is remembered by the verifier, so the
    route's own check costs a dictionary lookup.
    """

    def __init__(self, app: ASGIApp, *, public_prefixes: Sequence[str]) -> None:
        self.app = app
        self.public_prefixes = tuple(public_prefixes)
        self.public_routes = frozenset(PUBLIC_ROUTES)

    def is_public(self, method: str, path: str) -> bool:
        return is_public_request(method, path, self.public_prefixes)

    @staticmethod
    def carries_body(scope: Scope) -> bool:
        """Whether a body may follow: a length above 0, a chunked transfer, or a body method without a length.

        HTTP/1.1 sends a body only with a length or a transfer coding; a POST, PUT or PATCH
        without either is still treated as carrying one, so an ASGI server that leaves both
        out (HTTP/2) cannot slip an unauthenticated body past this check.
        """
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        if "transfer-encoding" in headers:
            return True
        if length is not None:
            return length.strip() not in ("", "0")
        return scope.get("method", "") in ("POST", "PUT", "PATCH")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not self.carries_body(scope)
            or self.is_public(scope.get("method", ""), scope.get("path", ""))
        ):
            await self.app(scope, receive, send)
            return
        if carries_key(Headers(scope=scope)):
            # An agency's API key instead of a token: admitted (and counted) here, remembered
            # for the route's own check (zhicheng_gateway.keys.auth).
            try:
                await scope["app"].state.key_authenticator(Request(scope))
            except ProblemError as refused:
                await problem_response(refused.to_problem(), refused.headers)(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        authorization = Headers(scope=scope).get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        try:
            if scheme.lower() != "bearer" or not token.strip():
                raise NotAuthenticated("请求未携带令牌（Authorization: Bearer …）", code="token_missing")
            verifier: TokenVerifier = scope["app"].state.token_verifier
            await verifier.verify(token.strip())
        except NotAuthenticated as refused:
            response = problem_response(refused.to_problem(), {"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
