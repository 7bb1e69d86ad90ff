"""Feeds, pushed: Standard Webhooks signatures (checked with the reference library), exponential
back-off, disabled after the configured failures, replay from a cursor; on a clock the test moves."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from zhicheng_common.clock import ManualClock
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys
from zhicheng_gateway.settings import GatewaySettings

from .conftest import SHANXI, Gateway, running_gateway
from .feeds_helpers import logged, publish, subscribe

pytestmark = pytest.mark.service

WITHDRAWN = "intake.declaration.withdrawn"


@dataclass
class Receiver:
    """An agency's webhook endpoint: fails the first ``failures`` requests, then answers 204."""

    failures: int
    received: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            self.received.append((await request.body(), dict(request.headers)))
            return Response(status_code=500 if len(self.received) <= self.failures else 204)

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


@pytest.fixture
def clock() -> ManualClock:
    # Near the real time: the reference library refuses timestamps more than five minutes off.
    return ManualClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def province_admin(zc_keys: TestKeys) -> dict[str, str]:
    return zc_keys.headers(roles=["province_admin"], region=SHANXI, subject="province-admin")


@contextlib.asynccontextmanager
async def pushing_gateway(
    common: CommonSettings, settings: GatewaySettings, clock: ManualClock, receiver: Receiver
) -> AsyncIterator[Gateway]:
    """The gateway with its scheduler stopped (the test runs the job) and webhooks sent to ``receiver``."""
    async with running_gateway(common, settings, clock=clock) as gateway:
        feeds = gateway.app.state.feeds
        if feeds.http is not None:
            await feeds.http.aclose()
        feeds.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app()))
        yield gateway


async def push(gateway: Gateway) -> int:
    done: dict[str, int] = await gateway.app.state.runtime.scheduler.run_once()
    return done["feeds.webhooks"]


async def hooked(
    gateway: Gateway, admin: dict[str, str], nats_js: Any, settings: CommonSettings, region: str
) -> tuple[dict[str, Any], str, str]:
    """A webhook subscription on ``region``, and one event there: (subscription, webhook secret, event id)."""
    created = await subscribe(
        gateway,
        admin,
        name=f"hook-{uuid.uuid4().hex[:8]}",
        agency="运城市人社局",
        region=region,
        fields={WITHDRAWN: ["declaration_id"]},
        webhook_url="http://agency.test/hook",
    )
    declaration = str(uuid.uuid4())
    event_id = await publish(
        nats_js, settings, WITHDRAWN, {"declaration_id": declaration}, subject=declaration, region=region
    )
    await logged(settings, [event_id])
    return created["subscription"], created["webhook_secret"], event_id


async def test_a_webhook_that_fails_three_times_receives_the_event_on_the_fourth_try_signed(
    gateway_schema: CommonSettings,
    gateway_settings: Callable[..., GatewaySettings],
    clock: ManualClock,
    province_admin: dict[str, str],
    nats_js: Any,
) -> None:
    receiver = Receiver(failures=3)
    settings = gateway_settings(scheduler_enabled=False, webhook_backoff_seconds=10.0, webhook_max_failures=5)
    async with pushing_gateway(gateway_schema, settings, clock, receiver) as gateway:
        subscription, secret, event_id = await hooked(gateway, province_admin, nats_js, gateway_schema, "140821")
        assert secret.startswith("whsec_")

        assert await push(gateway) == 0  # try 1 fails: the next one is due in 10 s
        assert await push(gateway) == 0  # not due yet: nothing sent
        assert len(receiver.received) == 1
        clock.advance(timedelta(seconds=10))
        assert await push(gateway) == 0  # try 2 fails: 20 s
        clock.advance(timedelta(seconds=19))
        assert await push(gateway) == 0
        assert len(receiver.received) == 2
        clock.advance(timedelta(seconds=1))
        assert await push(gateway) == 0  # try 3 fails: 40 s
        clock.advance(timedelta(seconds=40))
        assert await push(gateway) == 1  # try 4 is answered
        assert len(receiver.received) == 4

        body, headers = receiver.received[-1]
        # The reference library checks the signature (and that the timestamp is recent).
        event = Webhook(secret).verify(body, headers)
        assert (event["id"], event["type"]) == (event_id, "cn.zhicheng.intake.declaration.withdrawn.v1")
        assert headers["webhook-id"] == event_id
        # The same event each time, under the same id, so the receiver can drop a repeat.
        assert {h["webhook-id"] for _, h in receiver.received} == {event_id}
        forged = Webhook("whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB")
        with pytest.raises(Exception, match="No matching signature"):
            forged.verify(body, headers)

        state = (
            await gateway.client.get(f"/api/v1/feeds/subscriptions/{subscription['id']}", headers=province_admin)
        ).json()
        assert (state["webhook_state"], state["failures"], state["next_attempt_at"]) == ("active", 0, None)
        tries = (
            await gateway.client.get(
                f"/api/v1/feeds/subscriptions/{subscription['id']}/attempts", headers=province_admin
            )
        ).json()
        assert [(t["attempt"], t["status_code"], t["ok"]) for t in reversed(tries)] == [
            (1, 500, False),
            (2, 500, False),
            (3, 500, False),
            (4, 204, True),
        ]
        assert await push(gateway) == 0  # delivered once: nothing more to send


async def test_a_webhook_is_disabled_after_the_configured_failures_and_replayed_from_a_cursor(
    gateway_schema: CommonSettings,
    gateway_settings: Callable[..., GatewaySettings],
    clock: ManualClock,
    province_admin: dict[str, str],
    nats_js: Any,
) -> None:
    receiver = Receiver(failures=3)
    settings = gateway_settings(scheduler_enabled=False, webhook_backoff_seconds=10.0, webhook_max_failures=3)
    async with pushing_gateway(gateway_schema, settings, clock, receiver) as gateway:
        subscription, secret, event_id = await hooked(gateway, province_admin, nats_js, gateway_schema, "140822")
        path = f"/api/v1/feeds/subscriptions/{subscription['id']}"
        await push(gateway)
        clock.advance(timedelta(seconds=10))
        await push(gateway)
        clock.advance(timedelta(seconds=20))
        await push(gateway)  # the third failure in a row: disabled
        state = (await gateway.client.get(path, headers=province_admin)).json()
        assert (state["webhook_state"], state["failures"]) == ("disabled", 3)
        assert state["disabled_at"] == clock.now().isoformat().replace("+00:00", "Z")
        clock.advance(timedelta(seconds=100))  # past any back-off (the next would have been due after 40 s)
        assert await push(gateway) == 0
        assert len(receiver.received) == 3  # a disabled webhook is not tried

        replay = await gateway.client.post(f"{path}/replay", json={"after": "0"}, headers=province_admin)
        assert replay.status_code == 200, replay.text
        assert (replay.json()["webhook_state"], replay.json()["push_cursor"]) == ("active", "0")
        assert await push(gateway) == 1
        assert Webhook(secret).verify(*receiver.received[-1])["id"] == event_id

        # Replaying from the event's own cursor sends nothing again.
        cursor = (await gateway.client.get(path, headers=province_admin)).json()["push_cursor"]
        await gateway.client.post(f"{path}/replay", json={"after": cursor}, headers=province_admin)
        assert await push(gateway) == 0
        assert len(receiver.received) == 4
