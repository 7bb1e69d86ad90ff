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
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import nats
import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url

from zhicheng_common.auth import Principal, TokenIssuer, key_id
from zhicheng_common.calendar import YearArrangement
from zhicheng_common.clock import ManualClock
from zhicheng_common.db import Database, asyncpg_dsn
from zhicheng_common.embedded import EmbeddedNats, EmbeddedPostgres, free_port
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_common.events.natsauth import stack_authorization
from zhicheng_common.events.permissions import SubjectSpace
from zhicheng_common.ids import uuid7
from zhicheng_common.keys import EMBEDDED_NOT_BEFORE, JWT, init_ring
from zhicheng_common.migrations import upgrade
from zhicheng_common.pdf_font import CJK_FONT_PACKAGE
from zhicheng_common.pii import PiiCipher
from zhicheng_common.problems import PROBLEM_MEDIA_TYPE
from zhicheng_common.settings import CommonSettings, ServiceSettings
from zhicheng_common.topology import ServiceInfo


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Give the session a temporary root of its own outside ``/tmp/pytest-of-<user>``.

    As root, the embedded PostgreSQL runs as another user, so its data directory must stay
    reachable for that user. Every pytest run resets ``/tmp/pytest-of-<user>`` to mode 0700:
    a second test session started beside this one (another checkout, a benchmark) would cut the
    running server off its own data directory and it would stop (seen: ``could not open file
    ".../pg/global/pg_control": Permission denied``, then every test after it erred).
    """
    if config.option.basetemp is None and not hasattr(config, "workerinput"):
        config.option.basetemp = str(Path(tempfile.mkdtemp(prefix="zc-pytest-")) / "run")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the session's temporary root when every test passed; keep it to read otherwise."""
    basetemp = Path(session.config.option.basetemp or "")
    if basetemp.name == "run" and basetemp.parent.name.startswith("zc-pytest-"):
        if exitstatus == 0:
            shutil.rmtree(basetemp.parent, ignore_errors=True)
        else:
            print(f"\nzhicheng test files kept in {basetemp}")


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


@contextlib.asynccontextmanager
async def jetstream(settings: CommonSettings) -> AsyncIterator[Any]:
    """A JetStream context of the test's own on ``settings``' NATS (to publish events the way their
    producers do, or to read a stream); its connection is closed after."""
    nc = await nats.connect(settings.nats_url)
    try:
        yield nc.jetstream()
    finally:
        await nc.close()


@pytest.fixture
async def nats_js(zc_settings: CommonSettings) -> AsyncIterator[Any]:
    async with jetstream(zc_settings) as js:
        yield js


# --- helpers the service tests share ------------------------------------------------------------

T = TypeVar("T")


