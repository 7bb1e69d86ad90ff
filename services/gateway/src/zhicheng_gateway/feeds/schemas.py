"""Request and response bodies of the feeds."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

from zhicheng_common.validators import RegionCode

SUBSCRIPTION_EXAMPLE: dict[str, Any] = {
    "id": "01938f3c-7a1e-7c44-9d3b-2a6f0c1d5e11",
    "name": "taiyuan-hr",
    "agency": "太原市人力资源和社会保障局",
    "region": "140100",
    "fields": {"intake.declaration.submitted": ["declaration_id", "series", "level", "year"]},
    "where": {},
    "personal_identifiers": False,
    "webhook_url": "https://hr.taiyuan.example/zhicheng/webhook",
    "webhook_state": "active",
    "push_cursor": "0",
    "failures": 0,
    "next_attempt_at": None,
    "last_error": None,
    "disabled_at": None,
    "created_at": "2026-12-03T01:00:00Z",
}

EVENT_EXAMPLE: dict[str, Any] = {
    "specversion": "1.0",
    "id": "01938f3c-7a1e-7c44-9d3b-2a6f0c1d5e22",
    "source": "/zhicheng/intake",
    "type": "cn.zhicheng.intake.declaration.submitted.v3",
    "subject": "01938f3c-7a1e-7c44-9d3b-2a6f0c1d5e33",
    "time": "2026-12-03T01:00:00Z",
    "datacontenttype": "application/json",
    "region": "140105",
    "aggregateversion": 1,
    "data": {"declaration_id": "01938f3c-7a1e-7c44-9d3b-2a6f0c1d5e33", "series": "engineering", "level": "senior"},
}


class SubscriptionCreate(BaseModel):
    """An agency's subscription: event types with their fields, filters, jurisdiction and an optional webhook."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "taiyuan-hr",
                    "agency": "太原市人力资源和社会保障局",
                    "region": "140100",
                    "fields": {"intake.declaration.submitted": ["declaration_id", "series", "level", "year"]},
                    "webhook_url": "https://hr.taiyuan.example/zhicheng/webhook",
                },
                {
                    "name": "credit-platform",
                    "agency": "全国信用信息共享平台（山西）",
                    "region": "140000",
                    "fields": {
                        "integrity.record.decided": ["record_id", "kind", "subject_name_sealed", "subject_id_sealed"],
                        "integrity.record.withdrawn": ["record_id", "outcome"],
                        "integrity.record.expired": ["record_id", "valid_until"],
                    },
                    "where": {"shared_with_credit_platform": [True]},
                    "personal_identifiers": True,
                },
            ]
        },
    )

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="keys read it with scope `feed:<name>`")
    agency: str = Field(min_length=1, max_length=128)
    region: RegionCode = Field(description="the jurisdiction: only events of regions within it")
    fields: dict[str, list[str]] = Field(
        min_length=1, description="event name (`<service>.<entity>.<fact>`) → the data fields sent"
    )
    where: dict[str, list[Any]] = Field(default_factory=dict, description="data field → allowed values")
    personal_identifiers: bool = Field(
        default=False, description="leave to select keyed hashes and sealed fields (sent opened)"
    )
    webhook_url: AnyHttpUrl | None = Field(default=None, description="pushed per Standard Webhooks when set")


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [SUBSCRIPTION_EXAMPLE]})

    id: uuid.UUID
    name: str
    agency: str
    region: str
    fields: dict[str, list[str]]
    where: dict[str, list[Any]]
    personal_identifiers: bool
    webhook_url: str | None
    webhook_state: Literal["none", "active", "disabled"]
    push_cursor: str = Field(description="the last event the webhook received")
    failures: int = Field(description="failed tries in a row")
    next_attempt_at: datetime | None
    last_error: str | None
    disabled_at: datetime | None
    created_at: datetime

    @field_validator("push_cursor", mode="before")
    @classmethod
    def _cursor(cls, value: Any) -> str:
        return str(value)


class SubscriptionCreated(BaseModel):
    """A new subscription, with its webhook's signing secret shown this once."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"subscription": SUBSCRIPTION_EXAMPLE, "webhook_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
            ]
        }
    )

    subscription: SubscriptionRead
    webhook_secret: str | None = Field(description="verify pushes with it (Standard Webhooks); never shown again")


class SubscriptionPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [SUBSCRIPTION_EXAMPLE], "total": 1}]})

    items: list[SubscriptionRead]
    total: int


class Replay(BaseModel):
    """Push again from a cursor (``0``: from the start); a disabled webhook is enabled again."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"after": "1041"}]})

    after: str = Field(default="0", max_length=20)


class PageSignature(BaseModel):
    alg: Literal["Ed25519"] = "Ed25519"
    kid: str = Field(description="key id in GET /api/v1/feeds/keys")
    value: str = Field(description="base64url signature over the canonical JSON of the page without `signature`")


class FeedPage(BaseModel):
    """One signed page of a subscription's events, in order, with the cursor to continue from."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "subscription": "taiyuan-hr",
                    "after": "1040",
                    "next_cursor": "1041",
                    "has_more": False,
                    "signed_at": "2026-12-03T01:00:05Z",
                    "events": [EVENT_EXAMPLE],
                    "signature": {"alg": "Ed25519", "kid": "331ce1584e4c84ba", "value": "q0Vh…"},
                }
            ]
        }
    )

    subscription: str
    after: str
    next_cursor: str = Field(description="pass as `after` for the next page; save it to resume")
    has_more: bool
    signed_at: datetime
    events: list[dict[str, Any]] = Field(description="CloudEvents 1.0, only the subscription's fields")
    signature: PageSignature


class WebhookAttemptRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "seq": 1041,
                    "event_id": "01938f3c-7a1e-7c44-9d3b-2a6f0c1d5e22",
                    "attempt": 4,
                    "at": "2026-12-03T01:01:10Z",
                    "status_code": 200,
                    "ok": True,
                    "error": None,
                }
            ]
        },
    )

    seq: int
    event_id: str
    attempt: int
    at: datetime
    status_code: int | None
    ok: bool
    error: str | None
