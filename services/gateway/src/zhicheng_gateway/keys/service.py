"""Use cases of the API keys: issue, list, rotate, revoke, and admit a call. No HTTP, no commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.auth import Principal, ensure_covers
from zhicheng_common.ids import uuid7
from zhicheng_common.journaling import RecordJournal
from zhicheng_common.refusals import Refusal, raise_refused
from zhicheng_gateway.keys.domain import (
    KeyState,
    hash_secret,
    key_id_of,
    new_secret,
    quota_refusal,
    scope_refusals,
    secret_refusal,
    window_start,
)
from zhicheng_gateway.keys.errors import ApiKeyNotFound, BadKeyRequest
from zhicheng_gateway.keys.models import ApiKey, ApiKeyUsage
from zhicheng_gateway.keys.repository import ApiKeyRepository
from zhicheng_gateway.keys.schemas import ApiKeyCreate
from zhicheng_gateway.settings import GatewaySettings

KEYS = RecordJournal("api_key")


def principal_of_key(key: ApiKey) -> Principal:
    """Who a call with this key is: no role, the key's region and scopes."""
    return Principal(
        subject=f"apikey:{key.id}", roles=frozenset(), region=key.region, name=key.holder, scopes=frozenset(key.scopes)
    )


async def issue_key(
    session: AsyncSession, *, actor: Principal, key_in: ApiKeyCreate, settings: GatewaySettings
) -> tuple[ApiKey, str]:
    """Issue a key within the actor's jurisdiction; the secret is returned once and stored hashed."""
    ensure_covers(actor, key_in.region)
    raise_refused(scope_refusals(key_in.scopes), error=BadKeyRequest)
    key_id = uuid7()
    secret = new_secret(key_id)
    key = ApiKey(
        id=key_id,
        name=key_in.name,
        holder=key_in.holder,
        region=key_in.region,
        scopes=sorted(set(key_in.scopes)),
        quota=key_in.quota or settings.api_key_quota,
        window_seconds=key_in.window_seconds or settings.api_key_window_seconds,
        secret_hash=hash_secret(secret),
        created_by=actor.subject,
    )
    repository = ApiKeyRepository(session)
    repository.add(key)
    await repository.flush()
    await KEYS.change(
        session,
        key,
        actor,
        "gateway.api_key.issued",
        data={"scopes": key.scopes, "quota": key.quota, "window_seconds": key.window_seconds},
    )
    await session.refresh(key)
    return key, secret


async def list_keys(session: AsyncSession, *, actor: Principal) -> Sequence[ApiKey]:
    return await ApiKeyRepository(session).readable(actor)


async def own_key(session: AsyncSession, *, caller: Principal) -> ApiKey:
    """The key a key caller calls with (``subject`` is ``apikey:<id>``)."""
    key = await ApiKeyRepository(session).get(uuid.UUID(caller.subject.removeprefix("apikey:")))
    if key is None:  # pragma: no cover - the authenticator just read it
        raise ApiKeyNotFound("API 密钥不存在")
    return key


async def readable_key(session: AsyncSession, *, actor: Principal, key_id: uuid.UUID, lock: bool = False) -> ApiKey:
    """The key if it lies within the actor's jurisdiction (404 otherwise, saying nothing of others')."""
    key = await ApiKeyRepository(session).get(key_id, for_update=lock)
    if key is None or not actor.covers(key.region):
        raise ApiKeyNotFound(f"API 密钥 {key_id} 不存在")
    return key


async def rotate_key(
    session: AsyncSession,
    *,
    actor: Principal,
    key_id: uuid.UUID,
    overlap_seconds: int | None,
    now: datetime,
    settings: GatewaySettings,
) -> tuple[ApiKey, str]:
    """A new secret; the old one keeps working for the overlap, then only the new one does."""
    key = await readable_key(session, actor=actor, key_id=key_id, lock=True)
    if key.revoked_at is not None:
        raise_refused(Refusal(None, "api_key_revoked", "已吊销的密钥不能轮换"), error=BadKeyRequest)
    overlap = settings.api_key_overlap_seconds if overlap_seconds is None else overlap_seconds
    secret = new_secret(key.id)
    key.previous_secret_hash = key.secret_hash
    key.previous_valid_until = now + timedelta(seconds=overlap)
    key.secret_hash = hash_secret(secret)
    key.rotated_at = now
    await KEYS.change(
        session,
        key,
        actor,
        "gateway.api_key.rotated",
        data={"previous_valid_until": key.previous_valid_until.isoformat()},
    )
    return key, secret


async def revoke_key(session: AsyncSession, *, actor: Principal, key_id: uuid.UUID, now: datetime) -> ApiKey:
    """Revoke at once: every secret of the key is refused from now on (idempotent)."""
    key = await readable_key(session, actor=actor, key_id=key_id, lock=True)
    if key.revoked_at is None:
        key.revoked_at = now
        key.revoked_by = actor.subject
        await KEYS.change(session, key, actor, "gateway.api_key.revoked")
    return key


async def key_usage(
    session: AsyncSession, *, actor: Principal, key_id: uuid.UUID, limit: int
) -> tuple[ApiKey, list[ApiKeyUsage], int, int]:
    key = await readable_key(session, actor=actor, key_id=key_id)
    windows, calls, refused = await ApiKeyRepository(session).usage(key.id, limit=limit)
    return key, list(windows), calls, refused


async def admit_call(session: AsyncSession, *, secret: str, now: datetime) -> Principal | Refusal:
    """Count one call of the key the secret names and decide it: the caller, or why not.

    Every call of an existing key is counted in its window, the refused ones as refused; the
    quota compares the admitted calls of the window, so a refused burst does not lock a key out
    for longer than its window.
    """
    key_id = key_id_of(secret)
    repository = ApiKeyRepository(session)
    key = await repository.get(key_id) if key_id is not None else None
    state = (
        None
        if key is None
        else KeyState(key.secret_hash, key.previous_secret_hash, key.previous_valid_until, key.revoked_at)
    )
    refusal = secret_refusal(state, secret, now=now)
    if key is None:
        return refusal or Refusal(None, "api_key_invalid", "API 密钥无效")
    window = window_start(now, key.window_seconds)
    calls, refused = await repository.count_call(key.id, window)
    if refusal is None:
        refusal = quota_refusal(calls - refused, quota=key.quota, now=now, window_seconds=key.window_seconds)
    if refusal is not None:
        await repository.count_refused(key.id, window)
        return refusal
    return principal_of_key(key)
