"""Events the intake service subscribes to."""

from __future__ import annotations

from zhicheng_common.events.consumer import Subscription

SUBSCRIPTIONS: tuple[Subscription, ...] = ()
