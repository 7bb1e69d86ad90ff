"""The read model's durables: one per producer, in their own group (``gateway-readmodel-<producer>``),
each applying its producer's events to the ``rm_*`` tables once (the inbox), in the stream's order."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.events.consumer import Handler, Subscription, every_event_of
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_common.topology import GATEWAY
from zhicheng_gateway.readmodel.projection import ReadModelContext, project

GROUP = "readmodel"


def handler(context: ReadModelContext) -> Handler:
    async def handle(session: AsyncSession, event: CloudEvent) -> None:
        await project(session, event, context=context)

    return handle


def subscriptions(context: ReadModelContext) -> tuple[Subscription, ...]:
    """Every producer the gateway hears, each on its own durable of the group ``readmodel``."""
    return tuple(
        Subscription(
            name=f"readmodel-{producer}",
            subjects=(every_event_of(producer),),
            handler=handler(context),
            description=f"every {producer} event into the province read model",
            group=GROUP,
        )
        for producer in GATEWAY.consumes
    )
