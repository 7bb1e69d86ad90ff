"""App factory of the gateway: ``uvicorn zhicheng_gateway.app:create_app --factory``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import httpx
import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.middleware import Middleware

from zhicheng_common.app import create_service_app, make_clock
from zhicheng_common.auth import TokenIssuer
from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.clock import Clock
from zhicheng_common.db import Database
from zhicheng_common.keys import FEED_PAGES, JWT, ring_for
from zhicheng_common.limits import RateLimit
from zhicheng_common.pii import PiiCipher
from zhicheng_common.scheduler import Job
from zhicheng_common.settings import CommonSettings, refuse_placeholder
from zhicheng_gateway import service
from zhicheng_gateway.api import discovery_router, proxy_router, routers
from zhicheng_gateway.auth import AuthenticateFirst, GatewayTokenVerifier, public_rate_rules
from zhicheng_gateway.consumers import SUBSCRIPTIONS
from zhicheng_gateway.feeds import api as feeds_api
from zhicheng_gateway.feeds.service import DEFAULT_CATALOG, FeedsContext, deliver_webhooks
from zhicheng_gateway.holder import api as holder_api
from zhicheng_gateway.keys import api as keys_api
from zhicheng_gateway.keys.auth import KeyAuthenticator
from zhicheng_gateway.openapi import OpenApiCache
from zhicheng_gateway.proxy import Upstreams
from zhicheng_gateway.readmodel import api as readmodel_api
from zhicheng_gateway.readmodel import consumers as readmodel_consumers
from zhicheng_gateway.readmodel.projection import ReadModelContext
from zhicheng_gateway.reference import router as reference_router
from zhicheng_gateway.settings import GatewaySettings
from zhicheng_gateway.verify import api as verify_api
from zhicheng_gateway.verify.service import VerifyContext

log = structlog.get_logger()

BOOTSTRAP_RETRY_MAX_SECONDS = 30.0


async def bootstrap_admin(database: Database, settings: GatewaySettings, passwords: service.Passwords) -> None:
    """Create the configured administrator if missing (idempotent; safe with several gateways)."""
    async with database.unit_of_work() as session:
        user = await service.bootstrap_admin(
            session,
            username=settings.admin_username,
            password=settings.admin_password.get_secret_value(),
            region=settings.admin_region,
            name=settings.admin_name,
            passwords=passwords,
        )
    if user is not None:
        log.info("gateway.admin.bootstrapped", user_id=str(user.id), region=user.region)


async def _bootstrap_until_done(database: Database, settings: GatewaySettings, passwords: service.Passwords) -> None:
    delay = 1.0
    while True:
        await asyncio.sleep(delay)
        try:
            await bootstrap_admin(database, settings, passwords)
        except Exception as exc:  # the database may still be starting or unmigrated: keep trying
            log.warning("gateway.admin.bootstrap_retrying", error=repr(exc))
            delay = min(delay * 2, BOOTSTRAP_RETRY_MAX_SECONDS)
            continue
        return


def create_app(
    common: CommonSettings | None = None, settings: GatewaySettings | None = None, *, clock: Clock | None = None
) -> FastAPI:
    """Build the gateway app (composition root); ``clock`` for tests that move time."""
    common = common or CommonSettings()
    settings = settings or GatewaySettings()
    if settings.admin_username and common.environment not in ("development", "test"):
        refuse_placeholder("ZC_GATEWAY_ADMIN_PASSWORD", settings.admin_password.get_secret_value())
    # The `jwt` key ring (docs/keys.md): mounted in production, generated once elsewhere.
    issuer = TokenIssuer.from_ring(ring_for(common, JWT), issuer=common.jwt_issuer, audience=common.jwt_audience)

    # The proxy is a fallback, mounted last: the gateway's own routes win, and their 405s too.
    clock = clock or make_clock(common)
    cipher = PiiCipher(common.pii_key)
    feeds = FeedsContext(
        settings=settings,
        cipher=cipher,
        ring=ring_for(common, FEED_PAGES),
        clock=clock,
        catalog_path=settings.catalog_path or DEFAULT_CATALOG,
    )

    readmodel = ReadModelContext(
        cipher=cipher, calendar=WorkingDayCalendar.from_settings_json(common.calendar_overrides)
    )

    async def push_webhooks(session: AsyncSession, now: datetime) -> int:
        return await deliver_webhooks(session, now, context=feeds)

    app = create_service_app(
        common,
        settings,
        # Verification first: the public's hot path, matched before the other routes are tried.
        [
            verify_api.router,
            *routers,
            *keys_api.routers,
            *feeds_api.routers,
            *readmodel_api.routers,
            reference_router,
            holder_api.router,
        ],
        [*SUBSCRIPTIONS, *readmodel_consumers.subscriptions(readmodel)],
        [Job("feeds.webhooks", push_webhooks, settings.webhook_interval_seconds)],
        fallback_routers=[proxy_router],
        clock=clock,
        calendar=readmodel.calendar,
    )
    app.state.feeds = feeds
    app.state.readmodel = readmodel
    app.state.token_verifier = GatewayTokenVerifier(common, issuer=issuer)
    app.state.token_issuer = issuer
    app.state.pii_cipher = cipher
    app.state.gateway_settings = settings
    passwords = service.Passwords(settings.password_hash_workers)
    app.state.passwords = passwords
    app.state.key_authenticator = KeyAuthenticator(app.state.database, app.state.clock)
    app.state.openapi_cache = OpenApiCache(settings.openapi_cache_seconds)
    # Just inside the correlation middleware (index 0): a 401 carries the request id, and no
    # body is read for a caller whose token does not verify.
    app.user_middleware.insert(1, Middleware(AuthenticateFirst, public_prefixes=settings.public_path_prefixes))
    # Outside the token check and the body limit: a client over its rate costs one lookup.
    app.user_middleware.insert(1, Middleware(RateLimit, rules=public_rate_rules(settings)))
    app.include_router(discovery_router)
    app.include_router(verify_api.page_router)  # /verify, outside /api/v1: the QR code's URL
    verify = VerifyContext(settings, cipher, issuer, app.state.clock, app.state.database)
    app.state.verify = verify

    service_lifespan = app.router.lifespan_context
    database: Database = app.state.database

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_lifespan(app):
            upstreams = Upstreams(settings)
            app.state.upstreams = upstreams
            verify.upstreams = upstreams
            verify_stop = asyncio.Event()
            verify_task = asyncio.create_task(verify.run(verify_stop))
            if feeds.http is None:  # a test may have given its own
                feeds.http = httpx.AsyncClient(timeout=settings.webhook_timeout_seconds, follow_redirects=False)
            retry: asyncio.Task[None] | None = None
            if settings.admin_username:
                try:
                    await bootstrap_admin(database, settings, passwords)
                except Exception as exc:
                    log.error("gateway.admin.bootstrap_failed", error=repr(exc))
                    retry = asyncio.create_task(_bootstrap_until_done(database, settings, passwords))
            try:
                yield
            finally:
                verify_stop.set()
                await verify_task
                if retry is not None:
                    retry.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await retry
                await upstreams.aclose()
                await feeds.http.aclose()
                passwords.close()

    app.router.lifespan_context = lifespan
    return app
