"""Routes of the feeds: administrators manage subscriptions; agencies pull signed pages with their
API key; anyone reads the event catalog and the keys that verify the pages."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from zhicheng_common.api import SessionDep
from zhicheng_common.auth import PUBLIC_ROUTE, CurrentKeyHolder, Principal, Role, require_roles
from zhicheng_common.problems import problem_docs
from zhicheng_gateway.feeds import service
from zhicheng_gateway.feeds.schemas import (
    FeedPage,
    Replay,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPage,
    SubscriptionRead,
    WebhookAttemptRead,
)
from zhicheng_gateway.feeds.service import FeedsContext
from zhicheng_gateway.schemas import Jwks

#: May create and manage the subscriptions of its jurisdiction.
FeedAdmin = Annotated[Principal, require_roles(Role.PROVINCE_ADMIN, Role.HR_ADMIN)]


async def _context(request: Request) -> FeedsContext:
    context: FeedsContext = request.app.state.feeds
    return context


Context = Annotated[FeedsContext, Depends(_context)]

router = APIRouter(prefix="/feeds", tags=["feeds"])
NOT_FOUND = {404: "订阅不存在或不在管辖范围 (subscription_not_found)"}


@router.post(
    "/subscriptions",
    status_code=201,
    summary="创建数据订阅 (province_admin, hr_admin)",
    responses=problem_docs(
        {
            400: "事件类型或字段不在目录中，或未授权的个人信息字段 (bad_subscription)",
            403: "地区不在管辖范围 (outside_jurisdiction)",
            409: "名称已被使用 (subscription_name_taken)",
        }
    ),
)
async def create_subscription(
    subscription_in: SubscriptionCreate, session: SessionDep, principal: FeedAdmin, context: Context
) -> SubscriptionCreated:
    """Subscribe an agency to event types with the fields it is entitled to; a webhook's secret is shown once."""
    subscription, secret = await service.create_subscription(
        session, actor=principal, subscription_in=subscription_in, context=context
    )
    return SubscriptionCreated(subscription=SubscriptionRead.model_validate(subscription), webhook_secret=secret)


@router.get("/subscriptions", summary="数据订阅列表 (in my jurisdiction)")
async def list_subscriptions(session: SessionDep, principal: FeedAdmin) -> SubscriptionPage:
    """The subscriptions whose region lies within the caller's."""
    rows = await service.list_subscriptions(session, actor=principal)
    return SubscriptionPage(items=[SubscriptionRead.model_validate(s) for s in rows], total=len(rows))


@router.get("/subscriptions/{subscription_id}", summary="查看数据订阅", responses=problem_docs(NOT_FOUND))
async def read_subscription(subscription_id: uuid.UUID, session: SessionDep, principal: FeedAdmin) -> SubscriptionRead:
    """One subscription, with its webhook's state."""
    subscription = await service.readable_subscription(session, actor=principal, subscription_id=subscription_id)
    return SubscriptionRead.model_validate(subscription)


@router.post(
    "/subscriptions/{subscription_id}/replay",
    summary="从游标重新推送 (re-enable the webhook)",
    responses=problem_docs({**NOT_FOUND, 400: "游标无效或没有 Webhook (bad_cursor, no_webhook)"}),
)
async def replay(
    subscription_id: uuid.UUID, body: Replay, session: SessionDep, principal: FeedAdmin
) -> SubscriptionRead:
    """Push again every event after the cursor, in order; a disabled webhook is enabled again."""
    subscription = await service.replay(session, actor=principal, subscription_id=subscription_id, after=body.after)
    return SubscriptionRead.model_validate(subscription)


@router.get(
    "/subscriptions/{subscription_id}/attempts",
    summary="Webhook 推送记录 (latest tries)",
    responses=problem_docs(NOT_FOUND),
)
async def list_attempts(
    subscription_id: uuid.UUID,
    session: SessionDep,
    principal: FeedAdmin,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[WebhookAttemptRead]:
    """The latest pushes to the subscription's webhook, newest first, with their HTTP status."""
    rows = await service.attempts(session, actor=principal, subscription_id=subscription_id, limit=limit)
    return [WebhookAttemptRead.model_validate(r) for r in rows]


@router.get(
    "/{subscription_id}/events",
    summary="拉取订阅事件 (API key with scope feed:<name>; signed page)",
    response_model=FeedPage,
    responses=problem_docs(
        {
            400: "游标无效 (bad_cursor)",
            401: "API 密钥无效、已吊销或已轮换 (api_key_*)",
            403: "密钥没有 feed:<name> 权限 (scope_required)",
            404: "订阅不存在 (subscription_not_found)",
            429: "超过配额 (quota_exceeded; Retry-After)",
        }
    ),
)
async def pull_events(
    subscription_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentKeyHolder,
    context: Context,
    after: Annotated[str | None, Query(max_length=20, description="the next_cursor of the last page saved")] = None,
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
) -> JSONResponse:
    """Events after the cursor in the feed's order (per subject, the producer's order), only the
    subscription's fields and regions, signed with the gateway's feed key."""
    page = await service.read_page(
        session,
        caller=principal,
        subscription_id=subscription_id,
        after=after,
        limit=limit or context.settings.feed_page_limit,
        context=context,
    )
    return JSONResponse(page)


@router.get("/keys", summary="订阅页签名公钥 (JWKS; public)", dependencies=[PUBLIC_ROUTE])
async def page_keys(context: Context) -> Jwks:
    """Public: the keys that verify pulled pages (each with its signing period)."""
    jwks: dict[str, Any] = context.ring.public().jwks()
    return Jwks(**jwks)


@router.get(
    "/catalog",
    summary="事件目录 (AsyncAPI 3.0 YAML; public)",
    dependencies=[PUBLIC_ROUTE],
    response_class=Response,
    responses={
        200: {"content": {"application/yaml": {"example": "asyncapi: 3.0.0\ninfo:\n  title: Zhicheng events\n"}}},
        503: {"description": "catalog file missing (catalog_unavailable)"},
    },
)
async def catalog(context: Context) -> Response:
    """Public: every event type the services publish, with its data schema (what subscriptions select from)."""
    text, _ = service.catalog_or_unavailable(context)
    return Response(text, media_type="application/yaml")


routers: list[APIRouter] = [router]
