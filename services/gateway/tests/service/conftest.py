"""Fixtures of the gateway's service tests: the migrated schema, the gateway app driven in-process,
and one real domain service (intake) running as a subprocess behind it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from zhicheng_common.clock import Clock
from zhicheng_common.embedded import free_port
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import ServiceProcess, TestStack, create_database, migrated, service_process, serving
from zhicheng_gateway.app import create_app
from zhicheng_gateway.settings import MIGRATIONS_DIR, GatewaySettings
from zhicheng_intake.settings import MIGRATIONS_DIR as INTAKE_MIGRATIONS_DIR

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "Province-admin-2026!"
SHANXI = "140000"
TAIYUAN = "140100"
YUNCHENG = "140800"


@pytest.fixture(scope="session")
def gateway_schema(zc_settings: CommonSettings) -> CommonSettings:
    return migrated(MIGRATIONS_DIR, zc_settings)


@pytest.fixture(scope="session")
def readmodel_schema(zc_stack: TestStack, zc_settings: CommonSettings) -> CommonSettings:
    """The read-model tests' own database and event prefix: the rows they count come from their
    own seasons only, not from other tests' events (nor from the certificates service that the
    verification tests run, which would issue certificates for a season's confirmed results)."""
    url = create_database(zc_stack, "readmodel")
    settings = zc_settings.model_copy(update={"database_url": url, "events_prefix": f"{zc_settings.events_prefix}rm"})
    return migrated(MIGRATIONS_DIR, settings)


def dead_url() -> str:
    """A loopback URL nothing listens on."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def gateway_settings() -> Callable[..., GatewaySettings]:
    """Gateway settings for a test: every upstream unreachable unless overridden."""

    def make(**overrides: Any) -> GatewaySettings:
        values: dict[str, Any] = {
            "admin_username": ADMIN_USERNAME,
            "admin_password": ADMIN_PASSWORD,
            "admin_region": SHANXI,
            "upstream_timeout_seconds": 5.0,
            "health_timeout_seconds": 2.0,
            **{
                f"{name}_url": dead_url()
                for name in ("intake", "review", "experts", "committees", "integrity", "certificates")
            },
        }
        values.update(overrides)
        return GatewaySettings(**values)

    return make


@dataclass
class Gateway:
    app: FastAPI
    client: httpx.AsyncClient


@contextlib.asynccontextmanager
async def running_gateway(
    common: CommonSettings, settings: GatewaySettings, *, clock: Clock | None = None
) -> AsyncIterator[Gateway]:
    app = create_app(common, settings, clock=clock)
    async with serving(app, "http://gateway.test") as client:
        yield Gateway(app, client)


@pytest.fixture
async def gateway(
    gateway_schema: CommonSettings, gateway_settings: Callable[..., GatewaySettings]
) -> AsyncIterator[Gateway]:
    """The gateway with its database and NATS, every upstream down."""
    async with running_gateway(gateway_schema, gateway_settings()) as running:
        yield running


IntakeProcess = ServiceProcess


@pytest.fixture(scope="session")
def intake_service(
    zc_settings: CommonSettings, zc_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[IntakeProcess]:
    """The real intake service as a subprocess on a free port, ready (database and NATS) before use."""
    migrated(INTAKE_MIGRATIONS_DIR, zc_settings)
    with service_process("intake", zc_env, tmp_path_factory.mktemp("intake")) as running:
        yield running


async def token_for(client: httpx.AsyncClient, username: str, password: str) -> str:
    response = await client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


# The verification tests' fixtures: the real certificates service, a JetStream publisher, Chromium.
from .browser import chromium  # noqa: E402, F401
from .verify_helpers import certificates_service, js  # noqa: E402, F401
