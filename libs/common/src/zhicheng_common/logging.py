"""structlog JSON logging with one correlation (trace) id across HTTP, outbox and NATS."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
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


# Personal data that can reach a log line inside an exception's text although no code logs it on
# purpose (issue 12): a statement's bound parameters, PostgreSQL's DETAIL (the key's values), a
# pydantic error's input, and resident ID numbers anywhere (GB 11643: 17 digits and a check char).
_SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*\]")
_PG_DETAIL = re.compile(r"DETAIL:[^\n\\]*")
_PYDANTIC_INPUT = re.compile(r"input_value=.*?, input_type=")
_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])")


def redact(text: str) -> str:
    """``text`` without the personal data an error message can carry (see the patterns above)."""
    text = _SQL_PARAMETERS.sub("[parameters hidden]", text)
    text = _PG_DETAIL.sub("DETAIL: [hidden]", text)
    text = _PYDANTIC_INPUT.sub("input_value=[hidden], input_type=", text)
    return _RESIDENT_ID.sub(lambda m: m.group(0)[:6] + "*" * 12, text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    return value


def redact_personal_data(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: every field of every line through ``redact`` (tracebacks included)."""
    for key, value in event_dict.items():
        event_dict[key] = _redact_value(value)
    return event_dict


def _stderr_logger(*_args: Any) -> structlog.PrintLogger:
    # sys.stderr is looked up for each logger, not once: a test's captured stream (or a replaced
    # stderr) is closed later, and a logger bound to it would then fail on every line.
    return structlog.PrintLogger(sys.stderr)


def configure_logging(service: str, *, level: str = "INFO", json: bool = True) -> None:
    """Configure structlog once per process: one JSON line per event with ``service``."""
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_personal_data,
    ]
    renderer: Any = structlog.processors.JSONRenderer(ensure_ascii=False) if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)
