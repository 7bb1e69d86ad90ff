"""Who may publish and read what on NATS, derived from one table (DESIGN.md §3, authenticity).

The table is ``consumes`` in :mod:`zhicheng_common.topology`: which producers each service reads.
From it, for a deployment's subject space (prefix and stream names):

* a **service** publishes only its own events (``<prefix>.<service>.>``) and the dead letters of
  its own durables; it reads only through durables of its own (``<consumer>-<producer>``) whose
  filter lies in a producer it consumes, since a JetStream client reads a stream through the API
  (consumer create with the filter in the request subject, next, ack), never by subscribing to the
  events' subjects; its replies come to an inbox of its own (``_INBOX.<service>.>``), so no client
  can listen to another's deliveries;
* the **operator** (the ``zhicheng`` command: dead letters, reconcile, check) administers the
  streams and may re-publish any producer's events;
* every principal may read the shared KV buckets in :data:`SHARED_BUCKETS`, their writers write.

A new service or a new producer to consume is one entry in the topology; its permissions follow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from zhicheng_common.settings import CommonSettings
from zhicheng_common.topology import ALL_SERVICES, service

OPERATOR = "operator"
INBOX_ROOT = "_INBOX"
JS_API = "$JS.API"


@dataclass(frozen=True)
class SubjectSpace:
    """The subject and stream names of one deployment (``ZC_EVENTS_PREFIX``)."""

    prefix: str
    stream: str
    dead_letter_prefix: str
    dead_letter_stream: str

    @classmethod
    def of(cls, settings: CommonSettings) -> SubjectSpace:
        return cls(
            prefix=settings.events_prefix,
            stream=settings.stream_name,
            dead_letter_prefix=f"{settings.events_prefix}-deadletter",
            dead_letter_stream=settings.dead_letter_stream_name,
        )

    @classmethod
    def any_prefix(cls) -> SubjectSpace:
        """Every prefix at once (``*`` tokens): for one server shared by many test prefixes.

        The rules keep their shape (intake may publish on ``*.intake.>`` only), but a stream name
        can only be matched as a whole token, so each prefix's streams are open to all of them.
        """
        return cls(prefix="*", stream="*", dead_letter_prefix="*", dead_letter_stream="*")

    def events_of(self, producer: str) -> str:
        return f"{self.prefix}.{producer}.>"

    def dead_letters_of(self, durable: str) -> str:
        return f"{self.dead_letter_prefix}.{durable}"

    def bucket(self, name: str) -> str:
        """The deployment's name of a shared bucket; ``{stream}`` in ``name`` becomes the stream name."""
        return "*" if self.stream == "*" else name.format(stream=self.stream)


@dataclass(frozen=True)
class Grant:
    """NATS ``permissions`` of one user: subjects allowed and denied (deny wins)."""

    publish: tuple[str, ...] = ()
    subscribe: tuple[str, ...] = ()
    deny_publish: tuple[str, ...] = ()
    deny_subscribe: tuple[str, ...] = ()

    def __add__(self, other: Grant) -> Grant:
        return Grant(
            publish=_unique(self.publish, other.publish),
            subscribe=_unique(self.subscribe, other.subscribe),
            deny_publish=_unique(self.deny_publish, other.deny_publish),
            deny_subscribe=_unique(self.deny_subscribe, other.deny_subscribe),
        )


@dataclass(frozen=True)
class SharedBucket:
    """A JetStream KV bucket every principal reads (e.g. a controlled clock, a calendar)."""

    name: str
    writers: tuple[str, ...] = (OPERATOR,)


# Add a bucket here and every service may read it, its writers write it (kv_grant).
SHARED_BUCKETS: tuple[SharedBucket, ...] = (
    # Official holiday arrangements an operator loaded (zhicheng_common.calendar_store); one per
    # deployment, named after its stream so that deployments sharing a NATS never mix them.
    SharedBucket("{stream}_CALENDAR"),
    # The controlled clock's shared offset (zhicheng_common.clock_store, ZC_CLOCK=controlled);
    # the gateway writes it for the operator route PUT /api/v1/system/clock.
    SharedBucket("{stream}_CLOCK", writers=(OPERATOR, "gateway")),
)


def inbox_prefix(principal: str) -> str:
    """Where a principal's replies and pull deliveries arrive; no one else may subscribe there."""
    return f"{INBOX_ROOT}.{principal}"


def durable_name(consumer: str, producer: str) -> str:
    """The one durable of ``consumer`` reading ``producer``'s events (STYLE.md: ``<consumer>-<producer>``)."""
    return f"{consumer}-{producer}"


def principals() -> tuple[str, ...]:
    """Every NATS user a deployment needs: one per service, and the operator."""
    return (*(info.name for info in ALL_SERVICES), OPERATOR)


def consumer_durables() -> dict[str, tuple[str, ...]]:
    """Each service's durables, by the table."""
    return {
        info.name: tuple(
            durable_name(f"{info.name}-{group}" if group else info.name, p)
            for group in ("", *info.consumer_groups)
            for p in info.consumes
        )
        for info in ALL_SERVICES
    }


