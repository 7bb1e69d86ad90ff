"""Who may call what at the gateway: scope aliases and the gateway's token verifier.

Routes are authenticated by default. The gateway's public routes are exactly ``PUBLIC_ROUTES``
(plus the forwarded prefixes of ``ZC_GATEWAY_PUBLIC_PATH_PREFIXES``).
"""

from __future__ import annotations

import json
from typing import Annotated

import jwt

from zhicheng_common.auth import CurrentPrincipal, Principal, Role, TokenIssuer, TokenVerifier, require_roles
from zhicheng_common.settings import CommonSettings

#: Routes of the gateway that need no token (documentation; each route also says so itself).
PUBLIC_ROUTES: tuple[str, ...] = (
    "POST /api/v1/auth/token",
    "GET /api/v1/auth/jwks",
    "GET /.well-known/openid-configuration",
    "GET /api/v1/healthz",
    "GET /api/v1/openapi.json",
    "GET /api/v1/docs",
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
)

#: Any verified caller.
Authenticated = CurrentPrincipal
#: May create users (within their region, with the roles ``domain.GRANTABLE_BY`` allows).
UserAdmin = Annotated[Principal, require_roles(Role.PROVINCE_ADMIN, Role.HR_ADMIN)]
#: May read users within their region (a user's own account is open to that user via ``/users/me``).
UserReader = Annotated[Principal, require_roles(Role.PROVINCE_ADMIN, Role.HR_ADMIN, Role.AUDITOR)]

#: May read and move the deployment's controlled clock (docs/clock.md): the platform's administrators.
ClockOperator = Annotated[Principal, require_roles(Role.PROVINCE_ADMIN)]


class GatewayTokenVerifier(TokenVerifier):
    """Trusts the gateway's own signing key as well as the configured JWKS (``ZC_JWT_JWKS*``).

    The gateway verifies the tokens it issues without calling itself over HTTP, whatever the
    configured JWKS source; tokens of other issuers' keys go through the configured verifier.
    """

    def __init__(self, settings: CommonSettings, *, issuer: TokenIssuer) -> None:
        super().__init__(settings)
        own = settings.model_copy(
            update={"jwt_jwks": json.dumps(issuer.jwks()), "jwt_jwks_file": None, "jwt_jwks_url": None}
        )
        self._own = TokenVerifier(own)
        self._own_kid = issuer.kid

    async def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            kid = None
        if kid == self._own_kid:
            return await self._own._verify(token)
        return await super()._verify(token)
