"""NATS connection and JetStream stream provisioning (one stream for all events, one for dead letters)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import nats
import structlog
from nats.aio.client import Client as NatsClient
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.client import JetStreamContext
from nats.js.errors import BucketNotFoundError, NotFoundError
from nats.js.kv import KeyValue

from zhicheng_common.settings import CommonSettings

log = structlog.get_logger()


async def connect(url: str, *, name: str, auth: Mapping[str, Any] | None = None) -> NatsClient:
    """Connect with endless reconnects: a NATS restart must not need a service restart.

    ``auth`` holds the credentials and inbox of the principal (natsauth.connect_options).
    """
    client: NatsClient | None = None

    async def on_disconnect() -> None:
        # Our own close() calls this too; only an outage is worth a line (and a CLI's stdout stays clean).
        if client is None or not client.is_closed:
            log.warning("nats.disconnected", client=name)

    async def on_reconnect() -> None:
        log.info("nats.reconnected", client=name)

    async def on_error(exc: Exception) -> None:
        log.warning("nats.error", client=name, error=repr(exc))

    client = await nats.connect(
        url,
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        disconnected_cb=on_disconnect,
        reconnected_cb=on_reconnect,
        error_cb=on_error,
        **(auth or {}),
    )
    return client


def dead_letter_subject(prefix: str, consumer: str) -> str:
    return f"{prefix}-deadletter.{consumer}"


async def ensure_streams(js: JetStreamContext, settings: CommonSettings) -> None:
    """Create or update the event stream and the dead-letter stream (idempotent)."""
    window = float(settings.events_duplicate_window_seconds)
    day = 24 * 3600.0
    # Both streams are file-backed, kept by limits and deduplicated over the same window.
    kept: dict[str, Any] = {
        "storage": StorageType.FILE,
        "retention": RetentionPolicy.LIMITS,
        "num_replicas": settings.events_replicas,
        "duplicate_window": window,
    }
    configs = [
        StreamConfig(
            name=settings.stream_name,
            subjects=[f"{settings.events_prefix}.>"],
            max_age=settings.events_max_age_days * day,
            max_bytes=settings.events_max_bytes,
            description="Zhicheng domain events (CloudEvents JSON)",
            **kept,
        ),
        StreamConfig(
            name=settings.dead_letter_stream_name,
            subjects=[f"{settings.events_prefix}-deadletter.>"],
            discard=DiscardPolicy.OLD,
            max_age=settings.dead_letters_max_age_days * day,
            description="Messages a consumer gave up on; list and replay with `zhicheng deadletters`",
            **kept,
        ),
    ]
    for config in configs:
        assert config.name is not None
        try:
            await js.stream_info(config.name)
        except NotFoundError:
            await js.add_stream(config)
            log.info("nats.stream_created", stream=config.name)
        else:
            await js.update_stream(config)


async def key_value_bucket(js: JetStreamContext, name: str, *, create: bool, history: int, replicas: int) -> KeyValue:
    """The KV bucket ``name``; created (with ``history`` versions per key) when missing and ``create``,
    else ``BucketNotFoundError`` propagates (a reader does not create what an operator should)."""
    try:
        return await js.key_value(name)
    except BucketNotFoundError:
        if not create:
            raise
    return await js.create_key_value(bucket=name, history=history, replicas=replicas)


async def next_update(watcher: Any, wait_seconds: float) -> KeyValue.Entry | Literal[False] | None:
    """The KV watcher's next entry: ``None`` once the current values are all in, ``False`` when
    nothing came within ``wait_seconds``."""
    try:
        update: KeyValue.Entry | None = await watcher.updates(timeout=wait_seconds)
    except Exception:  # nats' TimeoutError: nothing new
        return False
    return update
