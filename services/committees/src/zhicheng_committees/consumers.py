"""Events the committees service subscribes to: the qualified applicants (review) and the drawn
panels (experts), which a meeting's sitting evaluates with.

Each fact is taken only from the service that owns it (the consumer trusts only the producer's
``source``), applied once (inbox) and in order per aggregate. The models (below, and
``meeting.schemas.Qualified``, which the use case takes whole) read only the fields this service
uses; the producers own the schemas (docs/event-contracts.md). Neither event needs anything known
here first, so none is parked: a panel drawn for a meeting is kept until the
meeting sits.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_committees.meeting import service
from zhicheng_committees.meeting.schemas import Qualified
from zhicheng_common.events.consumer import EventData, Subscription, parse_data
from zhicheng_common.events.envelope import CloudEvent


class Seat(EventData):
    expert_id: str
    specialty: str
    # The token subject the expert signs in with, where the draw names it; else the expert id is.
    account_subject: str | None = None


class PanelDrawn(EventData):
    committee_id: uuid.UUID
    meeting_id: uuid.UUID
    draw_id: uuid.UUID
    members: list[Seat]


async def on_qualified(session: AsyncSession, event: CloudEvent) -> None:
    data = parse_data(Qualified, event)
    if data.committee_id is None:
        return  # no committee assigned: no meeting evaluates this applicant
    await service.apply_qualified(session, data)


async def on_panel_drawn(session: AsyncSession, event: CloudEvent) -> None:
    data = parse_data(PanelDrawn, event)
    await service.apply_panel(
        session,
        meeting_id=data.meeting_id,
        committee_id=data.committee_id,
        draw_id=data.draw_id,
        members=[seat.model_dump() for seat in data.members],
        replacement=event.type.split(".")[-2] == "member_replaced",
    )


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription("review_qualified", ("review.declaration.qualified",), on_qualified),
    Subscription("panel_drawn", ("experts.panel.drawn",), on_panel_drawn),
    Subscription("panel_member_replaced", ("experts.panel.member_replaced",), on_panel_drawn),
)