def in_thread(fn: Callable[[], T]) -> T:
    """Run blocking set-up away from the tests' event loop (Alembic runs an event loop of its own)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


async def run_sql(settings: CommonSettings, schema: str, statement: str, **params: object) -> list[tuple[Any, ...]]:
    """Run one statement in a service's schema (committed) and return its rows; none for a change.

    For a test that reads what a service stored, or stores what an older version would have.
    """
    database = Database(settings.database_url, schema)
    try:
        async with database.unit_of_work() as session:
            # The connection's result says whether the statement returns rows (the session's does not).
            result = await (await session.connection()).execute(text(statement), params)
            return [tuple(row) for row in result.all()] if result.returns_rows else []
    finally:
        await database.dispose()


def migrated(migrations_dir: Path, settings: CommonSettings) -> CommonSettings:
    """``settings`` after its database has every migration of ``migrations_dir`` (a schema fixture's body)."""
    in_thread(lambda: upgrade(migrations_dir, settings.database_url))
    return settings


@dataclass(frozen=True)
class ServiceProcess:
    """A service running as a subprocess (uvicorn) for a test: where it answers and its log."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path


@contextlib.contextmanager
def service_process(
    name: str, env: dict[str, str], log_dir: Path, ready_within: float = 60.0
) -> Iterator[ServiceProcess]:
    """``zhicheng_<name>.app:create_app`` under uvicorn on a free port, ready (``/readyz``) before use.

    ``env`` is the test's environment (``zc_env``); the service's port setting is added. The
    process is terminated (killed after 10 s) when the block ends; its output goes to ``log``.
    """
    port = free_port()
    log = log_dir / f"{name}.log"
    command = [sys.executable, "-m", "uvicorn", f"zhicheng_{name}.app:create_app", "--factory", "--port", str(port)]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, env={**env, f"ZC_{name.upper()}_PORT": str(port)}, stdout=sink, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_within
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} not ready within {ready_within:.0f} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield ServiceProcess(url=url, process=process, log=log)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@contextlib.asynccontextmanager
async def serving(app: Any, base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Start ``app`` (its lifespan: database, NATS, relay) and yield a client that calls it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


@contextlib.asynccontextmanager
async def serving_with_js(
    app: Any, base_url: str, settings: CommonSettings
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """:func:`serving` with a JetStream context of the test's own on ``settings``' NATS, to publish
    events the way their producers do; yields ``(client, js)``."""
    async with jetstream(settings) as js, serving(app, base_url) as client:
        yield client, js


def assert_problem(response: httpx.Response, status: int, code: str, rule: str | None = None) -> dict[str, Any]:
    """``response`` is an RFC 9457 problem with this status, code (and rule); returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status, body
    assert body["code"] == code, body
    assert body["title"], body
    if rule is not None:
        assert body["rule"] == rule, body
    return body


def fields_of(body: dict[str, Any]) -> set[str]:
    """The fields a problem's ``errors[]`` names."""
    return {e.get("field") for e in body.get("errors", [])}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def publish_event(
    js: Any, prefix: str, name: str, data: dict[str, Any], *, subject: str, region: str | None = None, version: int = 1
) -> str:
    """Publish ``data`` as event ``<service>.<entity>.<fact>`` (schema ``version``) the way its producer would.

    The envelope, source and message id are the producer's, so consumers accept it; a test can
    drive a service's consumers without running the producing service. Returns the event id.
    """
    event = CloudEvent(
        id=str(uuid7()),
        source=f"/zhicheng/{name.split('.')[0]}",
        type=f"cn.zhicheng.{name}.v{version}",
        subject=subject,
        time=datetime.now(UTC),
        data=data,
        region=region,
    )
    await js.publish(f"{prefix}.{name}", event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id})
    return event.id


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


_ISSUED_RESIDENT_IDS: set[str] = set()


def resident_id(region: str = "140105", birth: date | None = None, sequence: int | None = None) -> str:
    """A valid resident ID number (GB 11643); a random birth day (1960-1999) and sequence unless given.

    A random number is never handed out twice in one process: there are only 14.6 million of
    them per region, and a test session creates thousands of people in one database, where a
    repeat is refused as a duplicate (CI once drew the same expert twice).
    """
    while True:
        noise = uuid.uuid4().int
        born = birth or date(1960, 1, 1) + timedelta(days=noise % 14_600)
        number = (noise >> 20) % 1000 if sequence is None else sequence
        first17 = f"{region}{born:%Y%m%d}{number:03d}"
        total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
        value = first17 + "10X98765432"[total % 11]
        if (birth is not None and sequence is not None) or value not in _ISSUED_RESIDENT_IDS:
            _ISSUED_RESIDENT_IDS.add(value)
            return value


def credit_code(prefix: str = "91140100") -> str:
    """A fresh valid unified social credit code (GB 32100)."""
    body = prefix + "".join(_CREDIT_ALPHABET[b % 31] for b in uuid.uuid4().bytes[: 17 - len(prefix)])
    total = sum(_CREDIT_ALPHABET.index(c) * w for c, w in zip(body, _CREDIT_WEIGHTS, strict=True))
    return body + _CREDIT_ALPHABET[(31 - total % 31) % 31]


def sealed_submission(
    cipher: PiiCipher, *, declaration_id: uuid.UUID, name: str, gender: str, number: str, region: str = "140100"
) -> dict[str, Any]:
    """``intake.declaration.submitted`` v2 data of a senior electrical engineer, the holder (name,
    gender, resident ID) sealed as intake seals it for the certificates service."""
    holder = {"name": name, "gender": gender, "resident_id": number}
    return {
        "declaration_id": str(declaration_id),
        "applicant_key": cipher.keyed_hash(number),
        "applicant_name_sealed": cipher.encrypt(name),
        "holder_sealed": cipher.encrypt(json.dumps(holder, ensure_ascii=False)),
        "year": 2026,
        "series": "engineering",
        "specialty": "electrical",
        "level": "senior",
        "rank": "senior",
        "committee_id": str(uuid.uuid4()),
        "kind": "normal",
        "channel": "normal",
        "employer_name": "山西省电力勘测设计院",
        "region": region,
    }


