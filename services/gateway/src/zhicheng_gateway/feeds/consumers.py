"""The feeds' own durables, one per producer (``gateway-feeds-<producer>``), each writing every
event of its producer into the feed log, in the stream's order, once (the inbox)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.events.consumer import Subscription, every_event_of
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_common.topology import GATEWAY
from zhicheng_gateway.feeds.service import append_to_log

GROUP = "feeds"


async def log_event(session: AsyncSession, event: CloudEvent) -> None:
    await append_to_log(session, event)


SUBSCRIPTIONS: tuple[Subscription, ...] = tuple(
    Subscription(
        name=f"feeds-{producer}",
        subjects=(every_event_of(producer),),
        handler=log_event,
        description=f"every {producer} event into the feed log",
        group=GROUP,
    )
    for producer in GATEWAY.consumes
)
