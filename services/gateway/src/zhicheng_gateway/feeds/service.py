"""Use cases of the feeds: the log the consumers fill, subscriptions, signed pull pages and webhook
pushes. No HTTP routing and no commit here (the unit of work commits)."""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import structlog
import yaml
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook

from zhicheng_common.auth import Principal, ensure_covers
from zhicheng_common.clock import Clock
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_common.journaling import RecordJournal, journal_read
from zhicheng_common.keys import KeyRing
from zhicheng_common.pii import PiiCipher
from zhicheng_common.refusals import Refusal, raise_refused
from zhicheng_gateway.feeds.domain import (
    Opener,
    backoff_seconds,
    canonical_json,
    catalog_fields,
    event_name,
    is_disabled_after,
    parse_cursor,
    project,
    selection_refusals,
)
from zhicheng_gateway.feeds.errors import (
    BadCursor,
    BadSubscription,
    CatalogUnavailable,
    SubscriptionNameTaken,
    SubscriptionNotFound,
)
from zhicheng_gateway.feeds.models import FeedEvent, FeedSubscription, WebhookAttempt
from zhicheng_gateway.feeds.repository import FeedLogRepository, SubscriptionRepository
from zhicheng_gateway.feeds.schemas import SubscriptionCreate
from zhicheng_gateway.keys.domain import feed_scope
from zhicheng_gateway.keys.errors import ScopeRequired
from zhicheng_gateway.settings import GatewaySettings

log = structlog.get_logger()

SUBSCRIPTIONS = RecordJournal("feed_subscription")
# The repository's root (services/gateway/src/zhicheng_gateway/feeds/service.py → five up).
DEFAULT_CATALOG = Path(__file__).resolve().parents[5] / "docs" / "asyncapi.yaml"


@dataclass
class FeedsContext:
    """What the feeds need besides a session, built once in ``create_app()``."""

    settings: GatewaySettings
    cipher: PiiCipher
    ring: KeyRing
    clock: Clock
    catalog_path: Path
    http: httpx.AsyncClient | None = None
    _catalog: tuple[str, dict[str, dict[str, bool]]] | None = field(default=None, repr=False)

    def catalog(self) -> tuple[str, dict[str, dict[str, bool]]]:
        """The AsyncAPI document as text and each event's fields (personal or not), read once."""
        if self._catalog is None:
            text = self.catalog_path.read_text(encoding="utf-8")
            self._catalog = (text, catalog_fields(yaml.safe_load(text)))
        return self._catalog

    def opener(self) -> Opener:
        def open_(token: str) -> str | None:
            try:
                return self.cipher.decrypt(token)
            except Exception:  # sealed under another key: deliver no value rather than ciphertext
                return None

        return open_


@dataclass(frozen=True)
class ReadRecord:
    """An event read, as the journal wants it: its id and region."""

    id: str
    region: str


# --- the feed log (consumers) ---------------------------------------------------------------


async def append_to_log(session: AsyncSession, event: CloudEvent) -> None:
    """Store one producer event in the feed log (once: the inbox and the unique event id)."""
    name = event_name(event.type)
    if name is None:  # check_origin admitted it, so the type is a product's; keep it under its raw type
        name = event.type
    now: datetime = session.info["clock"].now()  # the Database's clock (zhicheng_common.db)
    await FeedLogRepository(session).append(event, producer=event.service, name=name, now=now)


# --- subscriptions --------------------------------------------------------------------------


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


async def create_subscription(
    session: AsyncSession, *, actor: Principal, subscription_in: SubscriptionCreate, context: FeedsContext
) -> tuple[FeedSubscription, str | None]:
    """A subscription in the actor's jurisdiction, selecting only fields the catalog has (personal ones with leave)."""
    ensure_covers(actor, subscription_in.region)
    _, catalog = catalog_or_unavailable(context)
    raise_refused(
        selection_refusals(
            subscription_in.fields,
            subscription_in.where,
            personal_identifiers=subscription_in.personal_identifiers,
            catalog=catalog,
        ),
        error=BadSubscription,
    )
    repository = SubscriptionRepository(session)
    if await repository.by_name(subscription_in.name) is not None:
        raise SubscriptionNameTaken(f"订阅名称 {subscription_in.name} 已被使用")
    secret = new_webhook_secret() if subscription_in.webhook_url else None
    subscription = FeedSubscription(
        name=subscription_in.name,
        agency=subscription_in.agency,
        region=subscription_in.region,
        fields={name: sorted(set(selected)) for name, selected in subscription_in.fields.items()},
        where=subscription_in.where,
        personal_identifiers=subscription_in.personal_identifiers,
        webhook_url=str(subscription_in.webhook_url) if subscription_in.webhook_url else None,
        webhook_secret_sealed=context.cipher.encrypt(secret) if secret else None,
        webhook_state="active" if secret else "none",
        push_cursor=0,
        failures=0,
        created_by=actor.subject,
    )
    repository.add(subscription)
    await repository.flush()
    await SUBSCRIPTIONS.change(
        session,
        subscription,
        actor,
        "gateway.feed_subscription.created",
        data={"name": subscription.name, "fields": subscription.fields, "personal": subscription.personal_identifiers},
    )
    await session.refresh(subscription)
    return subscription, secret


