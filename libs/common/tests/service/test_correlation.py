"""One correlation id follows a request from HTTP into the events it causes."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from zhicheng_common.api import SessionDep
from zhicheng_common.app import create_service_app
from zhicheng_common.events.envelope import EVENT_TYPES, event_type
from zhicheng_common.events.outbox import record_event
from zhicheng_common.migrations import upgrade
from zhicheng_common.settings import CommonSettings, ServiceSettings
from zhicheng_experts.settings import MIGRATIONS_DIR

pytestmark = pytest.mark.service


@event_type("experts.correlationprobe.recorded")
class ProbeRecorded(BaseModel):
    """Test-only event."""

    note: str


def _app(settings: CommonSettings) -> Any:
    router = APIRouter()

    @router.post("/probe/notes")
    async def add_note(session: SessionDep) -> dict[str, str]:
        envelope = await record_event(session, ProbeRecorded(note="n"), subject="probe-1")
        return {"event_id": envelope.id}

    common = settings.model_copy(update={"nats_url": "nats://127.0.0.1:1"})  # relay not needed here
    return create_service_app(
        name="experts", area="probe", title="probe", common=common, settings=ServiceSettings(), routers=[router]
    )


@pytest.fixture(scope="module", autouse=True)
def _registered() -> Any:
    yield
    EVENT_TYPES.pop(ProbeRecorded, None)


async def _traceparent_of(app: Any, event_id: str) -> str:
    async with app.state.database.engine.connect() as conn:
        row = await conn.execute(
            text("SELECT envelope->>'traceparent' FROM experts.outbox WHERE id = :id"), {"id": event_id}
        )
        return str(row.scalar_one())


async def test_request_id_is_echoed_and_carried_into_the_event(zc_settings: CommonSettings) -> None:
    upgrade(MIGRATIONS_DIR, zc_settings.database_url)
    app = _app(zc_settings)
    request_id = str(uuid.uuid4())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe") as client:
        response = await client.post("/api/v1/probe/notes", headers={"X-Request-ID": request_id})
    assert response.status_code == 200, response.text
    trace_id = request_id.replace("-", "")
    assert response.headers["X-Request-ID"] == trace_id
    assert await _traceparent_of(app, response.json()["event_id"]) == f"00-{trace_id}-0000000000000001-01"
    await app.state.database.dispose()


async def test_request_without_an_id_gets_one_that_the_event_carries(zc_settings: CommonSettings) -> None:
    app = _app(zc_settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe") as client:
        response = await client.post("/api/v1/probe/notes", headers={"X-Request-ID": "not a trace id"})
    trace_id = response.headers["X-Request-ID"]
    assert len(trace_id) == 32
    assert trace_id in await _traceparent_of(app, response.json()["event_id"])
    await app.state.database.dispose()