def results_confirmed(
    passed: list[dict[str, Any]], *, confirmation_id: uuid.UUID | None = None, **changes: Any
) -> dict[str, Any]:
    """``committees.results.confirmed`` v1 data (docs/event-contracts.md) of a senior engineering
    meeting in Shanxi; each of ``passed`` names its ``declaration_id`` and ``applicant_key``."""
    data: dict[str, Any] = {
        "confirmation_id": str(confirmation_id or uuid.uuid4()),
        "meeting_id": str(uuid.uuid4()),
        "committee_id": "5b0e9f3c-1c1d-4b7e-9a51-0c7f2d6e8a01",
        "committee_name": "山西省工程技术系列高级职称评审委员会",
        "plan_id": str(uuid.uuid4()),
        "year": 2026,
        "region": "140000",
        "policy_pack": "shanxi-2024",
        "approving_authority": "山西省人力资源和社会保障厅",
        "document_number": "晋人社职字〔2026〕12号",
        "confirmed_on": "2026-12-01",
        "title_obtained_on": "2026-11-20",
        "reexamination_id": None,
        "passed": [
            {
                "declaration_id": str(p["declaration_id"]),
                "applicant_key": p["applicant_key"],
                "applicant_name_sealed": "",
                "series": "engineering",
                "specialty": "electrical",
                "level": "senior",
                "title_name": "正高级工程师",
            }
            for p in passed
        ],
        "not_passed": [],
    }
    data.update(changes)
    return data


@dataclass
class InProcess:
    """A service app started in-process by a test: its client, its manual clock, its database."""

    __test__ = False

    app: Any
    client: httpx.AsyncClient
    clock: ManualClock

    @property
    def database(self) -> Any:
        """The app's :class:`zhicheng_common.db.Database`."""
        return self.app.state.database

    async def run_scheduler(self) -> dict[str, int]:
        """Run every due scheduler job once (the tests' schedulers are started disabled)."""
        result: dict[str, int] = await self.app.state.runtime.scheduler.run_once()
        return result

    async def scalar(self, sql: str, **params: Any) -> Any:
        from sqlalchemy import text

        async with self.database.engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()

    async def outbox(self, subject: str) -> list[dict[str, Any]]:
        """The envelopes of the events the app recorded about ``subject`` (an aggregate id), oldest first."""
        from sqlalchemy import select

        from zhicheng_common.db import outbox_table

        t = outbox_table.c
        statement = select(t.envelope).where(t.envelope["subject"].astext == subject).order_by(t.id)
        async with self.database.engine.connect() as conn:  # the engine maps the table to the app's schema
            return [dict(envelope) for envelope in (await conn.execute(statement)).scalars()]


def failing_router(prefix: str) -> APIRouter:
    """``GET <prefix>/boom`` raises (a bug: the 500 path), ``GET <prefix>/fine`` answers ``{"status": "fine"}``."""
    router = APIRouter(prefix=prefix)

    @router.get("/boom")
    async def boom() -> dict[str, str]:
        raise RuntimeError("a bug in the service")

    @router.get("/fine")
    async def fine() -> dict[str, str]:
        return {"status": "fine"}

    return router


def stand_in_app(
    area: str, routers: list[APIRouter], fallback_routers: list[APIRouter] | None = None, name: str = "intake"
) -> FastAPI:
    """A service app from the shared factory with default settings, standing in for ``name``."""
    from zhicheng_common.app import create_service_app  # the factory imports much; only these tests need it
    from zhicheng_common.settings import ServiceSettings

    return create_service_app(
        name=name,
        area=area,
        title="stand-in",
        common=CommonSettings(),
        settings=ServiceSettings(),
        routers=routers,
        fallback_routers=fallback_routers or [],
    )


