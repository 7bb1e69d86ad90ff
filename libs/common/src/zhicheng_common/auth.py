"""Identity: JWT verification in every service, the built-in issuer, roles and jurisdiction.

Tokens are JWTs (EdDSA or RS256) carrying ``sub``, ``roles`` and ``region`` (GB/T 2260). Every
service verifies them itself against the issuer's JWKS, so a province's own OIDC provider can
replace the built-in issuer by configuration (``ZC_JWT_ISSUER``, ``ZC_JWT_JWKS_URL``).

Bindings (issue 12): a role about one person, unit, department or committee carries it as a
claim, never as something the caller types. ``zc_person_key`` is the keyed hash
(``zhicheng_common.pii``) of the caller's own resident ID number, verified by the identity
provider or linked by staff after checking identity; ``zc_unit_key`` the keyed hash of the credit
code of the unit the caller acts for; ``zc_department`` the department code; ``zc_committees``
the ids of the committees a committee office acts for. A province's own provider emits the same
claims. A principal without a binding its role needs sees nothing bound to one.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import httpx
import jwt
import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import Depends, Request
from jwt import PyJWK

from zhicheng_common.problems import Forbidden, NotAuthenticated
from zhicheng_common.regions import is_region_code, region_contains
from zhicheng_common.settings import CommonSettings

if TYPE_CHECKING:
    from zhicheng_common.keys import KeyRing

log = structlog.get_logger()


class Role(StrEnum):
    """Roles of DESIGN.md §6."""

    APPLICANT = "applicant"
    UNIT_REVIEWER = "unit_reviewer"
    DEPT_REVIEWER = "dept_reviewer"
    HR_REVIEWER = "hr_reviewer"
    COMMITTEE_OFFICE = "committee_office"
    EXPERT = "expert"
    SUPERVISOR = "supervisor"
    HR_ADMIN = "hr_admin"
    # 省级行业主管部门: files junior and intermediate committees where the pack says so (CM-3).
    INDUSTRY_ADMIN = "industry_admin"
    PROVINCE_ADMIN = "province_admin"
    AUDITOR = "auditor"


@dataclass(frozen=True)
class Principal:
    """Who is calling: user id, roles and the region they act for."""

    subject: str
    roles: frozenset[str]
    region: str
    name: str = ""
    scopes: frozenset[str] = field(default_factory=frozenset)
    #: Keyed hash of the caller's own resident ID number (a verified identity), if bound.
    person_key: str | None = None
    #: Keyed hash of the credit code of the unit the caller acts for, if bound.
    unit_key: str | None = None
    #: Code of the department (行业主管部门) the caller acts for, if bound.
    department: str | None = None
    #: Ids of the committees a committee office acts for.
    committees: frozenset[str] = field(default_factory=frozenset)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def covers(self, region: str) -> bool:
        """Whether a record of ``region`` lies within this principal's jurisdiction."""
        return region_contains(self.region, region)

    def committee_ids(self) -> list[uuid.UUID]:
        """The committees a committee office is bound to, as ids (a claim naming none binds to none)."""
        out: list[uuid.UUID] = []
        for value in self.committees:
            try:
                out.append(uuid.UUID(value))
            except ValueError:
                continue
        return out

    @property
    def primary_role(self) -> str:
        return sorted(self.roles)[0] if self.roles else ""


SYSTEM = Principal(subject="system", roles=frozenset({"system"}), region="100000", name="system")


def system_actor(region: str, *, service: str | None = None) -> Principal:
    """The platform acting on a timer or an event for ``region``, so that region's auditors see the entry.

    With ``service`` the subject names the service that acted (``system:review``).
    """
    if service is None:
        return Principal(subject=SYSTEM.subject, roles=SYSTEM.roles, region=region, name=SYSTEM.name)
    return Principal(subject=f"system:{service}", roles=SYSTEM.roles, region=region, name=service)


def ensure_covers(principal: Principal, region: str) -> None:
    """Refuse (403) a record outside the caller's jurisdiction."""
    if not principal.covers(region):
        raise Forbidden(f"记录所属地区 {region} 不在您的管辖范围（{principal.region}）内", code="outside_jurisdiction")


def ensure_role(principal: Principal, *roles: str) -> None:
    if not principal.has_role(*roles):
        raise Forbidden(f"此操作需要以下角色之一：{', '.join(roles)}", code="role_required")


