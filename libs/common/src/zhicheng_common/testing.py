"""Pytest plugin: real PostgreSQL and NATS JetStream for the tests, never mocks.

Uses ``ZC_DATABASE_URL`` / ``ZC_NATS_URL`` when set (e.g. this machine's PostgreSQL 15 and
NATS), otherwise starts the embedded servers from the wheels in a temporary folder. Each test
session gets its own database and its own event subject prefix, so runs never see each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import nats
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import make_url

from zhicheng_common.auth import Principal, TokenIssuer, key_id
from zhicheng_common.db import asyncpg_dsn
from zhicheng_common.embedded import EmbeddedNats, EmbeddedPostgres, free_port
from zhicheng_common.events.natsauth import stack_authorization
from zhicheng_common.events.permissions import SubjectSpace
from zhicheng_common.keys import EMBEDDED_NOT_BEFORE, JWT, init_ring
from zhicheng_common.settings import CommonSettings, ServiceSettings
from zhicheng_common.topology import ServiceInfo


@dataclass(frozen=True)
class TestStack:
    """Where the servers of this test session are, and the session's own database and prefix."""

    __test__ = False

    server_url: str  # the PostgreSQL server (admin database)
    database_url: str  # this session's fresh database
    nats_url: str
    events_prefix: str
    embedded: bool
    # Seeds of every principal when the session runs its own NATS (which then authenticates them);
    # None on a server named by ZC_NATS_URL, used as its operator set it up.
    nats_keys_dir: Path | None = None


@dataclass(frozen=True)
class TestKeys:
    """The test session's token issuer (Ed25519), its JWKS and its private key as PEM."""

    __test__ = False

    issuer: TokenIssuer
    jwks_json: str
    private_pem: bytes

    def token(self, *, roles: list[str] | tuple[str, ...], region: str, subject: str = "u-test", **kw: Any) -> str:
        """A token; ``person_key``, ``unit_key``, ``department``, ``committees`` set its bindings."""
        principal = Principal(
            subject=subject,
            roles=frozenset(roles),
            region=region,
            name=kw.get("name", subject),
            person_key=kw.get("person_key"),
            unit_key=kw.get("unit_key"),
            department=kw.get("department"),
            committees=frozenset(str(c) for c in kw.get("committees", ())),
        )
        return self.issuer.issue(principal, ttl_seconds=int(kw.get("ttl", 3600)))

    def headers(
        self, *, roles: list[str] | tuple[str, ...], region: str, subject: str = "u-test", **kw: Any
    ) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(roles=roles, region=region, subject=subject, **kw)}"}


def service_settings_class(info: ServiceInfo) -> type[ServiceSettings]:
    """The one ``ServiceSettings`` subclass a service's ``settings`` module defines."""
    module = importlib.import_module(f"{info.package}.settings")
    classes = [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, ServiceSettings) and value is not ServiceSettings
    ]
    assert len(classes) == 1, classes
    return classes[0]


def build_app(info: ServiceInfo, common: CommonSettings, **options: Any) -> Any:
    """A service's (or the gateway's) app from its own ``create_app``, not started.

    ``options`` go to the service's settings class (e.g. ``scheduler_enabled=False``).
    """
    module = importlib.import_module(f"{info.package}.app")
    return module.create_app(common, service_settings_class(info)(**options))


def _with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def zc_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestStack]:
    database_env = os.environ.get("ZC_DATABASE_URL")
    nats_env = os.environ.get("ZC_NATS_URL")
    postgres: EmbeddedPostgres | None = None
    nats_server: EmbeddedNats | None = None
    root = Path(tmp_path_factory.mktemp("zc-stack"))
    if database_env:
        server_url = database_env
    else:
        postgres = EmbeddedPostgres(root / "pg", free_port(), database="postgres")
        server_url = postgres.start()
    keys_dir: Path | None = None
    if nats_env:
        nats_url = nats_env
    else:
        # The services' own users (any prefix: tests give each running system one of its own)
        # and, for test code without credentials, the harness user.
        keys_dir = root / "nats-keys"
        auth = stack_authorization(keys_dir, SubjectSpace.any_prefix(), harness=True)
        nats_server = EmbeddedNats(root / "nats", free_port(), auth=auth)
        nats_url = nats_server.start()
    suffix = secrets.token_hex(4)
    database = f"zc_test_{suffix}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{database}"'))
    stack = TestStack(
        server_url=server_url,
        database_url=_with_database(server_url, database),
        nats_url=nats_url,
        events_prefix=f"zct{suffix}",
        embedded=postgres is not None,
        nats_keys_dir=keys_dir,
    )
    try:
        yield stack
    finally:
        for extra in (database, *_EXTRA_DATABASES):
            asyncio.run(_drop_database(stack, extra))
        asyncio.run(_cleanup_streams(stack))
        if nats_server is not None:
            nats_server.stop()
        if postgres is not None:
            postgres.stop()