@contextlib.asynccontextmanager
async def under_uvicorn(app: Any) -> AsyncIterator[int]:
    """Serve ``app`` with a real uvicorn on a free loopback port (lifespan off); yields the port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="critical"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn.Server sets a flag, offers no event
        await asyncio.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


# The 13 statutory days of 2027 (worked out by hand in libs/common/tests/unit/test_calendar.py),
# for tests of a year the calendar library does not know yet.
STATUTORY_2027 = [
    "2027-01-01", "2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-04-05", "2027-05-01",
    "2027-05-02", "2027-06-09", "2027-09-15", "2027-10-01", "2027-10-02", "2027-10-03",
]  # fmt: skip
# A hypothetical official 2027 arrangement: the statutory days and Sat 01-02 - Mon 01-04 off.
OFFICIAL_2027_HOLIDAYS = [*STATUTORY_2027, "2027-01-02", "2027-01-03", "2027-01-04"]
OFFICIAL_2027 = YearArrangement.model_validate(
    {"year": 2027, "source": "测试用安排", "holidays": OFFICIAL_2027_HOLIDAYS}
)


@contextlib.asynccontextmanager
async def without_year(js: Any, settings: CommonSettings, year: int) -> AsyncIterator[Any]:
    """The calendar bucket with no arrangement for ``year`` before and after (other tests count it
    provisionally); yields the bucket."""
    from zhicheng_common.calendar_store import calendar_bucket

    kv = await js.create_key_value(bucket=calendar_bucket(settings), history=10)
    await kv.purge(str(year))
    try:
        yield kv
    finally:
        await kv.purge(str(year))


async def on_stream(
    js: Any,
    settings: CommonSettings,
    name: str,
    match: Callable[[dict[str, Any]], bool],
    *,
    timeout: float = 10.0,  # noqa: ASYNC109 - a bounded poll is the point
) -> dict[str, Any]:
    """Wait until event ``name`` (``<service>.<entity>.<fact>``) whose envelope ``match``es is on the
    JetStream stream, i.e. the relay published it; returns that envelope."""
    from nats.js.api import ConsumerConfig, DeliverPolicy

    subscription = await js.pull_subscribe(
        f"{settings.events_prefix}.{name}",
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),
        stream=settings.stream_name,
    )

    async def published() -> dict[str, Any] | None:
        try:
            messages = await subscription.fetch(100, timeout=0.5)
        except TimeoutError:
            return None
        for message in messages:
            await message.ack()
            envelope: dict[str, Any] = json.loads(message.data)
            if match(envelope):
                return envelope
        return None

    try:
        found: dict[str, Any] = await wait_until(published, timeout=timeout, what=f"{name} on JetStream")
    finally:
        await subscription.unsubscribe()
    return found


@dataclass
class AsgiCall:
    """What a raw ASGI call did: how many body chunks the app pulled, and the messages it sent."""

    pulled: int
    sent: list[dict[str, Any]]

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])


async def asgi_call(
    app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]], *, chunk: bytes = b"a" * 1024
) -> AsgiCall:
    """Call ``app`` as a server would, with an endless body of ``chunk``s, counting what it reads.

    For limits that must answer before reading a body: a test asserts ``pulled == 0``.
    """
    call = AsgiCall(pulled=0, sent=[])

    async def receive() -> dict[str, Any]:
        call.pulled += 1
        return {"type": "http.request", "body": chunk, "more_body": call.pulled < 1000}

    async def send(message: dict[str, Any]) -> None:
        call.sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "scheme": "http",
        "server": ("t.test", 80),
        "client": ("127.0.0.1", 1),
        "state": {},
    }
    await app(scope, receive, send)
    return call


def ensure_cjk_font(path: Path) -> Path:
    """The CJK font a PDF test embeds, installed from apt (``fonts-wqy-microhei``) if absent.

    Run once outside the network isolation (``pytest services/certificates/tests/unit``) on a fresh
    machine; afterwards the file is there and nothing is installed.
    """
    if not path.is_file():
        command = ["apt-get", "install", "-y", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300"]
        environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run([*command, CJK_FONT_PACKAGE], env=environment, capture_output=True, check=False).returncode:
            # A fresh machine has no package lists yet.
            subprocess.run(["apt-get", "update"], env=environment, capture_output=True, check=True)
            subprocess.run([*command, CJK_FONT_PACKAGE], env=environment, capture_output=True, check=True)
    assert path.is_file(), f"{path} is still missing after installing {CJK_FONT_PACKAGE}"
    return path


def pdf_text(pdf: bytes) -> str:
    """The text of every page of a PDF (pypdfium2), without whitespace: what a reader would copy out."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        parts: list[str] = []
        for index in range(len(document)):
            page = document[index]
            text_page = page.get_textpage()
            parts.append(text_page.get_text_range())
            text_page.close()
            page.close()
    finally:
        document.close()
    return "".join("".join(parts).split())
