"""RateLimit: token buckets per client address for the routes its rules match (no servers)."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from zhicheng_common.limits import RateLimit, RateRule


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def limited_app(clock: FakeClock, *, max_clients: int = 100) -> RateLimit:
    inner = Starlette(routes=[Route("/login", hello, methods=["POST"]), Route("/private", hello, methods=["GET"])])
    rule = RateRule("login", lambda method, path: (method, path) == ("POST", "/login"), per_minute=30, burst=3)
    return RateLimit(inner, rules=[rule], max_clients=max_clients, clock=clock)


def client(app: RateLimit, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_a_client_gets_its_burst_then_429_with_the_wait_until_the_next_token() -> None:
    clock = FakeClock()
    app = limited_app(clock)
    async with client(app, "10.0.0.1") as http:
        statuses = [(await http.post("/login")).status_code for _ in range(4)]
        refused = await http.post("/login")
    assert statuses == [200, 200, 200, 429]
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "rate_limited"
    # 30 a minute: one token every 2 s; the bucket is empty, so the next token is 2 s away.
    assert refused.headers["retry-after"] == "2"


async def test_the_bucket_refills_at_the_rate_and_never_beyond_the_burst() -> None:
    clock = FakeClock()
    app = limited_app(clock)
    async with client(app, "10.0.0.1") as http:
        for _ in range(3):
            assert (await http.post("/login")).status_code == 200
        clock.now += 2.0  # one token back (30/min)
        assert (await http.post("/login")).status_code == 200
        assert (await http.post("/login")).status_code == 429
        clock.now += 3600.0  # an hour idle refills to the burst of 3, not 1800
        statuses = [(await http.post("/login")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


async def test_each_client_address_has_its_own_bucket_and_other_routes_are_not_counted() -> None:
    clock = FakeClock()
    app = limited_app(clock)
    async with client(app, "10.0.0.1") as first, client(app, "10.0.0.2") as second:
        for _ in range(3):
            assert (await first.post("/login")).status_code == 200
        assert (await first.post("/login")).status_code == 429
        assert (await second.post("/login")).status_code == 200
        private = [(await first.get("/private")).status_code for _ in range(10)]
    assert private == [200] * 10


async def test_the_least_recently_seen_clients_are_forgotten_past_the_bound() -> None:
    clock = FakeClock()
    app = limited_app(clock, max_clients=2)
    async with client(app, "10.0.0.1") as first:
        for _ in range(3):
            await first.post("/login")
        assert (await first.post("/login")).status_code == 429
    for address in ("10.0.0.2", "10.0.0.3"):  # two newer clients push the first out
        async with client(app, address) as other:
            await other.post("/login")
    assert len(app._buckets) == 2
    async with client(app, "10.0.0.1") as first:
        assert (await first.post("/login")).status_code == 200  # a fresh bucket
