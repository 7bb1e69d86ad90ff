"""Pure rules of the gateway: password hashing and who may grant which role.

Password hashes are scrypt (RFC 7914, ``hashlib.scrypt``) with a fresh 16-byte salt per hash,
stored as ``scrypt$<n>$<r>$<p>$<salt>$<key>`` (base64), so the cost can rise later without
invalidating stored hashes; comparison is constant-time.

Role grants (who may create a user holding which roles):

* ``province_admin`` may grant every role;
* ``hr_admin`` may grant every role except ``province_admin`` (no one raises a peer above the
  province's administrators) and ``auditor`` (the audited do not appoint their auditors);
* no other role may grant anything.

Jurisdiction comes on top of these (checked by the service with ``Principal.covers``): a new
user's region must lie within the granting administrator's region.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Iterable
from functools import lru_cache

from zhicheng_common.auth import Role

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_KEY_BYTES = 32
SALT_BYTES = 16
_SCHEME = "scrypt"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _derive(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    # maxmem must cover 128 * n * r bytes; the default (32 MiB) refuses a higher future cost.
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=256 * n * r + 1024 * 1024
    )


def hash_password(password: str) -> str:
    """Hash ``password`` with scrypt and a random salt, in the self-describing stored format."""
    salt = os.urandom(SALT_BYTES)
    key = _derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_KEY_BYTES)
    return f"{_SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored``; a malformed stored hash never matches."""
    try:
        scheme, n, r, p, salt_b64, key_b64 = stored.split("$")
        if scheme != _SCHEME:
            return False
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(key_b64, validate=True)
        actual = _derive(password, salt, int(n), int(r), int(p), len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(os.urandom(16).hex())


def burn_password_check(password: str) -> None:
    """Spend the time of one real check, so an unknown username answers as slowly as a known one."""
    verify_password(password, _dummy_hash())


GRANTABLE_BY: dict[str, frozenset[str]] = {
    Role.PROVINCE_ADMIN: frozenset(Role),
    Role.HR_ADMIN: frozenset(Role) - {Role.PROVINCE_ADMIN, Role.AUDITOR},
}


def grantable_roles(granter_roles: Iterable[str]) -> frozenset[str]:
    """Every role a holder of ``granter_roles`` may give to a new user."""
    out: frozenset[str] = frozenset()
    for role in granter_roles:
        out |= GRANTABLE_BY.get(role, frozenset())
    return out


def ungrantable_roles(granter_roles: Iterable[str], requested: Iterable[str]) -> list[str]:
    """The requested roles the granter may not give, sorted (empty when the grant is allowed)."""
    allowed = grantable_roles(granter_roles)
    return sorted({str(role) for role in requested} - allowed)
