"""Pure rules of API keys: the secret's form, which secret is accepted when, and the quota window.

A secret is ``zck_<key id, 32 hex>_<43 random url-safe characters>``: the id finds the row, the
SHA-256 of the whole secret must match the stored hash (the random part carries 256 bits, so a
plain hash is enough; no password stretching is needed for a secret no person chose).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from zhicheng_common.refusals import Refusal

SECRET_PREFIX = "zck_"  # noqa: S105 - the visible prefix of every key, not a secret
_SECRET = re.compile(r"^zck_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$")

#: Scopes a key may carry: ``verify``, ``query`` and ``feed:<subscription name>``.
PLAIN_SCOPES = frozenset({"verify", "query"})
FEED_SCOPE_PREFIX = "feed:"
_FEED_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def new_secret(key_id: uuid.UUID) -> str:
    """A fresh secret for key ``key_id`` (shown once, never stored)."""
    return f"{SECRET_PREFIX}{key_id.hex}_{secrets.token_urlsafe(32)}"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_id_of(secret: str) -> uuid.UUID | None:
    """The key id a secret names, or ``None`` when it is not a key's secret at all."""
    match = _SECRET.match(secret.strip())
    return uuid.UUID(match.group(1)) if match else None


def feed_scope(name: str) -> str:
    return f"{FEED_SCOPE_PREFIX}{name}"


def is_feed_name(name: str) -> bool:
    return bool(_FEED_NAME.match(name))


def scope_refusals(scopes: list[str]) -> list[Refusal]:
    """Scopes that are neither ``verify``, ``query`` nor ``feed:<name>``."""
    return [
        Refusal(None, "unknown_scope", f"未知的权限范围：{scope}（可用 verify、query、feed:<订阅名>）", ("scopes",))
        for scope in scopes
        if scope not in PLAIN_SCOPES
        and not (scope.startswith(FEED_SCOPE_PREFIX) and is_feed_name(scope.removeprefix(FEED_SCOPE_PREFIX)))
    ]


@dataclass(frozen=True)
class KeyState:
    """What admission needs of a stored key."""

    secret_hash: str
    previous_secret_hash: str | None
    previous_valid_until: datetime | None
    revoked_at: datetime | None


def secret_refusal(key: KeyState | None, secret: str, *, now: datetime) -> Refusal | None:
    """Whether ``secret`` opens ``key`` at ``now``: the current secret, or the previous one within its overlap."""
    if key is None:
        return Refusal(None, "api_key_invalid", "API 密钥无效")
    offered = hash_secret(secret.strip())
    if key.revoked_at is not None and key.revoked_at <= now:
        return Refusal(None, "api_key_revoked", f"API 密钥已于 {key.revoked_at.isoformat()} 吊销")
    if hmac.compare_digest(offered, key.secret_hash):
        return None
    if key.previous_secret_hash is not None and hmac.compare_digest(offered, key.previous_secret_hash):
        if key.previous_valid_until is not None and now < key.previous_valid_until:
            return None
        return Refusal(None, "api_key_rotated", "该密钥已轮换，旧密钥的过渡期已结束，请使用新密钥")
    return Refusal(None, "api_key_invalid", "API 密钥无效")


def window_start(now: datetime, window_seconds: int) -> datetime:
    """The start of the fixed quota window holding ``now`` (windows aligned on the Unix epoch)."""
    epoch = now.timestamp()
    return datetime.fromtimestamp(epoch - epoch % window_seconds, tz=UTC)


def retry_after_seconds(now: datetime, window_seconds: int) -> int:
    """Whole seconds until the next window opens (at least 1), for ``Retry-After``."""
    end = window_start(now, window_seconds) + timedelta(seconds=window_seconds)
    return max(1, math.ceil((end - now).total_seconds()))


def quota_refusal(calls: int, *, quota: int, now: datetime, window_seconds: int) -> Refusal | None:
    """``calls`` (this one included) over ``quota`` in the window: refused, with when to retry."""
    if calls <= quota:
        return None
    wait = retry_after_seconds(now, window_seconds)
    return Refusal(
        None,
        "quota_exceeded",
        f"已超过调用配额（每 {window_seconds} 秒 {quota} 次），请 {wait} 秒后重试",
        facts={"quota": quota, "window_seconds": window_seconds, "retry_after": wait},
    )
