"""The service's context, built once in ``create_app()`` (composition root), and the request dependencies on it."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request

from zhicheng_certificates.certificate.domain import Correspondence
from zhicheng_certificates.signing.domain import did_web
from zhicheng_certificates.signing.keyring import CertificateKeys
from zhicheng_common.api import service_context
from zhicheng_common.auth import Principal, TokenVerifier
from zhicheng_common.clock import Clock
from zhicheng_common.pii import PiiCipher
from zhicheng_common.problems import NotAuthenticated
from zhicheng_common.series import SeriesCatalog

PUBLIC_PREFIX = "/api/v1/certificates/public"
CACHE_ENTRIES = 200_000


class Lru:
    """A bounded in-process cache (insertion order refreshed on hit); the caller keys it by what it depends on."""

    def __init__(self, size: int = CACHE_ENTRIES) -> None:
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any) -> Any:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: Any, value: Any) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


@dataclass(frozen=True)
class Issuer:
    """Who signs: the department's name and credit code, its did:web, and the public URLs it names."""

    name: str
    credit_code: str
    licence_type: str
    public_base_url: str
    verification_base_url: str

    @property
    def did(self) -> str:
        """``did:web:<host>:api:v1:certificates:public``, resolved at ``<base>/api/v1/certificates/public/did.json``."""
        host = self.public_base_url.split("://", 1)[-1].rstrip("/")
        return did_web(host) + PUBLIC_PREFIX.replace("/", ":")

    @property
    def status_list_base(self) -> str:
        return f"{self.public_base_url.rstrip('/')}{PUBLIC_PREFIX}/status"


@dataclass
class CertificatesContext:
    """What every use case of the service needs, built once."""

    cipher: PiiCipher
    clock: Clock
    keys: CertificateKeys
    issuer: Issuer
    catalog: SeriesCatalog
    correspondence: tuple[Correspondence, ...]
    font_file: Path
    # Signature checks of a stored document, keyed by (number, hash of the sealed document): a
    # changed document misses the cache and is checked again.
    checked: Lru = field(default_factory=Lru)
    # Published status-list credentials, keyed by (purpose, version, size).
    published_lists: Lru = field(default_factory=lambda: Lru(8))


ContextDep = Annotated[CertificatesContext, Depends(service_context)]


async def _now(context: ContextDep) -> datetime:
    return context.clock.now()


NowDep = Annotated[datetime, Depends(_now)]


async def optional_principal(request: Request) -> Principal | None:
    """The verified caller when the request carries a token (an identified verifier), else ``None``.

    A token that does not verify is a 401 problem, never an anonymous answer.
    """
    authorization = request.headers.get("authorization", "")
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    verifier: TokenVerifier = request.app.state.token_verifier
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("令牌格式应为 Authorization: Bearer …", code="token_missing")
    return await verifier.verify(token.strip())


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