class TokenVerifier:
    """Verifies bearer tokens against a JWKS from a file, inline JSON or the issuer's URL.

    Keys: only signature keys of an allowed algorithm are used. An identity provider publishes
    other keys too (Keycloak's default realm has an ``RSA-OAEP`` key with ``use: enc``): such a key
    is skipped and logged (``auth.jwks.key_skipped``), never a reason to fail a request. The keys
    are kept for ``jwt_jwks_cache_seconds`` and then fetched again; a token naming a key id not
    in the set makes one fetch, at most once per ``jwt_jwks_refetch_seconds`` however many such
    tokens arrive (a flood of made-up key ids never turns into a flood on the identity provider).
    A fetch that fails keeps the keys already known, so a provider outage does not sign everyone
    out; it is retried after the refetch interval.

    A client sends the same token with every request for its whole lifetime, and every request
    crosses the gateway and a service that each verify it: a verified token is remembered (its
    principal, by the exact token string) until it expires or ``cache_seconds`` pass, whichever
    comes first, for at most ``cache_size`` tokens. The bound on the age keeps a key withdrawn from
    the JWKS from being honoured for longer than that.
    """

    def __init__(self, settings: CommonSettings, *, cache_seconds: float = 60.0, cache_size: int = 4096) -> None:
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.algorithms = settings.jwt_algorithms
        self.jwks_file = settings.jwt_jwks_file
        self.jwks_url = settings.jwt_jwks_url
        self.jwks_inline = settings.jwt_jwks
        self.keys_lifetime = settings.jwt_jwks_cache_seconds
        self.refetch_interval = settings.jwt_jwks_refetch_seconds
        self._keys: dict[str, PyJWK] = {}
        # kid → signing period, for keys whose JWK says (``zc_not_before``/``zc_not_after``).
        self._periods: dict[str, tuple[float, float | None]] = {}
        self._loaded_at: float | None = None  # monotonic second of the last successful load
        self._tried_at: float | None = None  # monotonic second of the last attempt
        self._lock = asyncio.Lock()
        #: How many times the key set was fetched (or read), successfully or not.
        self.fetches, self.cache_seconds, self.cache_size = 0, cache_seconds, cache_size
        # token → (principal, wall-clock second until which it is taken as verified)
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    async def _document(self) -> Any:
        if self.jwks_inline:
            return json.loads(self.jwks_inline)
        if self.jwks_file is not None:
            return json.loads(self.jwks_file.read_text())
        if self.jwks_url:
            async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
                response = await client.get(self.jwks_url)
                response.raise_for_status()
                return response.json()
        return {"keys": []}

    async def _load(self) -> None:
        self.fetches += 1
        self._tried_at = time.monotonic()
        try:
            document = await self._document()
        except (OSError, httpx.HTTPError, ValueError) as exc:
            log.warning("auth.jwks.unavailable", source=self.jwks_url or str(self.jwks_file), error=repr(exc))
            return
        entries = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            log.warning("auth.jwks.malformed", source=self.jwks_url or str(self.jwks_file))
            return
        self._keys = signature_keys(entries, self.algorithms)
        self._periods = signing_periods(entries)
        self._loaded_at = time.monotonic()

    async def _key(self, kid: str) -> PyJWK | None:
        now = time.monotonic()
        fresh = self._loaded_at is not None and now - self._loaded_at < self.keys_lifetime
        if fresh and kid in self._keys:
            return self._keys[kid]
        async with self._lock:
            # Another request may have loaded the keys while this one waited for the lock.
            now = time.monotonic()
            fresh = self._loaded_at is not None and now - self._loaded_at < self.keys_lifetime
            may_fetch = self._tried_at is None or now - self._tried_at >= self.refetch_interval
            if (not fresh or kid not in self._keys) and may_fetch:
                await self._load()
        return self._keys.get(kid)

    async def verify(self, token: str) -> Principal:
        remembered = self._verified.get(token)
        if remembered is not None:
            principal, until = remembered
            if time.time() < until:
                self._verified.move_to_end(token)
                return principal
            del self._verified[token]
        principal, expires = await self._verify(token)
        self._verified[token] = (principal, min(expires, time.time() + self.cache_seconds))
        if len(self._verified) > self.cache_size:
            self._verified.popitem(last=False)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float]:
        """The principal of a token checked in full (signature, claims), and when it expires."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise NotAuthenticated("令牌格式无效", code="token_malformed") from None
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise NotAuthenticated("令牌缺少密钥标识（kid）", code="token_malformed")
        key = await self._key(kid)
        if key is None:
            raise NotAuthenticated("令牌由未知密钥签发", code="token_unknown_key")
        # The header's algorithm must be the key's own: a token saying RS256 over an Ed25519 key
        # id is a forgery attempt (or a broken client), refused before any key is used with it.
        if header.get("alg") != key.algorithm_name:
            raise NotAuthenticated(
                f"令牌声明的算法 {header.get('alg')!r} 与密钥 {kid} 的算法不符", code="token_algorithm_mismatch"
            )
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=[key.algorithm_name],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "sub", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated("令牌已过期", code="token_expired") from None
        except (jwt.PyJWTError, ValueError, TypeError):
            raise NotAuthenticated("令牌签名或声明无效", code="token_invalid") from None
        period = self._periods.get(kid)
        if period is not None:
            issued = claims.get("iat")
            start, end = period
            if not isinstance(issued, int | float) or issued < start or (end is not None and issued >= end):
                raise NotAuthenticated(f"令牌的签发时间不在密钥 {kid} 的有效期内", code="token_key_not_valid_at_issue")
        return principal_from_claims(claims), float(claims["exp"])


def signing_periods(entries: list[Any]) -> dict[str, tuple[float, float | None]]:
    """The signing period (Unix seconds) of each JWK that states one (docs/keys.md)."""
    periods: dict[str, tuple[float, float | None]] = {}
    for jwk in entries:
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str) or "zc_not_before" not in jwk:
            continue
        try:
            start = datetime.fromisoformat(str(jwk["zc_not_before"])).timestamp()
            end_value = jwk.get("zc_not_after")
            end = datetime.fromisoformat(str(end_value)).timestamp() if end_value else None
        except ValueError:
            log.warning("auth.jwks.period_unreadable", kid=jwk["kid"])
            continue
        periods[jwk["kid"]] = (start, end)
    return periods


def signature_keys(entries: list[Any], algorithms: list[str]) -> dict[str, PyJWK]:
    """The keys of a JWKS that can verify a token signed with one of ``algorithms``, by key id.

    A key for encryption (``use: enc``, or ``key_ops`` without ``verify``), of an algorithm not
    allowed, without a ``kid`` or that the JWT library cannot read is skipped and logged.
    """
    keys: dict[str, PyJWK] = {}
    for jwk in entries:
        kid = jwk.get("kid") if isinstance(jwk, dict) else None
        reason: str | None = None
        if not isinstance(kid, str) or not kid:
            reason = "no kid"
        elif jwk.get("use", "sig") != "sig":
            reason = f"use {jwk.get('use')!r}"
        elif "key_ops" in jwk and "verify" not in (jwk.get("key_ops") or []):
            reason = f"key_ops {jwk.get('key_ops')!r}"
        else:
            try:
                key = PyJWK(jwk)
            except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
                reason = f"unreadable: {exc.__class__.__name__}"
            else:
                if key.algorithm_name not in algorithms:
                    reason = f"algorithm {key.algorithm_name} not allowed"
                else:
                    keys[kid] = key
        if reason is not None:
            log.warning("auth.jwks.key_skipped", kid=kid, reason=reason)
    return keys


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    roles = claims.get("roles") or []
    region = claims.get("region")
    if not isinstance(roles, list) or not isinstance(region, str):
        raise NotAuthenticated("令牌缺少角色或地区声明", code="token_claims_missing")
    if not is_region_code(region):
        raise NotAuthenticated(f"令牌中的地区代码 {region!r} 无效", code="token_claims_invalid")
    scopes = str(claims.get("scope", "")).split()
    committees = claims.get("zc_committees") or []
    if not isinstance(committees, list):
        raise NotAuthenticated("令牌中的评审委员会声明无效", code="token_claims_invalid")
    return Principal(
        subject=str(claims["sub"]),
        roles=frozenset(str(r) for r in roles),
        region=region,
        name=str(claims.get("name", "")),
        scopes=frozenset(scopes),
        person_key=_optional_claim(claims, "zc_person_key"),
        unit_key=_optional_claim(claims, "zc_unit_key"),
        department=_optional_claim(claims, "zc_department"),
        committees=frozenset(str(c) for c in committees),
    )


def _optional_claim(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise NotAuthenticated(f"令牌中的声明 {name} 无效", code="token_claims_invalid")
    return value


def binding_claims(principal: Principal) -> dict[str, Any]:
    """The ``zc_*`` claims a token issued to ``principal`` carries (only those bound)."""
    claims: dict[str, Any] = {}
    if principal.person_key:
        claims["zc_person_key"] = principal.person_key
    if principal.unit_key:
        claims["zc_unit_key"] = principal.unit_key
    if principal.department:
        claims["zc_department"] = principal.department
    if principal.committees:
        claims["zc_committees"] = sorted(principal.committees)
    return claims


class TokenIssuer:
    """The built-in issuer of the embedded default: signs EdDSA tokens and publishes the JWKS.

    Built from the ``jwt`` key ring (:meth:`from_ring`) it signs each token with the ring's key of
    the moment and publishes every key of the ring, each with its signing period, so tokens
    issued before a rotation stay valid until they expire.
    """

    def __init__(
        self, private_key: Ed25519PrivateKey, *, issuer: str, audience: str, kid: str, ring: KeyRing | None = None
    ) -> None:
        self._private_key, self.issuer, self.audience, self._kid, self.ring = private_key, issuer, audience, kid, ring

    @classmethod
    def from_ring(cls, ring: KeyRing, *, issuer: str, audience: str) -> TokenIssuer:
        key = ring.signer(datetime.now(UTC))
        assert key.private_key is not None
        return cls(key.private_key, issuer=issuer, audience=audience, kid=key.key_id, ring=ring)

    def _signer(self) -> tuple[Ed25519PrivateKey, str]:
        if self.ring is None:
            return self._private_key, self._kid
        key = self.ring.signer(datetime.now(UTC))
        assert key.private_key is not None
        return key.private_key, key.key_id

    @property
    def private_key(self) -> Ed25519PrivateKey:
        """The key that signs now."""
        return self._signer()[0]

    @property
    def kid(self) -> str:
        """The id of the key that signs now."""
        return self._signer()[1]

    @property
    def key_ids(self) -> frozenset[str]:
        """Every key id this issuer publishes."""
        if self.ring is None:
            return frozenset({self._kid})
        return frozenset(k.key_id for k in self.ring.keys)

    def issue(self, principal: Principal, *, ttl_seconds: int = 3600) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": principal.subject,
            "name": principal.name,
            "roles": sorted(principal.roles),
            "region": principal.region,
            "iat": now,
            "exp": now + ttl_seconds,
        }
        if principal.scopes:
            claims["scope"] = " ".join(sorted(principal.scopes))
        claims.update(binding_claims(principal))
        private_key, kid = self._signer()
        return jwt.encode(claims, private_key, algorithm="EdDSA", headers={"kid": kid})

    def jwks(self) -> dict[str, Any]:
        if self.ring is not None:
            return self.ring.jwks()
        return {"keys": [public_jwk(self._private_key, self._kid)]}


def public_jwk(private_key: Ed25519PrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(private_key.public_key()))
    jwk.update({"kid": kid, "use": "sig", "alg": "EdDSA"})
    return jwk


def key_id(private_key: Ed25519PrivateKey) -> str:
    """A stable key id: the first 16 hex digits of the SHA-256 of the raw public key."""
    return public_key_id(private_key.public_key())


def public_key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the verified caller, or a 401 problem."""
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticated("请求未携带令牌（Authorization: Bearer …）", code="token_missing")
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = await verifier.verify(token.strip())
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


