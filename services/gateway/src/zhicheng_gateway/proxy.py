"""Forwarding to the domain services: one pooled HTTP client per upstream, made in the lifespan.

A forwarded request keeps its method, path, query, body (streamed) and end-to-end headers (Authorization
included); hop-by-hop headers are dropped, ``X-Forwarded-*`` added, and the correlation id
(``X-Request-ID``, and ``traceparent`` when the id is a W3C trace id) set to the gateway's, so one
id follows the request into the service. Responses carry ``X-Upstream-Service``: its absence on
an error says the gateway itself answered and the service never saw the request.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from fastapi import Request, Response

from zhicheng_common.logging import current_trace_id, trace_id_from_traceparent, traceparent_for
from zhicheng_common.topology import DOMAIN_SERVICES
from zhicheng_gateway.errors import UpstreamTimeout, UpstreamUnavailable
from zhicheng_gateway.settings import GatewaySettings

log = structlog.get_logger()

UPSTREAM_HEADER = "X-Upstream-Service"

# RFC 9110 §7.6.1: meaningful for one connection only.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
# Set again by the gateway (correlation, forwarding) or by the HTTP client (host, length).
_REQUEST_REPLACED = frozenset({"host", "content-length", "x-request-id", "traceparent", "x-forwarded-for"})
# httpx hands us the decoded body; the gateway's own server and middleware set these.
_RESPONSE_REPLACED = frozenset(
    {"content-length", "content-encoding", "x-request-id", "date", "server", UPSTREAM_HEADER.lower()}
)
_W3C_TRACE_ID = re.compile(r"[0-9a-f]{32}")


def _connection_tokens(values: Iterable[str]) -> set[str]:
    """Headers named in ``Connection`` are hop-by-hop too."""
    return {token.strip().lower() for value in values for token in value.split(",")}


def is_public_path(path: str, prefixes: Sequence[str]) -> bool:
    """Whether ``path`` lies under one of ``prefixes`` (segment-wise); dot segments are never public."""
    if any(segment in (".", "..") for segment in path.split("/")):
        return False
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)


def forwarded_headers(request: Request) -> list[tuple[str, str]]:
    """The headers sent upstream: end-to-end ones, the correlation id and ``X-Forwarded-*``."""
    drop = HOP_BY_HOP | _REQUEST_REPLACED | _connection_tokens(request.headers.getlist("connection"))
    headers = [(name, value) for name, value in request.headers.items() if name.lower() not in drop]
    trace_id = current_trace_id()
    if trace_id:
        headers.append(("x-request-id", trace_id))
        incoming = request.headers.get("traceparent")
        if incoming and trace_id_from_traceparent(incoming) == trace_id:
            headers.append(("traceparent", incoming))
        elif _W3C_TRACE_ID.fullmatch(trace_id):
            headers.append(("traceparent", traceparent_for(trace_id)))
    client = request.client.host if request.client else None
    chain = list(request.headers.getlist("x-forwarded-for"))
    if client:
        chain.append(client)
    if chain:
        headers.append(("x-forwarded-for", ", ".join(chain)))
    if "x-forwarded-proto" not in request.headers:
        headers.append(("x-forwarded-proto", request.url.scheme))
    if "x-forwarded-host" not in request.headers and "host" in request.headers:
        headers.append(("x-forwarded-host", request.headers["host"]))
    return headers


@dataclass(frozen=True)
class Upstream:
    """One domain service behind the gateway."""

    name: str
    base_url: str
    areas: tuple[str, ...]
    client: httpx.AsyncClient

    @property
    def openapi_path(self) -> str:
        return f"/api/v1/{self.areas[0]}/openapi.json"


class Upstreams:
    """The domain services and their pooled clients; close with :meth:`aclose`."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.health_timeout = settings.health_timeout_seconds
        limits = httpx.Limits(
            max_connections=settings.upstream_max_connections,
            max_keepalive_connections=settings.upstream_max_keepalive,
        )
        urls = settings.upstream_urls()
        self.by_name: dict[str, Upstream] = {}
        self.by_area: dict[str, Upstream] = {}
        for info in DOMAIN_SERVICES:
            upstream = Upstream(
                name=info.name,
                base_url=urls[info.name],
                areas=info.areas,
                client=httpx.AsyncClient(
                    timeout=httpx.Timeout(settings.upstream_timeout_seconds),
                    limits=limits,
                    follow_redirects=False,
                    # Service-to-service calls never go through an environment proxy.
                    trust_env=False,
                ),
            )
            self.by_name[info.name] = upstream
            for area in info.areas:
                self.by_area[area] = upstream

    def for_area(self, area: str) -> Upstream | None:
        return self.by_area.get(area)

    def _url(self, upstream: Upstream, raw_path: bytes) -> httpx.URL:
        base = httpx.URL(upstream.base_url)
        return base.copy_with(raw_path=base.raw_path.rstrip(b"/") + raw_path)

    async def forward(self, request: Request, upstream: Upstream) -> Response:
        """Send ``request`` to ``upstream`` and relay its answer; 503/504 problems when it fails."""
        raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
        query: bytes = request.scope.get("query_string") or b""
        target = self._url(upstream, raw_path + (b"?" + query if query else b""))
        headers = forwarded_headers(request)
        # The body is streamed to the service as it arrives, never held whole (the size limit
        # counts it on the way: zhicheng_common.limits); a declared length is kept, otherwise
        # it goes on chunked. Only called once the caller's token is verified.
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit():
            headers.append(("content-length", declared))
        has_body = declared not in (None, "0") or "transfer-encoding" in request.headers
        outgoing = upstream.client.build_request(
            request.method, target, headers=headers, content=request.stream() if has_body else None
        )
        try:
            answer = await upstream.client.send(outgoing)
        except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            log.warning("gateway.upstream_unavailable", service=upstream.name, error=repr(exc))
            raise UpstreamUnavailable(f"{upstream.name} 服务暂不可用（连接超时）") from None
        except httpx.TimeoutException as exc:
            log.warning("gateway.upstream_timeout", service=upstream.name, error=repr(exc))
            raise UpstreamTimeout(f"{upstream.name} 服务未在规定时间内响应") from None
        except httpx.TransportError as exc:
            log.warning("gateway.upstream_unavailable", service=upstream.name, error=repr(exc))
            raise UpstreamUnavailable(f"{upstream.name} 服务暂不可用") from None
        response = Response(content=answer.content, status_code=answer.status_code)
        drop = HOP_BY_HOP | _RESPONSE_REPLACED | _connection_tokens(answer.headers.get_list("connection"))
        for name, value in answer.headers.multi_items():
            if name.lower() not in drop:
                response.headers.append(name, value)
        response.headers[UPSTREAM_HEADER] = upstream.name
        return response

    async def _readiness_of(self, upstream: Upstream) -> str:
        try:
            answer = await upstream.client.get(self._url(upstream, b"/readyz"), timeout=self.health_timeout)
        except httpx.HTTPError as exc:
            return f"not ready: unreachable ({type(exc).__name__})"
        if answer.status_code == 200:
            return "ready"
        detail = ""
        try:
            checks = answer.json().get("checks") or {}
            detail = ", ".join(f"{name} {state}" for name, state in checks.items() if state != "ok")
        except (ValueError, AttributeError):
            pass
        return f"not ready: {detail or f'HTTP {answer.status_code}'}"

    async def readiness(self) -> dict[str, str]:
        """``ready`` or ``not ready: …`` for every domain service, asked concurrently."""
        names = list(self.by_name)
        states = await asyncio.gather(*(self._readiness_of(self.by_name[name]) for name in names))
        return dict(zip(names, states, strict=True))

    async def _openapi_of(self, upstream: Upstream) -> dict[str, Any] | None:
        try:
            answer = await upstream.client.get(
                self._url(upstream, upstream.openapi_path.encode()), timeout=self.health_timeout
            )
            if answer.status_code != 200:
                return None
            document = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.info("gateway.openapi_unavailable", service=upstream.name, error=repr(exc))
            return None
        return document if isinstance(document, dict) else None

    async def openapi_documents(self) -> dict[str, dict[str, Any] | None]:
        """Each domain service's OpenAPI document, or ``None`` when it could not be fetched."""
        names = list(self.by_name)
        documents = await asyncio.gather(*(self._openapi_of(self.by_name[name]) for name in names))
        return dict(zip(names, documents, strict=True))

    async def aclose(self) -> None:
        await asyncio.gather(*(upstream.client.aclose() for upstream in self.by_name.values()))
