"""A verified token is remembered until it expires (issue 11 §6: the gateway and the service
verify the same token on every request): what is remembered never outlives the token, refusals are
never remembered, and the memory is bounded in age and size."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from zhicheng_common.auth import Principal, TokenIssuer, TokenVerifier, key_id
from zhicheng_common.problems import NotAuthenticated
from zhicheng_common.settings import CommonSettings

APPLICANT = Principal(subject="u-1", roles=frozenset({"applicant"}), region="140100")


@pytest.fixture
def issuer() -> TokenIssuer:
    key = Ed25519PrivateKey.generate()
    return TokenIssuer(key, issuer="zhicheng", audience="zhicheng", kid=key_id(key))


def _verifier(issuer: TokenIssuer, **options: Any) -> TokenVerifier:
    return TokenVerifier(CommonSettings(jwt_jwks=json.dumps(issuer.jwks())), **options)


@pytest.fixture
def full_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every token whose signature and claims were checked in full."""
    checked: list[str] = []
    decode = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        checked.append(token)
        return decode(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    return checked


async def test_a_token_is_checked_in_full_once_then_remembered(issuer: TokenIssuer, full_checks: list[str]) -> None:
    verifier = _verifier(issuer)
    token = issuer.issue(APPLICANT)
    assert [await verifier.verify(token) for _ in range(3)] == [APPLICANT] * 3
    assert full_checks == [token]


async def test_a_remembered_token_is_refused_once_it_expires(issuer: TokenIssuer, full_checks: list[str]) -> None:
    verifier = _verifier(issuer)
    token = issuer.issue(APPLICANT, ttl_seconds=1)
    assert await verifier.verify(token) == APPLICANT
    time.sleep(1.1)  # exp is at most 1 s ahead: now behind us
    with pytest.raises(NotAuthenticated) as refused:
        await verifier.verify(token)
    assert refused.value.code == "token_expired"
    assert full_checks == [token, token]


async def test_a_refused_token_is_not_remembered(full_checks: list[str]) -> None:
    ours, stranger = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    verifier = _verifier(TokenIssuer(ours, issuer="zhicheng", audience="zhicheng", kid=key_id(ours)))
    # Our key id, someone else's signature.
    forged = TokenIssuer(stranger, issuer="zhicheng", audience="zhicheng", kid=key_id(ours)).issue(APPLICANT)
    for _ in range(2):
        with pytest.raises(NotAuthenticated) as refused:
            await verifier.verify(forged)
        assert refused.value.code == "token_invalid"
    assert full_checks == [forged, forged]


async def test_memory_is_bounded_in_age(issuer: TokenIssuer, full_checks: list[str]) -> None:
    verifier = _verifier(issuer, cache_seconds=0.0)
    token = issuer.issue(APPLICANT)
    await verifier.verify(token)
    await verifier.verify(token)
    assert full_checks == [token, token]


async def test_memory_is_bounded_in_size_oldest_forgotten_first(issuer: TokenIssuer, full_checks: list[str]) -> None:
    verifier = _verifier(issuer, cache_size=2)
    first, second, third = (
        issuer.issue(Principal(subject=f"u-{n}", roles=frozenset({"applicant"}), region="140100")) for n in range(3)
    )
    for token in (first, second, first, third):  # `second` is now the least recently used
        await verifier.verify(token)
    await verifier.verify(first)
    await verifier.verify(second)
    assert full_checks == [first, second, third, second]
