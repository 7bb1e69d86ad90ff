"""Readiness depends on the database only; NATS and the outbox backlog are health detail (issue 11 §3).

The service here talks to a NATS of its own (an embedded server started by the test), so the test
can stop it without disturbing the session's broker: while it is down the service stays ready,
its requests keep committing events into the outbox, and ``/healthz`` and ``/metrics`` show the
broker down and the backlog growing; once it is back the relay drains the backlog.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from zhicheng_common.embedded import EmbeddedNats, free_port
from zhicheng_common.events.outbox import record_event
from zhicheng_common.migrations import upgrade
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import wait_until
from zhicheng_integrity.app import create_app
from zhicheng_integrity.events import RecordExpired
from zhicheng_integrity.settings import MIGRATIONS_DIR

pytestmark = pytest.mark.service


@pytest.fixture
def own_nats(tmp_path: Path) -> Any:
    server = EmbeddedNats(tmp_path / "nats", free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def integrity(zc_settings: CommonSettings, own_nats: EmbeddedNats) -> AsyncIterator[FastAPI]:
    upgrade(MIGRATIONS_DIR, zc_settings.database_url)
    common = zc_settings.model_copy(update={"nats_url": own_nats.url, "outbox_poll_seconds": 0.2})
    app = create_app(common)
    async with app.router.lifespan_context(app):
        yield app


async def _get(app: FastAPI, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://integrity") as client:
        return await client.get(path)


async def _health(app: FastAPI) -> dict[str, Any]:
    response = await _get(app, "/healthz")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _commit_events(app: FastAPI, count: int) -> None:
    for _ in range(count):
        async with app.state.database.unit_of_work() as session:
            event = RecordExpired(
                record_id=uuid.uuid4(), subject_kind="person", subject_key="k", valid_until=date(2026, 12, 1)
            )
            await record_event(session, event, subject=str(event.record_id), region="140100")


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"metric {name} not exposed")


async def test_readyz_stays_200_without_nats_while_the_outbox_backlog_is_reported(
    integrity: FastAPI, own_nats: EmbeddedNats
) -> None:
    # Connected, and whatever earlier tests left in the outbox has been published.
    async def settled() -> bool:
        detail = (await _health(integrity))["detail"]
        return bool(detail["nats"] == "ok" and detail["outbox"]["unpublished"] == 0)

    await wait_until(settled, what="nats connected and the outbox drained", timeout=30)

    own_nats.stop()

    async def broker_down() -> bool:
        return bool((await _health(integrity))["detail"]["nats"] == "unavailable")

    await wait_until(broker_down, what="the service noticing NATS is gone", timeout=30)
    await _commit_events(integrity, 3)

    ready = await _get(integrity, "/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok"}
    health = await _health(integrity)
    assert health["status"] == "ok"
    assert health["detail"]["nats"] == "unavailable"
    assert health["detail"]["outbox"]["unpublished"] == 3
    assert health["detail"]["outbox"]["oldest_seconds"] > 0
    metrics = (await _get(integrity, "/metrics")).text
    assert _metric(metrics, "zc_nats_connected") == 0
    assert _metric(metrics, "zc_outbox_unpublished") == 3

    # The broker comes back on the same port and store: the relay publishes what waited.
    own_nats.start()

    async def drained() -> bool:
        detail = (await _health(integrity))["detail"]
        return bool(detail["nats"] == "ok" and detail["outbox"]["unpublished"] == 0)

    await wait_until(drained, what="the backlog published after NATS returned", timeout=60)
    metrics = (await _get(integrity, "/metrics")).text
    assert _metric(metrics, "zc_nats_connected") == 1
    assert _metric(metrics, "zc_outbox_unpublished") == 0


async def test_readyz_is_503_when_the_database_is_unreachable(zc_settings: CommonSettings) -> None:
    unreachable = zc_settings.model_copy(
        update={"database_url": f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nowhere"}
    )
    app = create_app(unreachable)
    ready = await _get(app, "/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"].startswith("unavailable")
    health = await _health(app)  # alive all the same; the backlog is unknown
    assert health["detail"]["outbox"] is None
