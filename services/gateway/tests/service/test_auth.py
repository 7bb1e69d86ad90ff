"""Sign-in at the gateway: tokens, keys, discovery, and the gateway's own verification."""

from __future__ import annotations

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from zhicheng_common.auth import Principal, TokenIssuer, key_id
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys, assert_problem, bearer

from .conftest import ADMIN_PASSWORD, ADMIN_USERNAME, SHANXI, Gateway, token_for

pytestmark = pytest.mark.service


async def test_the_bootstrap_admin_gets_a_bearer_token_for_the_right_password(
    gateway: Gateway, zc_keys: TestKeys, zc_settings: CommonSettings
) -> None:
    response = await gateway.client.post(
        "/api/v1/auth/token", data={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    token = body["access_token"]
    assert jwt.get_unverified_header(token)["kid"] == zc_keys.issuer.kid
    public_key = zc_keys.issuer.private_key.public_key()
    claims = jwt.decode(
        token,
        public_key,
        algorithms=["EdDSA"],
        audience=zc_settings.jwt_audience,
        issuer=zc_settings.jwt_issuer,
    )
    assert sorted(claims["roles"]) == ["hr_admin", "province_admin"]
    assert claims["region"] == SHANXI
    assert claims["exp"] - claims["iat"] == 3600


async def test_a_username_is_matched_whatever_its_case_and_surrounding_blanks(gateway: Gateway) -> None:
    response = await gateway.client.post(
        "/api/v1/auth/token", data={"username": f"  {ADMIN_USERNAME.upper()} ", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200, response.text


async def test_a_wrong_password_is_a_401_invalid_credentials_problem(gateway: Gateway) -> None:
    response = await gateway.client.post(
        "/api/v1/auth/token", data={"username": ADMIN_USERNAME, "password": "not-the-password"}
    )
    body = assert_problem(response, 401, "invalid_credentials")
    assert "access_token" not in body
    assert response.headers["www-authenticate"] == "Bearer"


async def test_an_unknown_username_is_the_same_401_problem_as_a_wrong_password(gateway: Gateway) -> None:
    response = await gateway.client.post("/api/v1/auth/token", data={"username": "nobody", "password": "whatever1"})
    assert_problem(response, 401, "invalid_credentials")


async def test_a_token_form_without_a_password_is_a_422_problem(gateway: Gateway) -> None:
    response = await gateway.client.post("/api/v1/auth/token", data={"username": ADMIN_USERNAME})
    body = assert_problem(response, 422, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["password"]


async def test_a_token_from_the_gateway_is_accepted_by_the_gateway(gateway: Gateway) -> None:
    token = await token_for(gateway.client, ADMIN_USERNAME, ADMIN_PASSWORD)
    response = await gateway.client.get("/api/v1/users/me", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["username"] == ADMIN_USERNAME
    assert "password_hash" not in response.json()


async def test_a_request_without_a_token_is_a_401_problem(gateway: Gateway) -> None:
    assert_problem(await gateway.client.get("/api/v1/users"), 401, "token_missing")


async def test_a_token_signed_by_an_unknown_key_is_a_401_problem(gateway: Gateway) -> None:
    stranger = Ed25519PrivateKey.generate()
    forged = TokenIssuer(stranger, issuer="zhicheng-test", audience="zhicheng", kid=key_id(stranger))
    token = forged.issue(Principal(subject="x", roles=frozenset({"province_admin"}), region=SHANXI))
    assert_problem(await gateway.client.get("/api/v1/users", headers=bearer(token)), 401, "token_unknown_key")


async def test_a_token_with_the_gateways_kid_but_a_foreign_signature_is_a_401_problem(
    gateway: Gateway, zc_keys: TestKeys
) -> None:
    stranger = Ed25519PrivateKey.generate()
    forged = TokenIssuer(stranger, issuer="zhicheng-test", audience="zhicheng", kid=zc_keys.issuer.kid)
    token = forged.issue(Principal(subject="x", roles=frozenset({"province_admin"}), region=SHANXI))
    assert_problem(await gateway.client.get("/api/v1/users", headers=bearer(token)), 401, "token_invalid")


async def test_the_jwks_is_public_and_holds_the_signing_key(gateway: Gateway, zc_keys: TestKeys) -> None:
    response = await gateway.client.get("/api/v1/auth/jwks")
    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert key["kid"] == zc_keys.issuer.kid
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    assert "d" not in key  # never the private part


async def test_the_openid_configuration_is_public_and_points_at_the_keys_and_token_endpoint(
    gateway: Gateway, zc_settings: CommonSettings
) -> None:
    response = await gateway.client.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    body = response.json()
    assert body["issuer"] == zc_settings.jwt_issuer
    assert body["jwks_uri"] == "http://gateway.test/api/v1/auth/jwks"
    assert body["token_endpoint"] == "http://gateway.test/api/v1/auth/token"
    assert (await gateway.client.get(body["jwks_uri"])).status_code == 200
