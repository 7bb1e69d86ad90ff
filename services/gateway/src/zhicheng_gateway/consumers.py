"""Events the gateway subscribes to: the feeds' log (one durable per producer, group ``feeds``) and the
certificates' status changes that evict cached verification answers (group ``verify``)."""

from __future__ import annotations

from zhicheng_common.events.consumer import Subscription
from zhicheng_gateway.feeds import consumers as feeds_consumers
from zhicheng_gateway.verify import consumers as verify_consumers

SUBSCRIPTIONS: tuple[Subscription, ...] = (*feeds_consumers.SUBSCRIPTIONS, *verify_consumers.SUBSCRIPTIONS)
