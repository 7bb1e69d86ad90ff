"""Use cases of the gateway: sign-in, users. No HTTP here and no commit (the unit of work commits)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.auth import Principal, Role, ensure_covers, system_actor
from zhicheng_common.journaling import RecordJournal
from zhicheng_common.pii import PiiCipher
from zhicheng_gateway.domain import burn_password_check, hash_password, ungrantable_roles, verify_password
from zhicheng_gateway.errors import InvalidCredentials, RoleNotGrantable, UsernameTaken, UserNotFound
from zhicheng_gateway.events import UserCreated
from zhicheng_gateway.models import User
from zhicheng_gateway.repository import UserRepository
from zhicheng_gateway.schemas import UserBindings, UserCreate

log = structlog.get_logger()
T = TypeVar("T")

USERS = RecordJournal("user")

BOOTSTRAP_ADMIN_ROLES = (Role.PROVINCE_ADMIN, Role.HR_ADMIN)


class Passwords:
    """Runs the scrypt hashes and checks off the event loop, at most ``workers`` at a time.

    scrypt is deliberately slow and memory-hard: each one holds 128·n·r bytes (16 MiB at the
    cost of ``domain.SCRYPT_N``/``SCRYPT_R``) while it runs. On asyncio's default pool (CPU count
    + 4 threads) a burst of sign-ins ran six at once on two cores and raised the gateway's peak
    resident set by about 90 MB; a pool of its own caps that at ``workers`` × 16 MiB
    (``ZC_GATEWAY_PASSWORD_HASH_WORKERS``), and a burst waits its turn instead.
    """

    def __init__(self, workers: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scrypt")

    async def run(self, work: Callable[..., T], *args: str) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, work, *args)

    def close(self) -> None:
        self._pool.shutdown(wait=False)


def principal_of(user: User) -> Principal:
    """The identity a token issued to ``user`` carries, with its bindings (``zc_*`` claims)."""
    return Principal(
        subject=str(user.id),
        roles=frozenset(user.roles),
        region=user.region,
        name=user.name,
        person_key=user.person_key,
        unit_key=user.unit_key,
        department=user.department,
        committees=frozenset(user.committees or []),
    )


async def authenticate(session: AsyncSession, *, username: str, password: str, passwords: Passwords) -> User:
    """The active user with these credentials, or ``InvalidCredentials`` (never says which part failed)."""
    user = await UserRepository(session).get_by_username(username.strip().lower())
    if user is None:
        await passwords.run(burn_password_check, password)
        raise InvalidCredentials()
    if not await passwords.run(verify_password, password, user.password_hash) or not user.active:
        raise InvalidCredentials()
    return user


async def _add_user(
    session: AsyncSession,
    *,
    actor: Principal,
    username: str,
    password: str,
    roles: Sequence[str],
    region: str,
    name: str,
    passwords: Passwords,
) -> User | None:
    """Insert the user with its journal entry and outbox event; ``None`` when the username exists."""
    password_hash = await passwords.run(hash_password, password)
    user = await UserRepository(session).insert_if_absent(
        username=username,
        password_hash=password_hash,
        roles=sorted(str(role) for role in roles),
        region=region,
        name=name,
        created_by=actor.subject,
    )
    if user is None:
        return None
    await USERS.change(
        session,
        user,
        actor,
        "user.created",
        data={"username": user.username, "roles": user.roles, "region": user.region},
        event=UserCreated(user_id=user.id, username=user.username, roles=user.roles, region=user.region),
    )
    log.info("gateway.user.created", user_id=str(user.id), region=user.region, by=actor.subject)
    return user


async def create_user(session: AsyncSession, *, actor: Principal, user_in: UserCreate, passwords: Passwords) -> User:
    """Create a user within the actor's jurisdiction, granting only roles the actor may grant."""
    refused = ungrantable_roles(actor.roles, user_in.roles)
    if refused:
        raise RoleNotGrantable(f"您无权授予以下角色：{'、'.join(refused)}")
    ensure_covers(actor, user_in.region)
    user = await _add_user(
        session,
        actor=actor,
        username=user_in.username,
        password=user_in.password,
        roles=user_in.roles,
        region=user_in.region,
        name=user_in.name,
        passwords=passwords,
    )
    if user is None:
        raise UsernameTaken(f"用户名 {user_in.username} 已被使用")
    return user


async def bootstrap_admin(
    session: AsyncSession, *, username: str, password: str, region: str, name: str, passwords: Passwords
) -> User | None:
    """Create the configured administrator once; ``None`` when the account already exists."""
    username = username.strip().lower()
    if await UserRepository(session).get_by_username(username) is not None:
        return None
    # The system acts for the administrator's region, so the province's auditors see the entry.
    actor = system_actor(region)
    return await _add_user(
        session,
        actor=actor,
        username=username,
        password=password,
        roles=BOOTSTRAP_ADMIN_ROLES,
        region=region,
        name=name,
        passwords=passwords,
    )


async def bind_user(
    session: AsyncSession,
    *,
    actor: Principal,
    user_id: uuid.UUID,
    bindings_in: UserBindings,
    cipher: PiiCipher,
    now: datetime,
) -> User:
    """Bind an account to what staff checked (identity, unit, department, committees); replaces the old binding.

    Only keyed hashes of the numbers are stored and journaled, never the numbers.
    """
    user = await UserRepository(session).get(user_id, for_update=True)
    if user is None:
        raise UserNotFound(f"用户 {user_id} 不存在")
    ensure_covers(actor, user.region)
    user.person_key = cipher.keyed_hash(bindings_in.id_number) if bindings_in.id_number else None
    user.unit_key = cipher.keyed_hash(bindings_in.unit_credit_code) if bindings_in.unit_credit_code else None
    user.department = bindings_in.department
    user.committees = sorted({str(c) for c in bindings_in.committees})
    user.bound_by = actor.subject
    user.bound_at = now
    await USERS.change(
        session,
        user,
        actor,
        "user.bound",
        reason=bindings_in.reason,
        data={
            "person_key": user.person_key,
            "unit_key": user.unit_key,
            "department": user.department,
            "committees": user.committees,
        },
    )
    log.info("gateway.user.bound", user_id=str(user.id), by=actor.subject)
    return user


async def get_user(session: AsyncSession, *, actor: Principal, user_id: uuid.UUID) -> User:
    """One user; 404 when missing, 403 when outside the actor's jurisdiction. The read is journaled."""
    user = await UserRepository(session).get(user_id)
    if user is None:
        raise UserNotFound(f"用户 {user_id} 不存在")
    ensure_covers(actor, user.region)
    await USERS.read(session, [user], actor, "user.read")
    return user


async def list_users(session: AsyncSession, *, actor: Principal, limit: int, offset: int) -> tuple[Sequence[User], int]:
    """One page of the users within the actor's jurisdiction, and their total. The read is journaled."""
    users, total = await UserRepository(session).page_readable_by(actor, limit=limit, offset=offset)
    if users:
        await USERS.read_all(  # one entry in the jurisdiction listed
            session,
            actor,
            "user.listed",
            data={"user_ids": [str(user.id) for user in users], "limit": limit, "offset": offset},
        )
    return users, total
