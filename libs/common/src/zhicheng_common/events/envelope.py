"""CloudEvents 1.0 envelope and the registry of event types (the event catalog's source).

Each event's ``data`` is a pydantic model registered with :func:`event_type`; its type is
``cn.zhicheng.<service>.<entity>.<fact>.v<N>`` and its NATS subject
``<prefix>.<service>.<entity>.<fact>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from zhicheng_common.ids import uuid7

TYPE_PREFIX = "cn.zhicheng."
# The envelope's own version (the event catalog's ``info.version``). 1.1 added ``aggregateversion``.
ENVELOPE_VERSION = "1.1.0"


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 JSON envelope with the Zhicheng extensions ``traceparent``, ``region`` and
    ``aggregateversion``.

    ``aggregateversion`` is the n-th event its producer committed about ``subject`` (1, 2, 3…, in
    commit order): a consumer applies an event only when it is newer than the last one it applied
    about the same aggregate. Envelopes of 1.0 (before it) have none and are applied as they come.
    """

    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str
    type: str
    subject: str
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any] = Field(default_factory=dict)
    traceparent: str | None = None
    region: str | None = None
    aggregateversion: int | None = Field(
        default=None,
        ge=1,
        description="envelope 1.1: the n-th event the producer committed about `subject` (per-aggregate order)",
    )

    @property
    def service(self) -> str:
        return self.type.removeprefix(TYPE_PREFIX).split(".")[0]


@dataclass(frozen=True)
class EventSpec:
    """One registered event type: name, version and the model of its ``data``."""

    name: str  # "<service>.<entity>.<fact>"
    version: int
    model: type[BaseModel]
    description: str

    @property
    def service(self) -> str:
        return self.name.split(".")[0]

    @property
    def type(self) -> str:
        return f"{TYPE_PREFIX}{self.name}.v{self.version}"

    @property
    def source(self) -> str:
        return f"/zhicheng/{self.service}"

    def subject(self, prefix: str) -> str:
        return f"{prefix}.{self.name}"


EVENT_TYPES: dict[type[BaseModel], EventSpec] = {}

M = TypeVar("M", bound=type[BaseModel])


def event_type(name: str, *, version: int = 1) -> Callable[[M], M]:
    """Register a pydantic model as the ``data`` of event ``name`` (``service.entity.fact``)."""
    if name.count(".") != 2:
        raise ValueError(f"event name must be <service>.<entity>.<fact>: {name!r}")

    def register(model: M) -> M:
        spec = EventSpec(name=name, version=version, model=model, description=(model.__doc__ or "").strip())
        for existing in EVENT_TYPES.values():
            if existing.type == spec.type and existing.model is not model:
                raise ValueError(f"event type registered twice: {spec.type}")
        EVENT_TYPES[model] = spec
        return model

    return register


def spec_of(data: BaseModel) -> EventSpec:
    try:
        return EVENT_TYPES[type(data)]
    except KeyError:
        raise LookupError(f"{type(data).__name__} is not a registered event type") from None


def make_envelope(
    data: BaseModel,
    *,
    subject: str,
    region: str | None = None,
    traceparent: str | None = None,
    time: datetime | None = None,
) -> CloudEvent:
    """Wrap ``data`` of a registered event type in a fresh envelope (UUIDv7 id, UTC time).

    ``time`` is when the fact happened by the service's clock (the outbox passes it, so a
    controlled clock dates events as it dates the records); the system time without it.
    """
    spec = spec_of(data)
    return CloudEvent(
        id=str(uuid7()),
        source=spec.source,
        type=spec.type,
        subject=subject,
        time=time if time is not None else datetime.now(UTC),
        data=data.model_dump(mode="json"),
        traceparent=traceparent,
        region=region,
    )
