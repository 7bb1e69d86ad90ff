"""The one app factory every service uses: problems, correlation ids, health, metrics, and the
lifespan that owns the database, NATS, the outbox relay and the event consumers."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from nats.aio.client import Client as NatsClient
from nats.js.client import JetStreamContext
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Route, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhicheng_common import topology
from zhicheng_common.audit import JournalSequencer, journal_sequencer
from zhicheng_common.auth import (
    API_KEY_HEADER,
    PUBLIC_ROUTE,
    TokenVerifier,
    current_key_holder,
    current_principal,
    public_route,
)
from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.calendar_store import CalendarFollower
from zhicheng_common.clock import Clock, ControlledClock, SystemClock
from zhicheng_common.clock_store import ClockFollower
from zhicheng_common.db import Database, outbox_table
from zhicheng_common.events.consumer import EventConsumer, Subscription, consumers_of, legacy_durable_name
from zhicheng_common.events.natsauth import connect_as
from zhicheng_common.events.outbox import OutboxRelay
from zhicheng_common.events.permissions import check_consumes, durable_name
from zhicheng_common.events.streams import ensure_streams
from zhicheng_common.ids import uuid7
from zhicheng_common.limits import NulCharacterGuard, RequestSizeLimit, upload_allowances
from zhicheng_common.logging import configure_logging, normalize_trace_id, set_trace_id, trace_id_from_traceparent
from zhicheng_common.middleware import HttpMiddleware
from zhicheng_common.problems import (
    PROBLEM_RESPONSES,
    document_problems,
    install_problem_handlers,
    internal_error_response,
)
from zhicheng_common.scheduler import Job, Scheduler
from zhicheng_common.settings import CommonSettings, ServiceSettings

log = structlog.get_logger()

NATS_START_TIMEOUT_SECONDS = 5.0

# A service's recomputation of its stored deadlines for the years whose arrangement changed
# (one unit of work; returns how many deadlines it changed).
CalendarJob = Callable[[AsyncSession, frozenset[int]], Awaitable[int]]


class OutboxBacklog(BaseModel):
    """Events the service committed that the relay has not published yet."""

    unpublished: int
    oldest_seconds: float = Field(description="age of the oldest unpublished event (0 without one)")


class HealthDetail(BaseModel):
    """What an operator watches besides readiness: the broker and the events waiting for it."""

    nats: str = Field(description="`ok` or `unavailable`")
    outbox: OutboxBacklog | None = Field(description="null when the database could not be asked")


class Health(BaseModel):
    status: str
    service: str
    checks: dict[str, str] = {}
    detail: HealthDetail | None = None


@dataclass
class ServiceRuntime:
    """What a running service holds: settings, database, NATS, background tasks."""

    name: str
    common: CommonSettings
    settings: ServiceSettings
    database: Database
    subscriptions: Sequence[Subscription] = ()
    scheduler: Scheduler | None = None
    sequencer: JournalSequencer | None = None
    nats: NatsClient | None = None
    js: JetStreamContext | None = None
    relay: OutboxRelay | None = None
    consumers: list[EventConsumer] = field(default_factory=list)
    calendar_follower: CalendarFollower | None = None
    clock_follower: ClockFollower | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        # The journal's sequencer needs only the database: entries are linked during a broker outage too.
        if self.sequencer is not None:
            self.tasks.append(asyncio.create_task(self.sequencer.run(self.stop)))
        if self.scheduler is not None and self.scheduler.jobs and self.settings.scheduler_enabled:
            self.tasks.append(asyncio.create_task(self.scheduler.run(self.stop)))
        try:
            # Bounded: connect() retries an unreachable server forever (max_reconnect_attempts=-1),
            # which would hold the lifespan and keep the service from serving HTTP at all.
            first = connect_as(self.common, self.name)
            self.nats = await asyncio.wait_for(first, timeout=NATS_START_TIMEOUT_SECONDS)
            self.js = self.nats.jetstream()
            await ensure_streams(self.js, self.common)
        except Exception as exc:
            # Keep serving HTTP (healthz detail says NATS is down); retry in the background.
            log.error("nats.unavailable_at_start", error=repr(exc))
            self.tasks.append(asyncio.create_task(self._connect_later()))
            return
        self._start_workers()

    async def _connect_later(self) -> None:
        while not self.stop.is_set():
            await asyncio.sleep(1.0)
            try:
                self.nats = await connect_as(self.common, self.name)
                self.js = self.nats.jetstream()
                await ensure_streams(self.js, self.common)
            except Exception as exc:
                log.warning("nats.still_unavailable", error=repr(exc))
                continue
            self._start_workers()
            return

    def _start_workers(self) -> None:
        assert self.js is not None
        if self.clock_follower is not None:
            self.tasks.append(asyncio.create_task(self.clock_follower.run(self.js, self.stop)))
        if self.calendar_follower is not None:
            self.tasks.append(asyncio.create_task(self.calendar_follower.run(self.js, self.stop)))
        if self.settings.relay_enabled:
            self.relay = OutboxRelay(
                self.database.engine,
                self.js,
                schema=self.database.schema,
                prefix=self.common.events_prefix,
                batch_size=self.common.outbox_batch_size,
                poll_seconds=self.common.outbox_poll_seconds,
                retention=self.common.outbox_retention,
            )
            self.tasks.append(asyncio.create_task(self.relay.run(self.stop)))
        if self.settings.consumers_enabled:
            # One durable per producer (``<service>-<producer>``), dispatching by subject: the
            # stream's order per aggregate is the order the handlers see.
            for producer, grouped in consumers_of(self.name, self.subscriptions).items():
                for group in sorted({s.group for s in grouped}):
                    self._start_consumer(producer, group, [s for s in grouped if s.group == group])

    def _start_consumer(self, producer: str, group: str, subscriptions: Sequence[Subscription]) -> None:
        assert self.js is not None
        consumer = EventConsumer(
            service=self.name,
            producer=producer,
            subscriptions=subscriptions,
            durable=durable_name(f"{self.name}-{group}" if group else self.name, producer),
            js=self.js,
            database=self.database,
            stream=self.common.stream_name,
            prefix=self.common.events_prefix,
            # A group is newer than the per-type durables: nothing of its own to retire.
            retire=[] if group else [legacy_durable_name(self.name, s.name) for s in subscriptions],
            max_deliver=self.common.events_max_deliver,
            retry_delay_seconds=self.common.events_retry_delay_seconds,
            park_max_seconds=self.common.events_park_max_seconds,
            batch_size=self.common.events_fetch_batch,
        )
        self.consumers.append(consumer)
        self.tasks.append(asyncio.create_task(consumer.run(self.stop)))

    async def close(self) -> None:
        self.stop.set()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.nats is not None and not self.nats.is_closed:
            await self.nats.close()
        await self.database.dispose()

    async def readiness(self) -> dict[str, str]:
        """What readiness depends on: the database only.

        A broker outage is what the outbox rides out: requests keep committing their changes and
        events, and the relay publishes them when NATS is back. Taking every service out of the
        load balancer for it would turn a broker outage into a platform outage.
        """
        try:
            await asyncio.wait_for(self.database.ping(), timeout=2.0)
            return {"database": "ok"}
        except Exception as exc:
            return {"database": f"unavailable: {type(exc).__name__}"}

    @property
    def nats_state(self) -> str:
        return "ok" if self.nats is not None and self.nats.is_connected else "unavailable"

    async def outbox_backlog(self) -> OutboxBacklog | None:
        """Events committed but not yet published (None when the database cannot say)."""
        t = outbox_table.c
        query = select(
            func.count(), func.coalesce(func.extract("epoch", func.now() - func.min(t.created_at)), 0)
        ).where(t.published_at.is_(None))
        try:
            async with asyncio.timeout(2.0), self.database.engine.connect() as conn:
                count, oldest = (await conn.execute(query)).one()
        except Exception as exc:
            log.warning("health.outbox_backlog_unknown", error=repr(exc))
            return None
        return OutboxBacklog(unpublished=int(count), oldest_seconds=round(float(oldest), 3))


RouteTable = list[tuple[re.Pattern[str], frozenset[str]]]


def route_table(routes: Sequence[BaseRoute]) -> RouteTable:
    """The full path pattern and methods of every route in ``routes``, included routers flattened.

    FastAPI keeps an included router as one entry whose routes carry their full paths in their
    effective contexts; a plain route has its own pattern.
    """
    table: RouteTable = []
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            for context in contexts():
                methods = getattr(context.original_route, "methods", None)
                if methods:
                    table.append((compile_path(context.path)[0], frozenset(methods)))
        elif isinstance(route, Route) and route.methods:
            table.append((route.path_regex, frozenset(route.methods)))
    return table


def declared_methods(table: RouteTable, path: str) -> set[str]:
    """The methods the routes of ``table`` declare for ``path`` (empty when none of them has it)."""
    return {method for pattern, methods in table if pattern.match(path) for method in methods}


def method_guard(declared: Sequence[BaseRoute]) -> Callable[[Request], Awaitable[None]]:
    """A dependency of the fallback routes: a path declared elsewhere with other methods is 405.

    Without it a catch-all route (the gateway's forwarding) takes ``DELETE /api/v1/openapi.json``
    and answers 404 for a path that exists: the client should learn the methods it allows. The
    table is built on the first request (every router is included by then): a few regular
    expressions per forwarded request.
    """
    table: RouteTable | None = None

    async def guard(request: Request) -> None:
        nonlocal table
        if table is None:
            table = route_table(declared)
        path: str = request.scope["path"]
        root = request.scope.get("root_path", "")
        allowed = declared_methods(table, path.removeprefix(root) if root else path)
        if allowed and request.method not in allowed:
            raise StarletteHTTPException(405, headers={"Allow": ", ".join(sorted(allowed))})

    return guard


class ErrorBoundary(HttpMiddleware):
    """Answers an unexpected error with the 500 problem and keeps the connection open.

    Starlette's outermost error middleware sends its 500 and then re-raises, and uvicorn closes a
    connection whose application raised. The gateway's pooled client has already taken that
    connection back as keep-alive (the 500 said nothing about closing), so the next request sent
    on it failed as 503 ``upstream_unavailable``. Handled here, the exception never reaches the
    server: the 500 is an ordinary response on a connection that stays usable.
    """

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception as exc:
            if started:  # half a response is out: only closing the connection can tell the client
                raise
            await internal_error_response(exc)(scope, receive, send)


class CorrelationMiddleware(HttpMiddleware):
    """One correlation id per request: from ``traceparent`` or ``X-Request-ID`` (a 32-hex id or a
    UUID), else a new one; echoed in ``X-Request-ID`` and carried into the events' ``traceparent``.

    A plain ASGI middleware (zhicheng_common.middleware).
    """

    def __init__(self, app: ASGIApp, *, metrics: HttpMetrics) -> None:
        super().__init__(app)
        self.metrics = metrics

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        # The id must be a W3C trace id so that it can travel on as the events' traceparent.
        trace_id = (
            trace_id_from_traceparent(headers.get("traceparent"))
            or normalize_trace_id(headers.get("x-request-id"))
            or uuid7().hex
        )
        # Each request runs in its own context, so the id needs no reset; keeping it set lets the
        # error handlers outside this middleware put it into a 500 problem too.
        set_trace_id(trace_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = trace_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            method = scope.get("method", "")
            self.metrics.requests.labels(method, path, str(status)).inc()
            self.metrics.latency.labels(method, path).observe(time.perf_counter() - started)


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "zc_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=registry
        )
        self.latency = Histogram("zc_http_request_seconds", "HTTP latency", ["method", "route"], registry=registry)


class HealthMetrics:
    """Gauges of the broker connection and the outbox backlog, refreshed on each scrape."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.nats_connected = Gauge("zc_nats_connected", "1 when connected to NATS", registry=registry)
        self.outbox_unpublished = Gauge(
            "zc_outbox_unpublished", "events committed and not yet published", registry=registry
        )
        self.outbox_oldest = Gauge(
            "zc_outbox_oldest_unpublished_seconds", "age of the oldest unpublished event", registry=registry
        )

    def record(self, detail: HealthDetail) -> None:
        self.nats_connected.set(1 if detail.nats == "ok" else 0)
        if detail.outbox is not None:
            self.outbox_unpublished.set(detail.outbox.unpublished)
            self.outbox_oldest.set(detail.outbox.oldest_seconds)


def make_clock(common: CommonSettings) -> Clock:
    """The clock ``ZC_CLOCK`` names: the system's, or the deployment's controlled one (docs/clock.md).

    A service's composition root calls this once and hands the result to everything that reads
    the time; ``create_service_app`` follows the clock it is given.
    """
    return ControlledClock() if common.clock == "controlled" else SystemClock()


Settings = TypeVar("Settings", bound=ServiceSettings)


def composition(
    common: CommonSettings | None, settings: Settings | None, settings_type: type[Settings], clock: Clock | None
) -> tuple[CommonSettings, Settings, Clock]:
    """What a ``create_app()`` builds with: the settings and clock given (tests), else the environment's."""
    common = common or CommonSettings()
    return common, settings or settings_type(), clock or make_clock(common)


def depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    """Whether ``call`` is among a route's dependencies, at any depth."""
    return dependant.call is call or any(depends_on(d, call) for d in dependant.dependencies)


@dataclass(frozen=True)
class Operation:
    """One (path, method) an app answers, with the dependant FastAPI resolves for it.

    ``dependant`` is None for a plain Starlette route (FastAPI's own document and docs pages).
    """

    path: str
    method: str
    dependant: Dependant | None
    route: BaseRoute


def operations(routes: Sequence[BaseRoute]) -> list[Operation]:
    """Every (path, method) of ``routes``, included routers flattened.

    Included routers are flattened as in ``route_table``: their routes' effective contexts carry
    the full path and the dependant with the router's own dependencies.
    """
    out: list[Operation] = []
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            for context in contexts():
                methods = getattr(context.original_route, "methods", None) or ()
                dependant = getattr(context, "dependant", None)
                path = compile_path(context.path)[1]
                out.extend(Operation(path, method.lower(), dependant, context.original_route) for method in methods)
        elif isinstance(route, APIRoute):
            out.extend(Operation(route.path_format, m.lower(), route.dependant, route) for m in route.methods or ())
        elif isinstance(route, Route):
            out.extend(Operation(route.path_format, m.lower(), None, route) for m in route.methods or ())
    return out


def authenticated_operations(routes: Sequence[BaseRoute]) -> set[tuple[str, str]]:
    """(path, method) of every route whose dependencies include the verified caller."""
    return {
        (op.path, op.method)
        for op in operations(routes)
        if op.dependant is not None and depends_on(op.dependant, current_principal)
    }


def public_operations(routes: Sequence[BaseRoute]) -> set[tuple[str, str]]:
    """(path, method) of every route marked public (``dependencies=[PUBLIC_ROUTE]``)."""
    return {
        (op.path, op.method)
        for op in operations(routes)
        if op.dependant is not None and depends_on(op.dependant, public_route)
    }


def key_operations(routes: Sequence[BaseRoute]) -> set[tuple[str, str]]:
    """(path, method) of every route whose caller is identified by an API key (``current_key_holder``)."""
    return {
        (op.path, op.method)
        for op in operations(routes)
        if op.dependant is not None and depends_on(op.dependant, current_key_holder)
    }


def document_security(
    document: dict[str, Any],
    authenticated: set[tuple[str, str]],
    public: set[tuple[str, str]],
    keyed: set[tuple[str, str]] | None = None,
) -> None:
    """Name the bearer token in the document on every operation that needs it; a public one says
    ``security: []`` (so a document-wide requirement, as the gateway's merged one has, skips it)."""
    schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "网关签发的访问令牌 (POST /api/v1/auth/token)",
    }
    if keyed:
        schemes["apiKey"] = {
            "type": "apiKey",
            "in": "header",
            "name": API_KEY_HEADER,
            "description": "机构或第三方的 API 密钥 (docs/api-keys.md)",
        }
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if keyed and (path, method) in keyed and "security" not in operation:
                operation["security"] = [{"apiKey": []}]
            elif (path, method) in authenticated and "security" not in operation:
                operation["security"] = [{"bearer": []}]
            elif (path, method) in public and "security" not in operation:
                operation["security"] = []