async def list_subscriptions(session: AsyncSession, *, actor: Principal) -> Sequence[FeedSubscription]:
    return await SubscriptionRepository(session).readable(actor)


async def readable_subscription(
    session: AsyncSession, *, actor: Principal, subscription_id: uuid.UUID, lock: bool = False
) -> FeedSubscription:
    subscription = await SubscriptionRepository(session).get(subscription_id, for_update=lock)
    if subscription is None or not actor.covers(subscription.region):
        raise SubscriptionNotFound(f"订阅 {subscription_id} 不存在")
    return subscription


async def replay(
    session: AsyncSession, *, actor: Principal, subscription_id: uuid.UUID, after: str
) -> FeedSubscription:
    """Push again from ``after``: the cursor goes back (or forward), failures reset, the webhook is enabled."""
    subscription = await readable_subscription(session, actor=actor, subscription_id=subscription_id, lock=True)
    position = _cursor(after)
    if subscription.webhook_url is None:
        raise_refused(Refusal(None, "no_webhook", "该订阅没有配置 Webhook，只能拉取"), error=BadSubscription)
    subscription.push_cursor = position
    subscription.failures = 0
    subscription.next_attempt_at = None
    subscription.webhook_state = "active"
    subscription.disabled_at = None
    await SUBSCRIPTIONS.change(
        session, subscription, actor, "gateway.feed_subscription.replayed", data={"after": position}
    )
    return subscription


async def attempts(
    session: AsyncSession, *, actor: Principal, subscription_id: uuid.UUID, limit: int
) -> Sequence[WebhookAttempt]:
    subscription = await readable_subscription(session, actor=actor, subscription_id=subscription_id)
    return await SubscriptionRepository(session).attempts(subscription.id, limit=limit)


def _cursor(value: str | None) -> int:
    position = parse_cursor(value)
    if isinstance(position, Refusal):
        raise_refused(position, error=BadCursor)
        raise AssertionError("unreachable")  # pragma: no cover
    return position


# --- reading: the same selection for pull and push ------------------------------------------


async def _events(
    session: AsyncSession,
    subscription: FeedSubscription,
    *,
    after: int,
    limit: int,
    regions: Sequence[str],
    context: FeedsContext,
) -> tuple[list[tuple[FeedEvent, dict[str, Any]]], int, bool]:
    """Projected events after ``after``, the cursor after them, and whether more wait."""
    repository = FeedLogRepository(session)
    horizon = await repository.horizon()
    rows = await repository.page(
        after=after,
        upto=horizon,
        names=list(subscription.fields),
        regions=[subscription.region, *regions],
        where=subscription.where,
        limit=limit,
    )
    opener = context.opener() if subscription.personal_identifiers else None
    projected = [(row, project(row.envelope, subscription.fields[row.name], opener=opener)) for row in rows]
    full = len(rows) == limit
    # A short page read everything up to the horizon: the cursor moves past what did not match.
    next_cursor = rows[-1].seq if full else max(after, horizon)
    return projected, next_cursor, full


async def _journal_personal(
    session: AsyncSession, subscription: FeedSubscription, events: Sequence[FeedEvent], *, actor: Principal, how: str
) -> None:
    if subscription.personal_identifiers and events:
        await journal_read(
            session,
            records=[ReadRecord(id=row.event_id, region=row.region) for row in events],
            actor=actor,
            action=f"gateway.feed.{how}",
            record_type="feed_event",
            reason=f"订阅 {subscription.name}（{subscription.agency}）",
            data={"subscription": subscription.name},
        )


