"""The read model equals a rebuild: the province queries answer the same before and after
`zhicheng readmodel rebuild` replays every stream into fresh tables and swaps them in.

Unlike ``invariants.check`` this writes: the rebuild is the read model's own online operation
(docs/readmodel.md), so it is run as an operator would, with the gateway answering throughout.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from nats.js.client import JetStreamContext

from zhicheng_common.settings import CommonSettings

DIMENSIONS = ("province", "city", "committee", "level", "year")


async def _pages(client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any) -> list[Any]:
    items: list[Any] = []
    after: str | None = None
    while True:
        query = {**params, "limit": 200, **({"after": after} if after else {})}
        response = await client.get(path, params=query, headers=headers)
        response.raise_for_status()
        body = response.json()
        items += body["items"]
        after = body.get("next_cursor")
        if not after:
            return items


async def answers(gateway: str, username: str, password: str) -> dict[str, Any]:
    """What the read model answers a province reader: statistics by every dimension, committees,
    meetings, every declaration and every certificate (sorted, so order does not count)."""
    async with httpx.AsyncClient(base_url=f"{gateway}/api/v1/province", timeout=60.0) as client:
        token = await client.post(f"{gateway}/api/v1/auth/token", data={"username": username, "password": password})
        token.raise_for_status()
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        out: dict[str, Any] = {}
        for by in DIMENSIONS:
            response = await client.get("/statistics", params={"by": by}, headers=headers)
            response.raise_for_status()
            out[f"statistics by {by}"] = response.json()["rows"]
        for path in ("/committees", "/meetings"):
            response = await client.get(path, headers=headers)
            response.raise_for_status()
            out[path] = sorted(response.json()["items"], key=lambda i: json.dumps(i, sort_keys=True))
        declarations = await _pages(client, "/declarations", headers, sort="declaration_id")
        out["/declarations"] = sorted(declarations, key=lambda i: json.dumps(i, sort_keys=True))
        certificates = await _pages(client, "/certificates", headers)
        out["/certificates"] = sorted(certificates, key=lambda i: json.dumps(i, sort_keys=True))
        return out


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [
        f"{query}: {len(before.get(query) or [])} answer(s) live, {len(after.get(query) or [])} rebuilt, differing"
        for query in sorted(set(before) | set(after))
        if before.get(query) != after.get(query)
    ]


async def readmodel_matches_rebuild(
    js: JetStreamContext, settings: CommonSettings, gateway: str, username: str, password: str, database_url: str
) -> list[str]:
    """The differences between the live read model's answers and a rebuild's (none when equal)."""
    from zhicheng_gateway.readmodel import rebuild

    before = await answers(gateway, username, password)
    summary = await rebuild.rebuild(
        database_url,
        js,
        stream=settings.stream_name,
        prefix=settings.events_prefix,
        context=rebuild.context_from(settings),
        settings=settings,
    )
    out = [f"the rebuild skipped {s}" for s in summary.skipped]
    after = await answers(gateway, username, password)
    return out + differences(before, after)


__all__ = ["answers", "differences", "readmodel_matches_rebuild"]