def service_grant(name: str, space: SubjectSpace) -> Grant:
    """What service ``name`` may do on NATS."""
    info = service(name)
    others = [d for owner, durables in consumer_durables().items() if owner != name for d in durables]
    s, dl = space.stream, space.dead_letter_stream
    publish = [
        space.events_of(name),
        # Dead letters of its durables (the subject names the durable; others' are denied below).
        space.dead_letters_of("*"),
        # Provisioning at start (ensure_streams): look up, create or update the two streams.
        *(f"{JS_API}.STREAM.{verb}.{stream}" for verb in ("INFO", "CREATE", "UPDATE") for stream in (s, dl)),
        # A durable is created only with its filter in the request subject, and only in the
        # space of a producer it consumes (nats-py sends that form when the config has a name).
        *(f"{JS_API}.CONSUMER.CREATE.{s}.*.{space.events_of(p)}" for p in info.consumes),
        # Durables by any name but another service's (denied below): a consumer's name is one
        # token, so a rule cannot say "names starting with intake-".
        f"{JS_API}.CONSUMER.INFO.{s}.*",
        f"{JS_API}.CONSUMER.MSG.NEXT.{s}.*",
        # Listing the stream's consumers and deleting its own: a service retires the durables of
        # a former naming scheme at start (their names and filters are no secret; their messages are).
        f"{JS_API}.CONSUMER.LIST.{s}",
        f"{JS_API}.CONSUMER.DELETE.{s}.*",
        f"$JS.ACK.{s}.*.>",
    ]
    # Nothing of another service's durables: not its position, its messages, acks or dead letters.
    deny = [
        subject
        for durable in others
        for subject in (
            f"{JS_API}.CONSUMER.CREATE.{s}.{durable}.>",
            f"{JS_API}.CONSUMER.INFO.{s}.{durable}",
            f"{JS_API}.CONSUMER.DELETE.{s}.{durable}",
            f"{JS_API}.CONSUMER.MSG.NEXT.{s}.{durable}",
            f"$JS.ACK.{s}.{durable}.>",
            space.dead_letters_of(durable),
        )
    ]
    grant = Grant(publish=tuple(publish), subscribe=(f"{inbox_prefix(name)}.>",), deny_publish=tuple(deny))
    return grant + _bucket_grants(name, space)


def operator_grant(space: SubjectSpace) -> Grant:
    """The ``zhicheng`` command: administer the streams, list and replay dead letters, reconcile."""
    grant = Grant(
        publish=(
            f"{space.prefix}.>",  # replays and reconcile re-publish producers' events as they were
            f"{space.dead_letter_prefix}.>",
            f"{JS_API}.>",
        ),
        subscribe=(f"{inbox_prefix(OPERATOR)}.>",),
    )
    return grant + _bucket_grants(OPERATOR, space)


def grant_for(principal: str, space: SubjectSpace) -> Grant:
    return operator_grant(space) if principal == OPERATOR else service_grant(principal, space)


def kv_grant(bucket: str, *, write: bool) -> Grant:
    """Read (get, watch) and optionally write one KV bucket (its stream is ``KV_<bucket>``)."""
    stream = "*" if bucket == "*" else f"KV_{bucket}"
    publish = [
        f"{JS_API}.STREAM.INFO.{stream}",
        f"{JS_API}.DIRECT.GET.{stream}.>",
        f"{JS_API}.STREAM.MSG.GET.{stream}",
        # A watch is an ordered push consumer: created, kept alive with flow control, deleted.
        f"{JS_API}.CONSUMER.CREATE.{stream}.>",
        f"{JS_API}.CONSUMER.CREATE.{stream}",
        f"{JS_API}.CONSUMER.INFO.{stream}.>",
        f"{JS_API}.CONSUMER.DELETE.{stream}.>",
        f"$JS.FC.{stream}.>",
    ]
    if write:
        publish += [f"$KV.{bucket}.>", f"{JS_API}.STREAM.CREATE.{stream}", f"{JS_API}.STREAM.UPDATE.{stream}"]
    return Grant(publish=tuple(publish))


def check_consumes(name: str, subjects: Iterable[str]) -> None:
    """Refuse a durable on (or a subscription to) a producer the topology does not list for ``name``.

    ``subjects`` are producers (``committees``, one durable each) or event subjects
    (``committees.committee.approved``); the first token names the producer. NATS would refuse
    the durable anyway; this says why at start, before any message.
    """
    allowed = set(service(name).consumes) if name in {s.name for s in ALL_SERVICES} else None
    for subject in subjects:
        producer = subject.split(".", 1)[0]
        if allowed is not None and producer not in allowed:
            raise ValueError(
                f"{name} subscribes to {subject!r}, but zhicheng_common.topology does not list {producer!r} "
                f"among the producers {name} consumes: add it there (NATS permissions follow from it)"
            )


def _bucket_grants(principal: str, space: SubjectSpace) -> Grant:
    grant = Grant()
    for bucket in SHARED_BUCKETS:
        grant += kv_grant(space.bucket(bucket.name), write=principal in bucket.writers)
    return grant


def _unique(*groups: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(subject for group in groups for subject in group))
