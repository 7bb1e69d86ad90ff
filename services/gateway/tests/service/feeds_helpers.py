"""Helpers of the feed tests: keys, subscriptions, events published the way producers do, pages read and checked."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import publish_event, run_sql, wait_until

from .conftest import Gateway


async def issue_key(gateway: Gateway, admin: dict[str, str], *, region: str, scopes: list[str]) -> dict[str, str]:
    body = {"name": "feed", "holder": "机构", "region": region, "scopes": scopes, "quota": 10_000}
    response = await gateway.client.post("/api/v1/api-keys", json=body, headers=admin)
    assert response.status_code == 201, response.text
    return {"X-API-Key": response.json()["secret"]}


async def subscribe(gateway: Gateway, admin: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await gateway.client.post("/api/v1/feeds/subscriptions", json=body, headers=admin)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def publish(
    js: Any, settings: CommonSettings, name: str, data: dict[str, Any], *, subject: str, region: str, version: int = 1
) -> str:
    return await publish_event(js, settings.events_prefix, name, data, subject=subject, region=region, version=version)


async def logged(settings: CommonSettings, event_ids: Sequence[str]) -> None:
    """Wait until the gateway's feed consumers stored every one of ``event_ids``."""

    async def count() -> bool:
        rows = await run_sql(
            settings,
            "gateway",
            "SELECT count(*) FROM gateway.feed_events WHERE event_id = ANY(:ids)",
            ids=list(event_ids),
        )
        return bool(rows[0][0] == len(event_ids))

    await wait_until(count, what="the feed log to hold the events")


async def page_keys(gateway: Gateway) -> dict[str, Ed25519PublicKey]:
    jwks = (await gateway.client.get("/api/v1/feeds/keys")).json()
    keys = {}
    for jwk in jwks["keys"]:
        raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
        keys[jwk["kid"]] = Ed25519PublicKey.from_public_bytes(raw)
    return keys


def signature_holds(page: dict[str, Any], keys: dict[str, Ed25519PublicKey]) -> bool:
    """Check a page the way an agency would: the canonical JSON of the page without its signature."""
    unsigned = {k: v for k, v in page.items() if k != "signature"}
    message = json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    value = page["signature"]["value"]
    try:
        keys[page["signature"]["kid"]].verify(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), message)
    except Exception:
        return False
    return True


async def pull_all(
    gateway: Gateway, subscription_id: str, headers: dict[str, str], *, after: str = "0", limit: int = 1000
) -> tuple[list[dict[str, Any]], str]:
    """Every event after ``after``, page by page; the pages' signatures checked; and the last cursor."""
    keys = await page_keys(gateway)
    events: list[dict[str, Any]] = []
    while True:
        response = await gateway.client.get(
            f"/api/v1/feeds/{subscription_id}/events", params={"after": after, "limit": limit}, headers=headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        assert signature_holds(page, keys)
        events.extend(page["events"])
        after = page["next_cursor"]
        if not page["has_more"]:
            return events, after