#: Header an agency's or third party's API key comes in (the gateway's ``keys`` feature).
API_KEY_HEADER = "X-API-Key"


async def current_key_holder(request: Request) -> Principal:
    """FastAPI dependency: the caller identified by an API key (``X-API-Key``), or a 401/429 problem.

    The app that offers such routes sets ``app.state.key_authenticator`` (the gateway: keys are
    stored hashed, quotas counted per key); a route depending on this is authenticated as surely
    as one depending on :func:`current_principal`.
    """
    authenticate: Callable[[Request], Awaitable[Principal]] | None = getattr(
        request.app.state, "key_authenticator", None
    )
    if authenticate is None:
        raise NotAuthenticated("本服务不接受 API 密钥", code="api_key_not_accepted")
    principal = await authenticate(request)
    request.state.principal = principal
    return principal


CurrentKeyHolder = Annotated[Principal, Depends(current_key_holder)]


async def public_route() -> None:
    """FastAPI dependency that does nothing but mark a route as answering without a token.

    Routes are authenticated by default (STYLE.md: a public route says so). A route either depends
    on :func:`current_principal` or carries this mark (``dependencies=[PUBLIC_ROUTE]``, on the route
    or its router); a test walks every app and fails on one that does neither, and the OpenAPI
    document gives a marked operation ``security: []``.
    """


PUBLIC_ROUTE = Depends(public_route)


def require_roles(*roles: str) -> Any:
    """A dependency admitting only callers holding one of ``roles`` (403 otherwise)."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        ensure_role(principal, *roles)
        return principal

    return Depends(dependency)