async def read_page(
    session: AsyncSession,
    *,
    caller: Principal,
    subscription_id: uuid.UUID,
    after: str | None,
    limit: int,
    context: FeedsContext,
) -> dict[str, Any]:
    """One signed page for a key holding ``feed:<name>``: within the subscription's and the key's region."""
    subscription = await SubscriptionRepository(session).get(subscription_id)
    if subscription is None:
        raise SubscriptionNotFound(f"订阅 {subscription_id} 不存在")
    if feed_scope(subscription.name) not in caller.scopes:
        raise ScopeRequired(f"该 API 密钥没有 {feed_scope(subscription.name)} 权限范围")
    position = _cursor(after)
    events, next_cursor, more = await _events(
        session, subscription, after=position, limit=limit, regions=[caller.region], context=context
    )
    await _journal_personal(session, subscription, [row for row, _ in events], actor=caller, how="pulled")
    now = context.clock.now()
    page: dict[str, Any] = {
        "subscription": subscription.name,
        "after": str(position),
        "next_cursor": str(next_cursor),
        "has_more": more,
        "signed_at": now.isoformat().replace("+00:00", "Z"),
        "events": [event for _, event in events],
    }
    signer = context.ring.signer(now)
    value = base64.urlsafe_b64encode(signer.sign(canonical_json(page))).decode().rstrip("=")
    page["signature"] = {"alg": "Ed25519", "kid": signer.key_id, "value": value}
    return page


# --- pushing: Standard Webhooks -------------------------------------------------------------


async def deliver_webhooks(session: AsyncSession, now: datetime, *, context: FeedsContext) -> int:
    """Push due events to every active webhook, in order; back off after a failure, disable after too many.

    Returns how many events were delivered. One event per request, signed per Standard Webhooks
    (``webhook-id`` = the event id, so a receiver can drop a repeat).
    """
    settings = context.settings
    client = context.http
    if client is None:
        return 0
    delivered = 0
    repository = SubscriptionRepository(session)
    for subscription in await repository.due_webhooks(now, limit=20):
        events, next_cursor, _ = await _events(
            session,
            subscription,
            after=subscription.push_cursor,
            limit=settings.webhook_batch,
            regions=[],
            context=context,
        )
        failed = False
        assert subscription.webhook_secret_sealed is not None
        assert subscription.webhook_url is not None
        webhook = Webhook(context.cipher.decrypt(subscription.webhook_secret_sealed))
        sent: list[FeedEvent] = []
        for row, event in events:
            body = canonical_json(event).decode()
            headers = {
                "content-type": "application/json",
                "webhook-id": row.event_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": webhook.sign(row.event_id, now, body),
            }
            tried = await repository.attempts_of(subscription.id, row.seq) + 1
            status: int | None = None
            error: str | None = None
            try:
                response = await client.post(
                    subscription.webhook_url,
                    content=body.encode(),
                    headers=headers,
                    timeout=settings.webhook_timeout_seconds,
                )
                status = response.status_code
                if not 200 <= status < 300:
                    error = f"HTTP {status}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
            repository.add_attempt(
                WebhookAttempt(
                    subscription_id=subscription.id,
                    seq=row.seq,
                    event_id=row.event_id,
                    attempt=tried,
                    at=now,
                    status_code=status,
                    ok=error is None,
                    error=error,
                )
            )
            if error is not None:
                subscription.failures += 1
                subscription.last_error = error
                wait = backoff_seconds(
                    subscription.failures,
                    base=settings.webhook_backoff_seconds,
                    cap=settings.webhook_backoff_max_seconds,
                )
                subscription.next_attempt_at = now + timedelta(seconds=wait)
                if is_disabled_after(subscription.failures, max_failures=settings.webhook_max_failures):
                    subscription.webhook_state = "disabled"
                    subscription.disabled_at = now
                    log.warning(
                        "gateway.webhook.disabled", subscription=subscription.name, failures=subscription.failures
                    )
                else:
                    log.info("gateway.webhook.failed", subscription=subscription.name, attempt=tried, retry_in=wait)
                failed = True
                break
            subscription.push_cursor = row.seq
            subscription.failures = 0
            subscription.next_attempt_at = None
            subscription.last_error = None
            sent.append(row)
            delivered += 1
        if not failed:  # everything up to the cursor was sent or did not match
            subscription.push_cursor = max(subscription.push_cursor, next_cursor)
        pusher = Principal(subject=f"feed:{subscription.name}", roles=frozenset({"system"}), region=subscription.region)
        await _journal_personal(session, subscription, sent, actor=pusher, how="pushed")
    return delivered


def catalog_or_unavailable(context: FeedsContext) -> tuple[str, dict[str, dict[str, bool]]]:
    try:
        return context.catalog()
    except OSError as exc:
        raise CatalogUnavailable(f"事件目录文件不可读：{context.catalog_path.name}") from exc
