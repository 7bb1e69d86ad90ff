"""Events the gateway subscribes to (none yet; the province read model will add some)."""

from __future__ import annotations

from zhicheng_common.events.consumer import Subscription

SUBSCRIPTIONS: tuple[Subscription, ...] = ()
