"""Trust an event only from the service that owns its subject (DESIGN.md §3, authenticity).

NATS permissions let each service publish only on ``<prefix>.<service>.>``; this check is the
consumer's half of the same rule. An envelope on ``zc.committees.…`` must say it comes from
committees (``source`` ``/zhicheng/committees``) and carry a committees type
(``cn.zhicheng.committees.…``). A consumer that dispatches by type would otherwise apply, say, a
``committee.approved`` that intake put on its own subject, or a message any client with publish
rights slipped onto committees' subject with another service's envelope.
"""

from __future__ import annotations

from zhicheng_common.events.envelope import TYPE_PREFIX, CloudEvent

SOURCE_PREFIX = "/zhicheng/"


def producer_of(subject: str, prefix: str) -> str | None:
    """The service owning a NATS subject ``<prefix>.<service>.<entity>.<fact>``, or None."""
    head = f"{prefix}."
    if not subject.startswith(head):
        return None
    service = subject.removeprefix(head).split(".", 1)[0]
    return service or None


def check_origin(event: CloudEvent, *, subject: str, prefix: str) -> None:
    """Raise a :class:`~zhicheng_common.events.consumer.PermanentEventError` (the consumer then
    dead-letters the message with the reason) unless ``event`` names the subject's producer.

    Args:
        event: the parsed envelope.
        subject: the NATS subject the message was stored under (``Msg.subject``).
        prefix: the deployment's subject root (``ZC_EVENTS_PREFIX``).
    """
    problem = origin_problem(event, subject=subject, prefix=prefix)
    if problem is not None:
        # Imported here: the consumer calls this module, so a module-level import would be a cycle.
        from zhicheng_common.events.consumer import PermanentEventError

        raise PermanentEventError(f"forged event refused: {problem}")


def origin_problem(event: CloudEvent, *, subject: str, prefix: str) -> str | None:
    """Why ``event`` cannot have come from the producer of ``subject``; None when it can."""
    producer = producer_of(subject, prefix)
    if producer is None:
        return f"subject {subject} is outside {prefix}.<service>.>"
    expected_source = f"{SOURCE_PREFIX}{producer}"
    if event.source != expected_source:
        return f"source {event.source} on {subject}: only {expected_source} publishes there"
    if not event.type.startswith(f"{TYPE_PREFIX}{producer}."):
        return f"type {event.type} on {subject}: only types of {producer} belong there"
    return None
