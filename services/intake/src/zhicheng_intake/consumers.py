"""Events the intake service subscribes to: one durable per producer (``intake-committees``,
``intake-integrity``, ``intake-review``), dispatching by subject, so each producer's order is kept.

Committees' and integrity's events build the projections the eligibility engine reads (windows,
committee scopes, integrity bars), so submission never calls another service; review's events
move declarations (returned for correction, qualified, disqualified). An event about a committee,
an integrity record or a declaration intake has not heard of yet is parked
(:class:`AggregateNotYetKnown`) until it has, never acked as a no-op (issue 10 §1).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.audit import session_clock
from zhicheng_common.events.consumer import (
    AggregateNotYetKnown,
    Handler,
    PermanentEventError,
    Subscription,
    current_delivery,
)
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_common.pii import PiiCipher
from zhicheng_intake import service
from zhicheng_intake.models import IntegrityBar
from zhicheng_intake.repository import ProjectionRepository, TitlesHeldRepository


def _field(event: CloudEvent, name: str) -> str:
    value = event.data.get(name)
    if not value:
        raise PermanentEventError(f"{event.type}: data.{name} is missing")
    return str(value)


@contextlib.contextmanager
def _malformed_is_permanent(event: CloudEvent) -> Iterator[None]:
    """Data missing a field or holding a value of the wrong type can never be applied, however often
    it is redelivered: it is dead-lettered at once."""
    try:
        yield
    except (KeyError, ValueError, TypeError) as exc:
        raise PermanentEventError(f"{event.type}: {exc!r}") from exc


async def on_committee_filed(session: AsyncSession, event: CloudEvent) -> None:
    with _malformed_is_permanent(event):
        await service.apply_committee(session, data=event.data)


def _uuid(event: CloudEvent, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(_field(event, name))
    except ValueError as exc:
        raise PermanentEventError(f"{event.type}: data.{name} is not a UUID") from exc


def _committee_status(status: str) -> Handler:
    async def handler(session: AsyncSession, event: CloudEvent) -> None:
        committee_id = _uuid(event, "committee_id")
        if not await ProjectionRepository(session).set_committee_status(committee_id, status):
            # E.g. suspended before approved: applying nothing would leave the committee active.
            raise AggregateNotYetKnown(f"{event.type}: committee {committee_id} not approved here yet")

    return handler


async def on_plan(session: AsyncSession, event: CloudEvent) -> None:
    with _malformed_is_permanent(event):
        await service.apply_plan(session, data=event.data)


async def on_integrity_decided(session: AsyncSession, event: CloudEvent) -> None:
    _field(event, "record_id")
    _field(event, "subject_key")
    with _malformed_is_permanent(event):
        await service.apply_integrity_decided(session, data=event.data)


async def on_integrity_ended(session: AsyncSession, event: CloudEvent) -> None:
    record_id = _uuid(event, "record_id")
    # Known: intake holds its bar, or applied an earlier event about it (a record that bars
    # nothing has no bar to end). Unknown: withdrawn before decided; park it, or the bar stays.
    if current_delivery().previous_version is None and await session.get(IntegrityBar, record_id) is None:
        raise AggregateNotYetKnown(f"{event.type}: integrity record {record_id} not decided here yet")
    await service.end_integrity_bar(session, record_id=str(record_id))


def _opened(cipher: PiiCipher, event: CloudEvent) -> dict[str, Any]:
    """The review event's data with the reviewer's texts opened: v2 seals them (issue 12), v1 has
    them in clear. A text sealed under another key cannot be opened by a retry: dead-lettered."""
    data = dict(event.data)
    try:
        if "reason_sealed" in data:
            data["reason"] = cipher.decrypt(str(data.pop("reason_sealed")))
        data["items"] = [
            {"field": item["field"], "message": cipher.decrypt(str(item["message_sealed"]))}
            if "message_sealed" in item
            else item
            for item in data.get("items") or []
        ]
    except (InvalidTag, ValueError, TypeError, KeyError) as exc:
        raise PermanentEventError(f"{event.type}: the reviewer's text cannot be opened") from exc
    return data


def _review(status: str, cipher: PiiCipher) -> Handler:
    async def handler(session: AsyncSession, event: CloudEvent) -> None:
        declaration_id = _field(event, "declaration_id")
        data = _opened(cipher, event)
        with _malformed_is_permanent(event):
            known = await service.apply_review(
                session, declaration_id=declaration_id, status=status, data=data, now=session_clock(session).now()
            )
        if not known:  # intake owns declarations: only a replay out of order gets here
            raise AggregateNotYetKnown(f"{event.type}: declaration {declaration_id} unknown to intake")

    return handler


async def on_deadline_changed(session: AsyncSession, event: CloudEvent) -> None:
    declaration_id = _field(event, "declaration_id")
    with _malformed_is_permanent(event):
        known = await service.apply_deadline_changed(session, data=event.data, now=session_clock(session).now())
    if not known:
        raise PermanentEventError(f"{event.type}: declaration {declaration_id} unknown to intake")


async def on_certificate_issued(session: AsyncSession, event: CloudEvent) -> None:
    with _malformed_is_permanent(event):
        await TitlesHeldRepository(session).issued(event.data)


def _title_status(status: str) -> Handler:
    """A certificate revoked or superseded: the title it gave is no longer held (EL-9 reads held titles)."""

    async def handler(session: AsyncSession, event: CloudEvent) -> None:
        number = _field(event, "certificate_number")
        if not await TitlesHeldRepository(session).set_status(number, status):
            raise AggregateNotYetKnown(f"{event.type}: certificate {number} not issued here yet")

    return handler


def subscriptions(cipher: PiiCipher) -> tuple[Subscription, ...]:
    """Intake's subscriptions; ``cipher`` opens the reviewer's texts review's events carry sealed."""
    return (
        Subscription("committee_approved", ("committees.committee.approved",), on_committee_filed),
        Subscription("committee_refiled", ("committees.committee.refiled",), on_committee_filed),
        Subscription("committee_expired", ("committees.committee.expired",), _committee_status("expired")),
        Subscription("committee_suspended", ("committees.committee.suspended",), _committee_status("suspended")),
        Subscription("committee_resumed", ("committees.committee.resumed",), _committee_status("active")),
        Subscription(
            "committee_power_withdrawn", ("committees.committee.power_withdrawn",), _committee_status("power_withdrawn")
        ),
        Subscription("plan_published", ("committees.plan.published",), on_plan),
        Subscription("plan_changed", ("committees.plan.changed",), on_plan),
        Subscription("integrity_decided", ("integrity.record.decided",), on_integrity_decided),
        Subscription("integrity_expired", ("integrity.record.expired",), on_integrity_ended),
        Subscription("integrity_withdrawn", ("integrity.record.withdrawn",), on_integrity_ended),
        Subscription("review_returned", ("review.declaration.returned",), _review("returned", cipher)),
        Subscription("review_qualified", ("review.declaration.qualified",), _review("qualified", cipher)),
        Subscription("review_disqualified", ("review.declaration.disqualified",), _review("disqualified", cipher)),
        Subscription("review_rejected", ("review.declaration.rejected",), _review("rejected", cipher)),
        Subscription("review_deadline_changed", ("review.declaration.deadline_changed",), on_deadline_changed),
        Subscription("certificate_issued", ("certificates.certificate.issued",), on_certificate_issued),
        Subscription("certificate_revoked", ("certificates.certificate.revoked",), _title_status("revoked")),
        Subscription("certificate_superseded", ("certificates.certificate.superseded",), _title_status("superseded")),
    )
