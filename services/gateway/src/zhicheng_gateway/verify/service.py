"""Verification through the gateway: answers of the certificates service's public API, cached per lookup.

An anonymous lookup is answered from the process's cache when it holds the answer, otherwise by
the certificates service (``/api/v1/certificates/public/verifications/…``), whose matched answer is
then cached. A certificate's status events evict its answers: the ``gateway-verify-certificates``
durable writes each change to ``gateway.verify_invalidations`` and every process reads that table
every ``ZC_GATEWAY_VERIFY_POLL_SECONDS``, so a revocation is seen within that time plus the event's
way through NATS. An identified verifier (API key with scope ``verify``, or a signed-in unit) is
never answered from the cache: the certificates service records the lookup for the holder (NA-15).
Anonymous checks are counted per certificate and China day, nothing else kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import structlog

from zhicheng_common.auth import Principal, TokenIssuer
from zhicheng_common.clock import Clock, china_today
from zhicheng_common.db import Database
from zhicheng_common.logging import current_trace_id
from zhicheng_common.pii import PiiCipher
from zhicheng_gateway.errors import UpstreamTimeout, UpstreamUnavailable
from zhicheng_gateway.proxy import Upstreams
from zhicheng_gateway.settings import GatewaySettings
from zhicheng_gateway.verify import repository
from zhicheng_gateway.verify.domain import AnswerCache, DayCounts

log = structlog.get_logger()

UPSTREAM_PATHS = {
    "number": "/api/v1/certificates/public/verifications/by-number",
    "token": "/api/v1/certificates/public/verifications/by-token",
}
#: How long a token minted for an API key is reused before a fresh one is signed.
KEY_TOKEN_SECONDS = 300


@dataclass(frozen=True)
class Answer:
    """What the certificates service answered: its status, its body as sent, and the body read."""

    status: int
    body: bytes
    content_type: str
    data: dict[str, Any] | None
    cached: bool = False

    @property
    def matched(self) -> bool:
        return self.status == 200 and bool(self.data and self.data.get("matched"))

    @property
    def number(self) -> str | None:
        certificate = (self.data or {}).get("certificate") or {}
        number = certificate.get("number")
        return number if isinstance(number, str) else None


@dataclass
class VerifyContext:
    """The verification feature's state in one gateway process: cache, pending counts, minted key tokens."""

    settings: GatewaySettings
    cipher: PiiCipher
    issuer: TokenIssuer
    clock: Clock
    database: Database
    cache: AnswerCache = field(init=False)
    counts: DayCounts = field(default_factory=DayCounts)
    upstreams: Upstreams | None = None
    last_seq: int | None = None
    _key_tokens: dict[str, tuple[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.cache = AnswerCache(self.settings.verify_cache_size, self.settings.verify_cache_seconds)

    # --- lookups ---------------------------------------------------------------------------

    def number_key(self, number: str, holder_name: str, resident_id: str | None) -> tuple[str, ...]:
        """The cache key of a lookup by number: names and ID numbers only as keyed hashes."""
        compact = "".join(number.split()).replace("-", "").upper()
        rid = self.cipher.keyed_hash(resident_id.strip().upper()) if resident_id and resident_id.strip() else ""
        return ("number", compact, self.cipher.keyed_hash(holder_name.strip()), rid)

    @staticmethod
    def token_key(token: str) -> tuple[str, ...]:
        return ("token", token.strip())

    def token_for_key(self, principal: Principal) -> str:
        """A short-lived token of the gateway for an API key's principal, to name it to the certificates service."""
        now = time.monotonic()
        held = self._key_tokens.get(principal.subject)
        if held is not None and now - held[1] < KEY_TOKEN_SECONDS:
            return held[0]
        token = self.issuer.issue(principal, ttl_seconds=2 * KEY_TOKEN_SECONDS)
        self._key_tokens[principal.subject] = (token, now)
        return token

    async def _ask(self, method: str, payload: dict[str, Any], authorization: str | None) -> Answer:
        if self.upstreams is None:
            raise UpstreamUnavailable("certificates 服务暂不可用")
        upstream = self.upstreams.by_name["certificates"]
        headers = {"content-type": "application/json", "accept": "application/json"}
        trace_id = current_trace_id()
        if trace_id:
            headers["x-request-id"] = trace_id
        if authorization:
            headers["authorization"] = authorization
        # Nothing about the asker is forwarded (no address): anonymous checks are not traced.
        url = upstream.base_url.rstrip("/") + UPSTREAM_PATHS[method]
        try:
            response = await upstream.client.post(url, content=json.dumps(payload).encode(), headers=headers)
        except httpx.TimeoutException:
            raise UpstreamTimeout("certificates 服务未在规定时间内响应") from None
        except httpx.TransportError as exc:
            log.warning("gateway.verify.upstream_unavailable", error=repr(exc))
            raise UpstreamUnavailable("certificates 服务暂不可用") from None
        if response.status_code >= 500:
            raise UpstreamUnavailable(f"certificates 服务暂不可用（HTTP {response.status_code}）")
        try:
            data = response.json()
        except ValueError:
            data = None
        return Answer(
            response.status_code,
            response.content,
            response.headers.get("content-type", "application/json"),
            data if isinstance(data, dict) else None,
        )

    async def lookup(
        self,
        *,
        method: str,
        payload: dict[str, Any],
        key: tuple[str, ...],
        authorization: str | None,
        now: datetime,
    ) -> Answer:
        """The answer to one lookup: from the cache for an anonymous one when held, else from the service."""
        if authorization is not None:  # an identified verifier: recorded by the service, never cached
            return await self._ask(method, payload, authorization)
        started = time.monotonic()
        hit = self.cache.get(key, started)
        if isinstance(hit, Answer):
            answer = hit
        else:
            answer = await self._ask(method, payload, None)
            if answer.matched and answer.number:
                self.cache.put(
                    key, answer.number, Answer(200, answer.body, answer.content_type, answer.data, cached=True),
                    started=started, now=time.monotonic(),
                )  # fmt: skip
        if answer.matched and answer.number:
            self.counts.add(china_today(now), answer.number, method)
        return answer

    # --- the process's background work -----------------------------------------------------

    async def evict_changed(self) -> int:
        """Evict the numbers whose status changed since the last read; how many answers went."""
        async with self.database.engine.connect() as conn:
            if self.last_seq is None:
                # A fresh process has nothing cached: start from what is there now.
                self.last_seq = await repository.last_invalidation(conn)
                return 0
            rows = await repository.invalidations_after(conn, self.last_seq)
        if not rows:
            return 0
        self.last_seq = max(self.last_seq, rows[-1][0])
        return self.cache.evict({number for _, number in rows}, time.monotonic())

    async def flush_counts(self) -> None:
        counts = self.counts.take()
        if not counts:
            return
        try:
            async with self.database.engine.begin() as conn:
                await repository.add_counts(conn, counts)
        except Exception:
            self.counts.give_back(counts)
            raise

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop``: evict changed numbers every poll, write the counts every flush period."""
        poll = self.settings.verify_poll_seconds
        flush_every = self.settings.verify_count_flush_seconds
        last_flush = time.monotonic()
        while not stop.is_set():
            try:
                await self.evict_changed()
                if time.monotonic() - last_flush >= flush_every:
                    last_flush = time.monotonic()
                    await self.flush_counts()
            except Exception as exc:  # the database may be away for a moment: keep the loop alive
                log.warning("gateway.verify.poll_failed", error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll)
        with contextlib.suppress(Exception):
            await self.flush_counts()