def service_app_factory(
    settings_type: type[ServiceSettings], routers: Sequence[APIRouter], subscriptions: Sequence[Subscription] = ()
) -> Callable[..., FastAPI]:
    """``create_app(common=None, settings=None)`` of a service that needs only its routers and subscriptions."""

    def create_app(common: CommonSettings | None = None, settings: ServiceSettings | None = None) -> FastAPI:
        return create_service_app(common or CommonSettings(), settings or settings_type(), routers, subscriptions)

    return create_app


def create_service_app(
    common: CommonSettings,
    settings: ServiceSettings,
    routers: Sequence[APIRouter] = (),
    subscriptions: Sequence[Subscription] = (),
    jobs: Sequence[Job] = (),
    *,
    name: str | None = None,
    area: str | None = None,
    title: str | None = None,
    fallback_routers: Sequence[APIRouter] = (),
    clock: Clock | None = None,
    schema: str | None = None,
    description: str = "",
    calendar: WorkingDayCalendar | None = None,
    on_calendar_change: CalendarJob | None = None,
    context: object | None = None,
) -> FastAPI:
    """Build a service's FastAPI app; routers are mounted under ``/api/v1``.

    The service is the one its settings name (``ServiceSettings`` subclass); its area, title and
    description come from the topology unless given.

    ``fallback_routers`` (catch-alls such as the gateway's forwarding) are mounted last; a path that
    another route declares with other methods is answered 405 with ``Allow`` before they run.

    ``context`` is the service's typed context, reached by routes through
    :func:`zhicheng_common.api.service_context`.

    With ``calendar``, the service follows the loaded holiday arrangements (calendar_store) and,
    with ``on_calendar_change``, recomputes its stored deadlines when a year's arrangement changes.
    """
    name = name or settings.service_name
    if area is None or title is None:
        info = topology.service(name)
        area, title, description = area or info.area, title or info.title, description or info.description
    configure_logging(name, level=common.log_level, json=common.log_json)
    check_consumes(name, consumers_of(name, subscriptions))
    # A group's durables get NATS permissions only when the topology lists the group.
    groups = {s.group for s in subscriptions if s.group}
    if name in {info.name for info in topology.ALL_SERVICES} and not groups <= set(
        topology.service(name).consumer_groups
    ):
        raise ValueError(f"{name}: consumer groups {sorted(groups)} not all in topology's consumer_groups")
    clock = clock or make_clock(common)
    database = Database(settings.database_url or common.database_url, schema or name, clock=clock)
    runtime = ServiceRuntime(
        name=name,
        common=common,
        settings=settings,
        database=database,
        subscriptions=subscriptions,
        scheduler=Scheduler(database, jobs, clock),
        sequencer=journal_sequencer(common, name, database),
    )
    if isinstance(clock, ControlledClock):
        runtime.clock_follower = ClockFollower(clock, common, retry_seconds=common.calendar_retry_seconds)
        if runtime.scheduler is not None:
            clock.on_move(runtime.scheduler.wake)
    if calendar is not None:
        recompute = on_calendar_change

        async def on_change(years: frozenset[int]) -> None:
            if recompute is None:
                return
            async with database.unit_of_work() as session:
                changed = await recompute(session, years)
            if changed:
                log.info("calendar.deadlines_changed", years=sorted(years), count=changed)

        runtime.calendar_follower = CalendarFollower(
            calendar, common, on_change, retry_seconds=common.calendar_retry_seconds
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        log.info("service.started", area=area)
        try:
            yield
        finally:
            await runtime.close()
            log.info("service.stopped")

    app = FastAPI(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        responses=PROBLEM_RESPONSES,
        openapi_url=f"/api/v1/{area}/openapi.json",
        docs_url=f"/api/v1/{area}/docs",
        redoc_url=None,
    )
    registry = CollectorRegistry()
    app.state.runtime = runtime
    app.state.database = database
    app.state.clock = clock
    app.state.context = context
    app.state.token_verifier = TokenVerifier(common)
    app.state.metrics_registry = registry
    install_problem_handlers(app)
    app.add_middleware(ErrorBoundary)  # inside the correlation middleware: the 500 carries the request id
    app.add_middleware(NulCharacterGuard)
    # Inside the correlation middleware, so that a 413 carries the request's id and is counted.
    app.add_middleware(
        RequestSizeLimit, max_bytes=common.max_request_bytes, allowances=upload_allowances(common.max_upload_bytes)
    )
    app.add_middleware(CorrelationMiddleware, metrics=HttpMetrics(registry))

    health_metrics = HealthMetrics(registry)

    async def health_detail() -> HealthDetail:
        detail = HealthDetail(nats=runtime.nats_state, outbox=await runtime.outbox_backlog())
        health_metrics.record(detail)
        return detail

    # Probes and scrapes answer without a token (kubelet, Prometheus).
    @app.get(
        "/healthz",
        tags=["health"],
        summary="存活检查 (alive; NATS and outbox backlog in detail)",
        dependencies=[PUBLIC_ROUTE],
    )
    async def healthz() -> Health:
        """The process is alive; the detail says whether NATS is reachable and what the outbox holds."""
        return Health(status="ok", service=name, detail=await health_detail())

    @app.get(
        "/readyz",
        tags=["health"],
        summary="就绪检查 (database reachable)",
        dependencies=[PUBLIC_ROUTE],
        responses={503: {"model": Health, "description": "not ready"}},
    )
    async def readyz() -> JSONResponse:
        """Ready when the database answers (a NATS outage is ridden out by the outbox)."""
        checks = await runtime.readiness()
        ready = all(v == "ok" for v in checks.values())
        body = Health(status="ready" if ready else "not_ready", service=name, checks=checks)
        return JSONResponse(body.model_dump(exclude_none=True), status_code=200 if ready else 503)

    @app.get(
        "/metrics", tags=["health"], summary="Prometheus metrics", include_in_schema=False, dependencies=[PUBLIC_ROUTE]
    )
    async def metrics() -> Response:
        await health_detail()
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    for router in routers:
        app.include_router(router, prefix="/api/v1")
    declared = list(app.routes)
    for router in fallback_routers:
        app.include_router(router, prefix="/api/v1", dependencies=[Depends(method_guard(declared))])

    # The document says what the server sends: every error (422 included) is a Problem under
    # application/problem+json, and the Problem schema is part of every document.
    original_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = document_problems(original_openapi())
        document_security(
            document,
            authenticated_operations(app.routes),
            public_operations(app.routes),
            key_operations(app.routes),
        )
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
    return app
