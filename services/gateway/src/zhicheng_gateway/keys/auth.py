"""Calls authenticated by API key: the authenticator the app installs and the scope aliases routes use.

Other gateway routes take a key caller with one alias: ``principal: VerifyKey`` (scope ``verify``),
``QueryKey`` (``query``), or ``Annotated[Principal, require_key_scope("...")]``. A feed checks its
own ``feed:<name>`` scope against the subscription the path names.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from zhicheng_common.auth import API_KEY_HEADER, CurrentKeyHolder, Principal
from zhicheng_common.clock import Clock
from zhicheng_common.db import Database
from zhicheng_common.refusals import Refusal
from zhicheng_gateway.keys import service
from zhicheng_gateway.keys.errors import ApiKeyRefused, QuotaExceeded, ScopeRequired

#: ``Authorization: ApiKey <secret>`` is accepted as well as the header.
AUTHORIZATION_SCHEME = "apikey"


def offered_secret(request: Request) -> str | None:
    """The secret the request carries (``X-API-Key``, or ``Authorization: ApiKey …``)."""
    secret = request.headers.get(API_KEY_HEADER)
    if secret:
        return secret.strip()
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == AUTHORIZATION_SCHEME and value.strip() else None


def carries_key(headers: Any) -> bool:
    """Whether request headers offer an API key (the body guard then checks the key, not a token)."""
    if headers.get(API_KEY_HEADER):
        return True
    return str(headers.get("authorization", "")).lower().startswith(f"{AUTHORIZATION_SCHEME} ")


class KeyAuthenticator:
    """Admits a call by its API key, counted in its own transaction (a refused call stays counted)."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock

    async def __call__(self, request: Request) -> Principal:
        admitted: Principal | None = getattr(request.state, "api_key_principal", None)
        if admitted is not None:  # the body guard admitted (and counted) this request already
            return admitted
        secret = offered_secret(request)
        if secret is None:
            raise ApiKeyRefused(f"请求未携带 API 密钥（{API_KEY_HEADER}）", code="api_key_missing")
        async with self.database.unit_of_work() as session:
            outcome = await service.admit_call(session, secret=secret, now=self.clock.now())
        if isinstance(outcome, Refusal):
            raise refusal_error(outcome)
        request.state.api_key_principal = outcome
        return outcome


def refusal_error(refusal: Refusal) -> ApiKeyRefused | QuotaExceeded:
    if refusal.code == "quota_exceeded":
        error = QuotaExceeded(refusal.message)
        retry_after = (refusal.facts or {}).get("retry_after", 1)
        error.headers = {"Retry-After": str(retry_after)}
        return error
    return ApiKeyRefused(refusal.message, code=refusal.code)


def require_key_scope(scope: str) -> Any:
    """A dependency admitting only key callers whose key carries ``scope`` (403 otherwise)."""

    async def dependency(principal: CurrentKeyHolder) -> Principal:
        if scope not in principal.scopes:
            raise ScopeRequired(f"该 API 密钥没有 {scope} 权限范围")
        return principal

    return Depends(dependency)


#: A key caller that may verify certificates (the public verification API for identified verifiers).
VerifyKey = Annotated[Principal, require_key_scope("verify")]
#: A key caller that may run province queries.
QueryKey = Annotated[Principal, require_key_scope("query")]
