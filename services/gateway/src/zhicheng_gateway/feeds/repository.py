"""Every query of the feeds. Jurisdiction is in the SQL (``region_within``), never after it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert

from zhicheng_common.auth import Principal
from zhicheng_common.db import region_within
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_common.repository import RegionScoped, Repository
from zhicheng_gateway.feeds.models import FeedEvent, FeedSubscription, WebhookAttempt

# Writers of the feed log take this transaction lock first, so rows commit in ``seq`` order and
# the committed rows are always a prefix: a reader's cursor never skips a row still being written.
FEED_LOG_LOCK = 0x7A6366656564  # "zcfeed"


class FeedLogRepository(Repository):
    async def append(self, event: CloudEvent, *, producer: str, name: str, now: datetime) -> None:
        await self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LOG_LOCK})
        statement = (
            insert(FeedEvent)
            .values(
                event_id=event.id,
                producer=producer,
                name=name,
                subject=event.subject,
                region=event.region or "",
                envelope=event.model_dump(mode="json", exclude_none=True),
                stored_at=now,
            )
            .on_conflict_do_nothing(index_elements=[FeedEvent.event_id])
        )
        await self.session.execute(statement)

    async def horizon(self) -> int:
        """The last position committed (every row up to it is visible: see ``FEED_LOG_LOCK``)."""
        return int(await self.session.scalar(select(func.coalesce(func.max(FeedEvent.seq), 0))) or 0)

    async def page(
        self,
        *,
        after: int,
        upto: int,
        names: Sequence[str],
        regions: Sequence[str],
        where: Mapping[str, list[Any]],
        limit: int,
    ) -> Sequence[FeedEvent]:
        """Events after ``after`` (up to ``upto``) of ``names``, within every one of ``regions``, matching ``where``."""
        conditions: list[ColumnElement[bool]] = [
            FeedEvent.seq > after,
            FeedEvent.seq <= upto,
            FeedEvent.name.in_(list(names)),
            *(region_within(FeedEvent.region, region) for region in regions),
        ]
        for field, values in where.items():
            conditions.append(or_(*(FeedEvent.envelope["data"].contains({field: value}) for value in values)))
        statement = select(FeedEvent).where(and_(*conditions)).order_by(FeedEvent.seq).limit(limit)
        return (await self.session.scalars(statement)).all()


class SubscriptionRepository(RegionScoped, Repository):
    region_column = FeedSubscription.region

    async def get(self, subscription_id: uuid.UUID, *, for_update: bool = False) -> FeedSubscription | None:
        return await self.row(FeedSubscription, subscription_id, for_update=for_update)

    async def by_name(self, name: str) -> FeedSubscription | None:
        return (await self.session.scalars(select(FeedSubscription).where(FeedSubscription.name == name))).first()

    async def readable(self, principal: Principal) -> Sequence[FeedSubscription]:
        statement = select(FeedSubscription).where(self.readable_by(principal)).order_by(FeedSubscription.name)
        return (await self.session.scalars(statement)).all()

    async def due_webhooks(self, now: datetime, *, limit: int) -> Sequence[FeedSubscription]:
        """Active webhooks whose next try is due, claimed (``SKIP LOCKED``: one gateway replica each)."""
        statement = (
            select(FeedSubscription)
            .where(
                FeedSubscription.webhook_state == "active",
                or_(FeedSubscription.next_attempt_at.is_(None), FeedSubscription.next_attempt_at <= now),
            )
            .order_by(FeedSubscription.next_attempt_at.nulls_first(), FeedSubscription.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(statement)).all()

    def add_attempt(self, attempt: WebhookAttempt) -> None:
        self.session.add(attempt)

    async def attempts(self, subscription_id: uuid.UUID, *, limit: int) -> Sequence[WebhookAttempt]:
        statement = (
            select(WebhookAttempt)
            .where(WebhookAttempt.subscription_id == subscription_id)
            .order_by(WebhookAttempt.at.desc(), WebhookAttempt.id.desc())
            .limit(limit)
        )
        return (await self.session.scalars(statement)).all()

    async def attempts_of(self, subscription_id: uuid.UUID, seq: int) -> int:
        statement = select(func.count()).where(
            WebhookAttempt.subscription_id == subscription_id, WebhookAttempt.seq == seq
        )
        return int(await self.session.scalar(statement) or 0)
