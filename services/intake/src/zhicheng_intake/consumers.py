"""Events the intake service subscribes to (one subject per subscription).

Committees' and integrity's events build the projections the eligibility engine reads (windows,
committee scopes, integrity bars), so submission never calls another service; review's events
move declarations (returned for correction, qualified, disqualified).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.events.consumer import Handler, PermanentEventError, Subscription
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_intake import service


def _field(event: CloudEvent, name: str) -> str:
    value = event.data.get(name)
    if not value:
        raise PermanentEventError(f"{event.type}: data.{name} is missing")
    return str(value)


async def on_committee_filed(session: AsyncSession, event: CloudEvent) -> None:
    try:
        await service.apply_committee(session, data=event.data)
    except (KeyError, ValueError, TypeError) as exc:
        raise PermanentEventError(f"{event.type}: {exc!r}") from exc


def _committee_status(status: str) -> Handler:
    async def handler(session: AsyncSession, event: CloudEvent) -> None:
        await service.set_committee_status(session, committee_id=_field(event, "committee_id"), status=status)

    return handler


async def on_plan(session: AsyncSession, event: CloudEvent) -> None:
    try:
        await service.apply_plan(session, data=event.data)
    except (KeyError, ValueError, TypeError) as exc:
        raise PermanentEventError(f"{event.type}: {exc!r}") from exc


async def on_integrity_decided(session: AsyncSession, event: CloudEvent) -> None:
    _field(event, "record_id")
    _field(event, "subject_key")
    try:
        await service.apply_integrity_decided(session, data=event.data)
    except (KeyError, ValueError, TypeError) as exc:
        raise PermanentEventError(f"{event.type}: {exc!r}") from exc


async def on_integrity_ended(session: AsyncSession, event: CloudEvent) -> None:
    await service.end_integrity_bar(session, record_id=_field(event, "record_id"))


def _review(status: str) -> Handler:
    async def handler(session: AsyncSession, event: CloudEvent) -> None:
        declaration_id = _field(event, "declaration_id")
        try:
            known = await service.apply_review(
                session, declaration_id=declaration_id, status=status, data=event.data, now=datetime.now(UTC)
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise PermanentEventError(f"{event.type}: {exc!r}") from exc
        if not known:
            raise PermanentEventError(f"{event.type}: declaration {declaration_id} unknown to intake")

    return handler


async def on_deadline_changed(session: AsyncSession, event: CloudEvent) -> None:
    declaration_id = _field(event, "declaration_id")
    try:
        known = await service.apply_deadline_changed(session, data=event.data, now=datetime.now(UTC))
    except (KeyError, ValueError, TypeError) as exc:
        raise PermanentEventError(f"{event.type}: {exc!r}") from exc
    if not known:
        raise PermanentEventError(f"{event.type}: declaration {declaration_id} unknown to intake")


SUBSCRIPTIONS: tuple[Subscription, ...] = (
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
    Subscription("review_returned", ("review.declaration.returned",), _review("returned")),
    Subscription("review_qualified", ("review.declaration.qualified",), _review("qualified")),
    Subscription("review_disqualified", ("review.declaration.disqualified",), _review("disqualified")),
    Subscription("review_rejected", ("review.declaration.rejected",), _review("rejected")),
    Subscription("review_deadline_changed", ("review.declaration.deadline_changed",), on_deadline_changed),
)
