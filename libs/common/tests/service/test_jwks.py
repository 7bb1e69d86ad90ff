"""The JWKS a service verifies tokens against, served by a real HTTP endpoint (issue 11 §3).

The endpoint is a plain HTTP server in a thread, serving the key set the test puts in it and
counting how often it was asked: what Keycloak publishes by default (an ``RSA-OAEP`` key with
``use: enc`` next to the ``RS256`` signing key) must not break authentication, the key set is kept
for a lifetime and refetched within a bound.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, FastAPI
from structlog.testing import capture_logs

from zhicheng_common.auth import CurrentPrincipal, Principal, TokenIssuer, TokenVerifier, key_id, public_jwk
from zhicheng_common.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers
from zhicheng_common.settings import CommonSettings

pytestmark = pytest.mark.service

ISSUER = "https://idp.example.cn/realms/zhicheng"


class JwksEndpoint:
    """A JWKS served over HTTP on 127.0.0.1; ``document`` can be replaced, ``hits`` counts GETs."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = {"keys": []}
        self.hits = 0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                endpoint.hits += 1
                body = json.dumps(endpoint.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/protocol/openid-connect/certs"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> JwksEndpoint:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class RsaSigner:
    """An identity provider's RS256 signing key."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return jwk

    def token(self, *, kid: str | None = None, subject: str = "u-kc") -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": "zhicheng",
            "sub": subject,
            "roles": ["auditor"],
            "region": "140000",
            "iat": now,
            "exp": now + 600,
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": kid or self.kid})


def keycloak_encryption_key() -> dict[str, Any]:
    """The ``RSA-OAEP`` key a Keycloak realm publishes by default next to its signing key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.pop("key_ops", None)
    jwk.update({"kid": "kc-enc-1", "use": "enc", "alg": "RSA-OAEP"})
    return jwk


@pytest.fixture
def endpoint() -> Iterator[JwksEndpoint]:
    with JwksEndpoint() as served:
        yield served


def _settings(endpoint: JwksEndpoint, **overrides: Any) -> CommonSettings:
    return CommonSettings(jwt_issuer=ISSUER, jwt_jwks_url=endpoint.url, **overrides)


@pytest.fixture
async def service(endpoint: JwksEndpoint) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """An app verifying tokens the way every service does, against the endpoint's JWKS."""
    router = APIRouter()

    @router.get("/whoami")
    async def whoami(principal: CurrentPrincipal) -> dict[str, str]:
        return {"subject": principal.subject}

    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    app.state.token_verifier = TokenVerifier(_settings(endpoint))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        yield app, client


async def test_an_encryption_key_in_the_jwks_is_skipped_and_logged_not_a_500(
    endpoint: JwksEndpoint, service: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    signer = RsaSigner("kc-sig-1")
    endpoint.document = {"keys": [keycloak_encryption_key(), signer.jwk()]}
    _, client = service
    with capture_logs() as logs:
        response = await client.get("/whoami", headers={"Authorization": f"Bearer {signer.token()}"})
    assert response.status_code == 200, response.text
    assert response.json() == {"subject": "u-kc"}
    skipped = [e for e in logs if e["event"] == "auth.jwks.key_skipped"]
    assert [(e["kid"], e["reason"]) for e in skipped] == [("kc-enc-1", "use 'enc'")]


async def test_a_token_naming_the_encryption_key_is_a_401_unknown_key(
    endpoint: JwksEndpoint, service: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    signer = RsaSigner("kc-sig-1")
    endpoint.document = {"keys": [keycloak_encryption_key(), signer.jwk()]}
    _, client = service
    response = await client.get("/whoami", headers={"Authorization": f"Bearer {signer.token(kid='kc-enc-1')}"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    assert response.json()["code"] == "token_unknown_key"


async def test_a_token_saying_rs256_over_an_eddsa_key_id_is_a_401_not_a_500(
    endpoint: JwksEndpoint, service: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    ed = Ed25519PrivateKey.generate()
    ed_kid = key_id(ed)
    signer = RsaSigner("kc-sig-1")
    endpoint.document = {"keys": [public_jwk(ed, ed_kid), signer.jwk()]}
    _, client = service
    forged = signer.token(kid=ed_kid)  # RS256 in the header, the Ed25519 key's id
    response = await client.get("/whoami", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "token_algorithm_mismatch"
    # The Ed25519 key itself still works.
    own = TokenIssuer(ed, issuer=ISSUER, audience="zhicheng", kid=ed_kid)
    token = own.issue(Principal(subject="u-ed", roles=frozenset({"auditor"}), region="140000"))
    assert (await client.get("/whoami", headers={"Authorization": f"Bearer {token}"})).status_code == 200


async def test_unknown_key_ids_refetch_the_jwks_at_most_once_per_interval(endpoint: JwksEndpoint) -> None:
    signer = RsaSigner("kc-sig-1")
    endpoint.document = {"keys": [signer.jwk()]}
    verifier = TokenVerifier(_settings(endpoint, jwt_jwks_refetch_seconds=3600))
    assert (await verifier.verify(signer.token())).subject == "u-kc"
    assert endpoint.hits == 1
    # Fifty tokens naming made-up key ids: the first load was just now, so none may refetch.
    for n in range(50):
        with pytest.raises(Exception, match="未知密钥"):
            await verifier.verify(signer.token(kid=f"junk-{n}", subject=f"u-{n}"))
    assert endpoint.hits == 1


async def test_a_rotated_key_is_found_by_one_refetch(endpoint: JwksEndpoint) -> None:
    old, new = RsaSigner("kc-sig-1"), RsaSigner("kc-sig-2")
    endpoint.document = {"keys": [old.jwk()]}
    verifier = TokenVerifier(_settings(endpoint, jwt_jwks_refetch_seconds=0))
    assert (await verifier.verify(old.token())).subject == "u-kc"
    endpoint.document = {"keys": [old.jwk(), new.jwk()]}
    assert (await verifier.verify(new.token(subject="u-new"))).subject == "u-new"
    assert endpoint.hits == 2
    # Known keys within their lifetime need no fetch.
    assert (await verifier.verify(old.token(subject="u-again"))).subject == "u-again"
    assert endpoint.hits == 2


async def test_the_key_set_expires_after_its_lifetime_so_a_withdrawn_key_stops_working(endpoint: JwksEndpoint) -> None:
    old, new = RsaSigner("kc-sig-1"), RsaSigner("kc-sig-2")
    endpoint.document = {"keys": [old.jwk(), new.jwk()]}
    verifier = TokenVerifier(
        _settings(endpoint, jwt_jwks_cache_seconds=0.2, jwt_jwks_refetch_seconds=0), cache_seconds=0.01
    )
    assert (await verifier.verify(old.token())).subject == "u-kc"
    endpoint.document = {"keys": [new.jwk()]}
    time.sleep(0.3)
    with pytest.raises(Exception, match="未知密钥"):
        await verifier.verify(old.token(subject="u-later"))
    assert endpoint.hits == 2


async def test_a_failing_jwks_endpoint_keeps_the_known_keys(endpoint: JwksEndpoint) -> None:
    signer = RsaSigner("kc-sig-1")
    endpoint.document = {"keys": [signer.jwk()]}
    verifier = TokenVerifier(
        _settings(endpoint, jwt_jwks_cache_seconds=0.1, jwt_jwks_refetch_seconds=0), cache_seconds=0.01
    )
    assert (await verifier.verify(signer.token())).subject == "u-kc"
    endpoint.server.shutdown()
    endpoint.server.server_close()
    time.sleep(0.2)
    with capture_logs() as logs:
        assert (await verifier.verify(signer.token(subject="u-outage"))).subject == "u-outage"
    assert any(e["event"] == "auth.jwks.unavailable" for e in logs)