async def _drop_database(stack: TestStack, database: str) -> None:
    try:
        await _admin(stack.server_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    except Exception as exc:  # a leftover test database is harmless; say so and go on
        print(f"zhicheng test cleanup: could not drop {database}: {exc!r}")


async def _cleanup_streams(stack: TestStack) -> None:
    try:
        nc = await nats.connect(stack.nats_url, connect_timeout=2, max_reconnect_attempts=1)
        js = nc.jetstream()
        for name in (stack.events_prefix.upper(), f"{stack.events_prefix.upper()}_DEADLETTER"):
            with contextlib.suppress(Exception):  # the stream may never have been created
                await js.delete_stream(name)
        await nc.close()
    except Exception as exc:
        print(f"zhicheng test cleanup: NATS streams left behind: {exc!r}")


def create_database(stack: TestStack, suffix: str) -> str:
    """A further fresh database on the session's server (dropped with the server's test data).

    For a test that must not share rows with the rest of the session, e.g. a whole running system.
    """
    name = f"{make_url(stack.database_url).database}_{suffix}"
    asyncio.run(_admin(stack.server_url, f'CREATE DATABASE "{name}"'))
    _EXTRA_DATABASES.append(name)
    return _with_database(stack.server_url, name)


_EXTRA_DATABASES: list[str] = []


@pytest.fixture(scope="session")
def zc_keys() -> TestKeys:
    key = Ed25519PrivateKey.generate()
    issuer = TokenIssuer(key, issuer="zhicheng-test", audience="zhicheng", kid=key_id(key))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return TestKeys(issuer=issuer, jwks_json=json.dumps(issuer.jwks()), private_pem=pem)


@pytest.fixture(scope="session")
def zc_settings(zc_stack: TestStack, zc_keys: TestKeys, tmp_path_factory: pytest.TempPathFactory) -> CommonSettings:
    data_dir = tmp_path_factory.mktemp("zc-data")
    # The gateway's `jwt` ring holds the session's issuer key, so every service trusts its tokens;
    # the other rings (seals, decisions) are generated on first start, as in the embedded default.
    init_ring(data_dir / "keys" / JWT, JWT, not_before=EMBEDDED_NOT_BEFORE, private_key=zc_keys.issuer.private_key)
    return CommonSettings(
        data_dir=data_dir,
        environment="test",
        database_url=zc_stack.database_url,
        nats_url=zc_stack.nats_url,
        events_prefix=zc_stack.events_prefix,
        jwt_issuer="zhicheng-test",
        jwt_jwks=zc_keys.jwks_json,
        jwt_jwks_file=None,
        jwt_jwks_url=None,
        outbox_poll_seconds=0.5,
        events_retry_delay_seconds=0.2,
        log_json=True,
        log_level="WARNING",
    )


@pytest.fixture(scope="session")
def zc_env(zc_settings: CommonSettings) -> dict[str, str]:
    """Environment for child processes that must join this test session's stack."""
    env = dict(os.environ)
    env.update(
        {
            "ZC_ENVIRONMENT": "test",
            "ZC_DATABASE_URL": zc_settings.database_url,
            "ZC_NATS_URL": zc_settings.nats_url,
            "ZC_EVENTS_PREFIX": zc_settings.events_prefix,
            "ZC_JWT_ISSUER": zc_settings.jwt_issuer,
            "ZC_JWT_JWKS": zc_settings.jwt_jwks or "",
            "ZC_OUTBOX_POLL_SECONDS": str(zc_settings.outbox_poll_seconds),
            "ZC_EVENTS_RETRY_DELAY_SECONDS": str(zc_settings.events_retry_delay_seconds),
            "ZC_LOG_LEVEL": "WARNING",
            "ZC_DATA_DIR": str(zc_settings.data_dir),
        }
    )
    return env


async def wait_until(
    predicate: Callable[[], Any],
    *,
    timeout: float = 30.0,  # noqa: ASYNC109 - a bounded poll is the point
    interval: float = 0.1,
    what: str = "condition",
) -> Any:
    """Poll ``predicate`` (sync or async) until it returns a truthy value; bounded in time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: Any = None
    while loop.time() < deadline:
        last = predicate()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")


@pytest.fixture
async def nats_js(zc_settings: CommonSettings) -> AsyncIterator[Any]:
    nc = await nats.connect(zc_settings.nats_url)
    try:
        yield nc.jetstream()
    finally:
        await nc.close()
