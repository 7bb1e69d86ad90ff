"""Settings of the gateway (environment prefix ``ZC_GATEWAY_``).

Upstreams are one field per domain service (``ZC_GATEWAY_INTAKE_URL`` …), defaulting to the
loopback ports of :mod:`zhicheng_common.topology`; a service the topology adds later without a
field here is reached at its topology default (see :meth:`GatewaySettings.upstream_urls`).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator

from zhicheng_common.regions import is_region_code
from zhicheng_common.settings import ServiceSettings, migrations_dir
from zhicheng_common.topology import DOMAIN_SERVICES, GATEWAY, service

SERVICE, AREA, MIGRATIONS_DIR = GATEWAY.name, "gateway", migrations_dir(__file__)


class GatewaySettings(ServiceSettings, service=SERVICE):
    """What the gateway reads from ``ZC_GATEWAY_*``."""

    # Identity: the built-in issuer signs with the `jwt` key ring (ZC_KEYS_DIR/jwt, docs/keys.md).
    token_ttl_seconds: int = Field(default=3600, ge=60)
    # How many scrypt hashes or checks run at once in a process (sign-in, new users): each holds
    # 16 MiB while it runs (service.Passwords) and the others wait their turn. One check is about
    # 75 ms of a core, so one worker signs in about 13 users a second per gateway process, within
    # the 150 MB a process is given (bench/RESULTS.md, season); scale sign-ins with replicas.
    password_hash_workers: int = Field(default=1, ge=1)
    # Absolute base URL clients reach the gateway at, for the OIDC discovery document; when unset
    # the request's own base URL is used (wrong behind a reverse proxy that rewrites hosts).
    public_url: str | None = None

    # The administrator created at start-up (once: a later password change here does not touch an
    # existing account). Placeholder passwords are refused outside development and test.
    admin_username: str = "admin"
    admin_password: SecretStr = SecretStr("changeme")
    admin_region: str = "140000"
    admin_name: str = "系统管理员"

    # Upstreams: one base URL per domain service.
    intake_url: str = service("intake").default_url
    review_url: str = service("review").default_url
    experts_url: str = service("experts").default_url
    committees_url: str = service("committees").default_url
    integrity_url: str = service("integrity").default_url
    certificates_url: str = service("certificates").default_url
    upstream_timeout_seconds: float = Field(default=10.0, gt=0)
    upstream_max_connections: int = Field(default=100, ge=1)
    upstream_max_keepalive: int = Field(default=20, ge=0)
    health_timeout_seconds: float = Field(default=3.0, gt=0)
    openapi_cache_seconds: float = Field(default=30.0, ge=0)

    # Paths under /api/v1 the gateway forwards WITHOUT checking a token (e.g. public certificate
    # verification). A prefix matches itself and everything below it, segment-wise. The gateway's
    # own public routes (token, JWKS, discovery, healthz, merged OpenAPI, docs) need no entry.
    public_path_prefixes: list[str] = Field(
        # Anyone with a publicity's link may read it and object (RV-6); anyone may verify a certificate
        # and read the status lists and issuer keys (CE-3); the services mark these routes public.
        default_factory=lambda: ["/api/v1/reviews/public", "/api/v1/certificates/public"]
    )

    # API keys (docs/api-keys.md): defaults for a key issued without its own figures.
    api_key_quota: int = Field(default=600, ge=1)  # calls per window
    api_key_window_seconds: int = Field(default=60, ge=1)
    api_key_overlap_seconds: int = Field(default=86_400, ge=0)  # the old secret's life after a rotation

    # Inter-agency feeds (docs/feeds.md).
    feed_page_limit: int = Field(default=100, ge=1, le=1000)  # events per pulled page unless asked
    webhook_max_failures: int = Field(default=5, ge=1)  # failed tries in a row before a webhook is disabled
    webhook_backoff_seconds: float = Field(default=10.0, gt=0)  # wait after the first failure, doubled each time
    webhook_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_interval_seconds: float = Field(default=5.0, gt=0)  # how often due deliveries are looked for
    webhook_batch: int = Field(default=50, ge=1)  # events per webhook per round
    # The event catalog served at GET /api/v1/feeds/catalog (docs/asyncapi.yaml unless set).
    catalog_path: Path | None = None

    # Public verification (docs/verify.md): matched answers of the certificates service cached per
    # lookup in each process, evicted by the certificates' status events (read from the gateway's
    # table every poll), and never kept longer than the cache seconds in any case.
    verify_cache_size: int = Field(default=200_000, ge=0)
    verify_cache_seconds: float = Field(default=600.0, ge=0)
    verify_poll_seconds: float = Field(default=0.25, gt=0)
    verify_count_flush_seconds: float = Field(default=2.0, gt=0)

    # Rate limits per client address on the routes that need no token (zhicheng_common.limits.
    # RateLimit): the login (guessing passwords) and every other public route (publicity pages,
    # objections, reference data). A client over its rate gets 429 `rate_limited` with Retry-After.
    login_rate_per_minute: float = Field(default=30.0, gt=0)
    login_rate_burst: int = Field(default=30, ge=1)
    public_rate_per_minute: float = Field(default=600.0, gt=0)
    public_rate_burst: int = Field(default=200, ge=1)

    @field_validator("admin_region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not is_region_code(value):
            raise ValueError(f"not a GB/T 2260 region code: {value!r}")
        return value

    @field_validator("public_path_prefixes")
    @classmethod
    def _prefixes(cls, value: list[str]) -> list[str]:
        for prefix in value:
            if not prefix.startswith("/api/v1/"):
                raise ValueError(f"a public path prefix must start with /api/v1/: {prefix!r}")
        return [prefix.rstrip("/") for prefix in value]

    def upstream_urls(self) -> dict[str, str]:
        """Base URL of every domain service, by service name."""
        return {
            info.name: str(getattr(self, f"{info.name}_url", info.default_url)).rstrip("/") for info in DOMAIN_SERVICES
        }
