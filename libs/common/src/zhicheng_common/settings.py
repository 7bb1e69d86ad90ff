"""Settings shared by every service (pydantic-settings, environment prefix ``ZC_``)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from zhicheng_common import topology

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "changethis", "secret", "password", "admin"})

Environment = Literal["development", "test", "production"]
# system: the machine's time; controlled: the real time plus one offset shared by the whole
# deployment, moved by `zhicheng clock` (staging and simulation only, docs/clock.md).
ClockMode = Literal["system", "controlled"]


class CommonSettings(BaseSettings):
    """What every service reads from ``ZC_*``: where the database and NATS are, identity, events.

    The defaults run the embedded stack that ``zhicheng up`` starts.
    """

    model_config = SettingsConfigDict(env_prefix="ZC_", extra="ignore")

    environment: Environment = "development"
    clock: ClockMode = "system"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:54329/zhicheng"
    nats_url: str = "nats://127.0.0.1:42229"
    # How this process authenticates to NATS (zhicheng_common.events.natsauth; none = no auth).
    # Each process is one principal: a service's pod is given that service's own key only.
    nats_creds_file: Path | None = None
    nats_nkey_seed: SecretStr | None = None
    nats_nkey_seed_file: Path | None = None
    nats_user: str | None = None
    nats_password: SecretStr | None = None
    # <principal>.nk seeds as `zhicheng nats keys` writes them; unset: <data_dir>/nats-keys, where
    # `zhicheng up` keeps the keys of its embedded NATS.
    nats_keys_dir: Path | None = None
    data_dir: Path = Path(".zhicheng")
    # Where `zhicheng backup` / `restore` find pg_dump and pg_restore (docs/backups.md); unset:
    # the embedded wheel's (development), else PATH. They must not be older than the server.
    pg_bin_dir: Path | None = None
    log_level: str = "INFO"
    log_json: bool = True

    # Events: the subject root doubles as a namespace, so tests and tenants can share one NATS.
    events_prefix: str = "zc"
    events_replicas: int = 1
    events_duplicate_window_seconds: int = 600
    events_max_deliver: int = 5
    events_retry_delay_seconds: float = 1.0
    # An event about an aggregate the consumer does not know yet is redelivered after a delay
    # (parked) for this long after the stream stored it, then dead-lettered (issue 10 §1).
    events_park_max_seconds: float = Field(default=86400.0, gt=0)
    events_fetch_batch: int = Field(default=100, ge=1)  # messages per fetch, applied in one transaction
    # `zhicheng readmodel rebuild` (docs/readmodel.md): how long one fetch of a temporary consumer
    # waits, and how many fetches in a row may bring nothing while the consumer still owes this
    # process messages (delivered, not received) before they count as lost; how many times per
    # producer the replay then reads on from the last message received, before it stops with an
    # error instead of waiting for ever or swapping in a model without them.
    readmodel_rebuild_fetch_seconds: float = Field(default=2.0, gt=0)
    readmodel_rebuild_patience: int = Field(default=30, ge=1)
    readmodel_rebuild_resumes: int = Field(default=3, ge=0)
    # How long JetStream keeps events and dead letters (0 = until removed by hand). A consumer
    # that is down longer than this misses what expired, so keep it well above any outage; the
    # outbox and inbox stay the record of what a service published and applied.
    events_max_age_days: int = Field(default=0, ge=0)
    events_max_bytes: int = Field(default=-1, ge=-1)  # -1 = no limit
    dead_letters_max_age_days: int = Field(default=0, ge=0)
    outbox_batch_size: int = 200
    outbox_poll_seconds: float = 2.0
    # Published outbox rows are the record `zhicheng events reconcile` re-publishes after a broker
    # lost acknowledged writes, so they are kept as long as the stream keeps events (unset: exactly
    # that; with events_max_age_days=0, for ever). A shorter setting is refused.
    outbox_retention_hours: int | None = Field(default=None, ge=1)

    # Identity: tokens are verified by every service against the issuer's public keys.
    jwt_issuer: str = "zhicheng"
    jwt_audience: str = "zhicheng"
    jwt_algorithms: list[str] = Field(default_factory=lambda: ["EdDSA", "RS256"])
    jwt_jwks_file: Path | None = None
    jwt_jwks_url: str | None = None
    jwt_jwks: str | None = None
    # How long the JWKS is kept before it is fetched again, and how often at most a token naming
    # an unknown key id (a rotation, or junk) makes it be fetched early.
    jwt_jwks_cache_seconds: float = Field(default=300.0, gt=0)
    jwt_jwks_refetch_seconds: float = Field(default=30.0, ge=0)

    # Keyed hash and encryption of personal identifiers (GB 11643 numbers, credit codes).
    pii_key: str = "development-only-pii-key"

    # Largest request body any service (and the gateway) reads, in bytes; the routes that take a
    # file (zhicheng_common.limits.UPLOAD_ROUTES) get max_upload_bytes instead. Over it: 413.
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)

    calendar_overrides: str | None = None
    # How soon a service looks again for the calendar bucket (before the first `zhicheng calendar
    # load`) or retries a recomputation that failed.
    calendar_retry_seconds: float = Field(default=5.0, gt=0)

    # Key rings (zhicheng_common.keys, docs/keys.md): one directory per purpose under this one
    # (jwt, review-decisions, journal-<service>), mounted from secrets; unset: <data_dir>/keys.
    # In production a missing ring is a start-up error; elsewhere it is generated once.
    keys_dir: Path | None = None
    # The audit journal's seal: each service signs its chain head with the key of its ring
    # ``journal-<service>`` (replicas share it through the mounted secret).
    journal_seal_hours: float = 24.0
    journal_seal_check_seconds: float = 3600.0
    # How often the sequencer links the entries requests inserted (docs/journal.md): an entry is
    # in the chain, and so tamper-evident, at most about this long after its commit.
    journal_link_seconds: float = Field(default=0.5, gt=0)

    @model_validator(mode="after")
    def _refuse_placeholders_outside_development(self) -> CommonSettings:
        if self.environment == "production":
            refuse_placeholder("ZC_PII_KEY", self.pii_key)
            if self.pii_key.startswith("development-only"):
                raise ValueError("ZC_PII_KEY: the development key may not be used in production")
            if self.nats_nkey_seed is not None:
                refuse_placeholder("ZC_NATS_NKEY_SEED", self.nats_nkey_seed.get_secret_value())
        return self

    @model_validator(mode="after")
    def _no_controlled_clock_in_production(self) -> CommonSettings:
        if self.clock == "controlled" and self.environment == "production":
            raise ValueError(
                "ZC_CLOCK=controlled is refused with ZC_ENVIRONMENT=production: an operator could move "
                "every deadline of real applicants (abandon returned declarations, close publicities "
                "early); the controlled clock is for staging and simulation only (docs/clock.md)"
            )
        return self

    @model_validator(mode="after")
    def _outbox_outlives_the_stream(self) -> CommonSettings:
        hours = self.outbox_retention_hours
        if hours is not None and (self.events_max_age_days == 0 or hours < self.events_max_age_days * 24):
            kept = "for ever" if self.events_max_age_days == 0 else f"{self.events_max_age_days} days"
            raise ValueError(
                f"ZC_OUTBOX_RETENTION_HOURS={hours} is shorter than the stream keeps events ({kept}): "
                "events the broker loses could then not be re-published; unset it to follow the stream"
            )
        return self

    @property
    def outbox_retention(self) -> timedelta | None:
        """How long published outbox rows are kept; None: for ever (the stream never expires events)."""
        if self.outbox_retention_hours is not None:
            return timedelta(hours=self.outbox_retention_hours)
        if self.events_max_age_days == 0:
            return None
        return timedelta(days=self.events_max_age_days)

    @property
    def nats_keys_path(self) -> Path:
        return self.nats_keys_dir or self.data_dir / "nats-keys"

    @property
    def stream_name(self) -> str:
        return self.events_prefix.upper().replace(".", "_").replace("-", "_")

    @property
    def dead_letter_stream_name(self) -> str:
        return f"{self.stream_name}_DEADLETTER"


def refuse_placeholder(name: str, value: str) -> None:
    """Raise when a secret is empty or one of the well-known placeholders."""
    if value.strip().lower() in PLACEHOLDER_SECRETS:
        raise ValueError(f"{name} is a placeholder secret; set a real value outside development")


class ServiceSettings(BaseSettings):
    """Base of every service's own settings (prefix ``ZC_<SERVICE>_``).

    A service names itself once, ``class IntakeSettings(ServiceSettings, service="intake")``, and
    declares only its own fields: the environment prefix and the default port (the topology's)
    follow from the name.
    """

    model_config = SettingsConfigDict(extra="ignore")
    service_name: ClassVar[str] = ""

    host: str = "127.0.0.1"
    port: int = 8000
    # Each service can be pointed at its own database; by default it shares the cluster's.
    database_url: str | None = None
    consumers_enabled: bool = True
    relay_enabled: bool = True
    scheduler_enabled: bool = True

    def __init_subclass__(cls, *, service: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if service:
            cls.service_name = service

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.service_name and not cls.model_config.get("env_prefix"):
            # pydantic-settings reads the prefix from the class's own config at each instantiation.
            cls.model_config["env_prefix"] = f"ZC_{cls.service_name.upper()}_"
            cls.model_fields["port"].default = topology.service(cls.service_name).port
            cls.model_rebuild(force=True)


def prefixed(settings: BaseSettings, prefix: str) -> dict[str, Any]:
    """The settings named ``<prefix>…`` keyed without the prefix: ``prefixed(settings, "smtp_")`` gives
    the keywords of the client they configure (``host``, ``port``…), each value as the settings hold it."""
    return {
        name.removeprefix(prefix): getattr(settings, name)
        for name in type(settings).model_fields
        if name.startswith(prefix)
    }


def migrations_dir(settings_file: str) -> Path:
    """``services/<name>/migrations`` of the service whose ``settings.py`` is ``settings_file``."""
    return Path(settings_file).resolve().parents[2] / "migrations"
