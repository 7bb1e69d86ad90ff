"""Events the gateway subscribes to: the feeds' log (one durable per producer, group ``feeds``)."""

from __future__ import annotations

from zhicheng_common.events.consumer import Subscription
from zhicheng_gateway.feeds import consumers as feeds_consumers

SUBSCRIPTIONS: tuple[Subscription, ...] = (*feeds_consumers.SUBSCRIPTIONS,)
