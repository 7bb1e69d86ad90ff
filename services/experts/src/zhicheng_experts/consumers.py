"""Events the experts service subscribes to: one durable per producer (``experts-committees``,
``experts-integrity``, ``experts-review``), dispatching by subject, so each producer's order is kept.

Each fact is taken only from the service that owns it: committees (the committee's filing, its
annual plans, the meetings open for a draw), review (the qualified applicants a draw recuses
against) and integrity (the records barring a person from draws, NA-13). An event about something
not known here yet is parked (:class:`AggregateNotYetKnown`), never acked as a no-op. The models
below read only the fields this service uses; the producers own the schemas (docs/asyncapi.yaml).
"""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.audit import session_clock
from zhicheng_common.events.consumer import (
    AggregateNotYetKnown,
    EventData,
    Handler,
    Subscription,
    current_delivery,
    parse_data,
)
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_experts.projection import service
from zhicheng_experts.projection.schemas import CommitteeFiled, MeetingPreFiled, Plan, Qualified


class _Effects(EventData):
    bar_expert_draws: bool = False


class RecordDecided(EventData):
    record_id: uuid.UUID
    subject_kind: str
    subject_key: str
    kind: str
    effects: _Effects
    valid_from: date
    valid_until: date
    rule_ids: list[str] = Field(default_factory=list)


class RecordEnded(EventData):
    record_id: uuid.UUID


async def on_committee_filed(session: AsyncSession, event: CloudEvent) -> None:
    data = parse_data(CommitteeFiled, event)
    await service.apply_committee(session, data)


async def on_plan(session: AsyncSession, event: CloudEvent) -> None:
    data = parse_data(Plan, event)
    await service.apply_plan(session, **data.model_dump())


async def on_meeting_pre_filed(session: AsyncSession, event: CloudEvent) -> None:
    data = parse_data(MeetingPreFiled, event)
    if not await service.apply_meeting_pre_filed(session, data):
        raise AggregateNotYetKnown(f"{event.type}: committee {data.committee_id} not approved here yet")


async def on_qualified(session: AsyncSession, event: CloudEvent) -> None:
    data = parse_data(Qualified, event)
    if data.committee_id is None:
        return  # no committee assigned: no meeting of any committee recuses against this applicant
    await service.apply_qualified(session, data)


async def on_integrity_decided(session: AsyncSession, event: CloudEvent) -> None:
    data = parse_data(RecordDecided, event)
    if data.subject_kind != "person" or not data.effects.bar_expert_draws:
        return  # bars nothing here (a unit, or a record without the draw bar)
    facts = data.model_dump(exclude={"subject_kind", "effects"})
    await service.apply_integrity_decided(session, **facts, region=event.region or "", now=session_clock(session).now())


def _integrity_ended(ended: str) -> Handler:
    async def handler(session: AsyncSession, event: CloudEvent) -> None:
        data = parse_data(RecordEnded, event)
        known = await service.end_integrity_bar(
            session, record_id=data.record_id, ended=ended, region=event.region or "", now=session_clock(session).now()
        )
        # Unknown and nothing applied about the record: it ended before its decision reached us; park
        # it, or a bar decided afterwards would stay. A record that barred nothing here was applied
        # (its version is recorded) and has nothing to end.
        if not known and current_delivery().previous_version is None:
            raise AggregateNotYetKnown(f"{event.type}: integrity record {data.record_id} not decided here yet")

    return handler


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription("committee_approved", ("committees.committee.approved",), on_committee_filed),
    Subscription("committee_refiled", ("committees.committee.refiled",), on_committee_filed),
    Subscription("plan_published", ("committees.plan.published",), on_plan),
    Subscription("plan_changed", ("committees.plan.changed",), on_plan),
    Subscription("meeting_pre_filed", ("committees.meeting.pre_filed",), on_meeting_pre_filed),
    Subscription("review_qualified", ("review.declaration.qualified",), on_qualified),
    Subscription("integrity_decided", ("integrity.record.decided",), on_integrity_decided),
    Subscription("integrity_expired", ("integrity.record.expired",), _integrity_ended("expired")),
    Subscription("integrity_withdrawn", ("integrity.record.withdrawn",), _integrity_ended("withdrawn")),
)
