"""structlog JSON logging with one correlation (trace) id across HTTP, outbox and NATS."""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import Any

import structlog

_trace_id: ContextVar[str | None] = ContextVar("zc_trace_id", default=None)


def current_trace_id() -> str | None:
    """The correlation id of the request or message being handled, if any."""
    return _trace_id.get()


def set_trace_id(trace_id: str | None) -> None:
    _trace_id.set(trace_id)
    if trace_id is None:
        structlog.contextvars.unbind_contextvars("trace_id")
    else:
        structlog.contextvars.bind_contextvars(trace_id=trace_id)


def trace_id_from_traceparent(traceparent: str | None) -> str | None:
    """Extract the W3C trace id (32 hex) from a ``traceparent`` header."""
    if not traceparent:
        return None
    parts = traceparent.split("-")
    if len(parts) == 4 and len(parts[1]) == 32:
        return parts[1]
    return None


def normalize_trace_id(value: str | None) -> str | None:
    """A client's request id as a W3C trace id (32 lower-case hex), if it is one (a UUID counts)."""
    if not value:
        return None
    candidate = value.strip().lower().replace("-", "")
    if len(candidate) == 32 and all(c in "0123456789abcdef" for c in candidate) and candidate != "0" * 32:
        return candidate
    return None


def traceparent_for(trace_id: str, span_id: str = "0000000000000001") -> str:
    return f"00-{trace_id}-{span_id}-01"


def configure_logging(service: str, *, level: str = "INFO", json: bool = True) -> None:
    """Configure structlog once per process: one JSON line per event with ``service``."""
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
    ]
    renderer: Any = structlog.processors.JSONRenderer(ensure_ascii=False) if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)
