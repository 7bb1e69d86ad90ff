"""Status events of certificates, heard by the durable ``gateway-verify-certificates``: each one is
written down once (the inbox), and every gateway process evicts that number's cached answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.events.consumer import Subscription
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_gateway.verify.domain import STATUS_EVENTS
from zhicheng_gateway.verify.repository import InvalidationRepository

GROUP = "verify"


class StatusChanged(BaseModel):
    """The fields of the four status events this consumer reads (docs/event-contracts.md)."""

    certificate_number: str
    at: datetime


async def on_status_changed(session: AsyncSession, event: CloudEvent) -> None:
    change = StatusChanged.model_validate(event.data)
    # cn.zhicheng.certificates.certificate.<fact>.v<n>
    status = event.type.rsplit(".", 2)[-2]
    await InvalidationRepository(session).record(number=change.certificate_number, status=status, changed_at=change.at)


SUBSCRIPTIONS: tuple[Subscription, ...] = tuple(
    Subscription(
        name=f"verify-{name.rsplit('.', 1)[-1]}",
        subjects=(name,),
        handler=on_status_changed,
        description="a certificate's status changed: its cached verification answers are dropped",
        group=GROUP,
    )
    for name in STATUS_EVENTS
)
