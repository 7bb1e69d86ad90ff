"""The holder's view, assembled over the services' own APIs with the holder's own token.

intake answers "my declarations" (``GET /api/v1/declarations?mine=true``), certificates "my
certificates and who looked them up" (``GET /api/v1/certificates/mine``, journaled there as the
holder's read); the gateway adds the anonymous checks it counted per certificate and day. Each
service decides what the token may see; a service that does not answer is named in
``unavailable`` and its part left empty, so the rest still shows.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import structlog

from zhicheng_common.db import Database
from zhicheng_common.logging import current_trace_id
from zhicheng_common.paging import MAX_LIMIT
from zhicheng_gateway.holder.domain import stage_label, total_checks
from zhicheng_gateway.holder.schemas import (
    AnonymousChecks,
    HolderCertificate,
    HolderDeclaration,
    HolderView,
)
from zhicheng_gateway.proxy import Upstreams
from zhicheng_gateway.verify.repository import counts_of

log = structlog.get_logger()


async def _get(upstreams: Upstreams, service: str, path: str, authorization: str) -> Any | None:
    """The service's JSON answer to the holder's own request, or ``None`` when it gave none."""
    upstream = upstreams.by_name[service]
    headers = {"authorization": authorization, "accept": "application/json"}
    trace_id = current_trace_id()
    if trace_id:
        headers["x-request-id"] = trace_id
    try:
        response = await upstream.client.get(upstream.base_url.rstrip("/") + path, headers=headers)
    except httpx.HTTPError as exc:
        log.warning("gateway.holder.upstream_unavailable", service=service, error=repr(exc))
        return None
    if response.status_code != 200:
        log.warning("gateway.holder.upstream_refused", service=service, status=response.status_code)
        return None
    try:
        return response.json()
    except ValueError:
        return None


async def holder_view(*, upstreams: Upstreams, database: Database, authorization: str) -> HolderView:
    """My declarations and their stage, my certificates, the units that verified them, the anonymous counts."""
    declarations_answer, certificates_answer = await asyncio.gather(
        _get(upstreams, "intake", f"/api/v1/declarations?mine=true&limit={MAX_LIMIT}", authorization),
        _get(upstreams, "certificates", "/api/v1/certificates/mine", authorization),
    )
    unavailable: list[str] = []
    declarations: list[HolderDeclaration] = []
    if isinstance(declarations_answer, dict):
        # Intake's items name the fields as the view does; the view adds the stage in words.
        declarations = [
            HolderDeclaration.model_validate({**item, "stage": stage_label(item["status"])})
            for item in declarations_answer.get("items", [])
        ]
    else:
        unavailable.append("intake")
    certificates: list[HolderCertificate] = []
    if isinstance(certificates_answer, list):
        numbers = [str(item["number"]) for item in certificates_answer]
        async with database.engine.connect() as conn:
            counted = await counts_of(conn, numbers)
        for item in certificates_answer:
            counts = counted.get(str(item["number"]), [])
            certificates.append(
                HolderCertificate.model_validate(
                    {
                        **item,  # the certificates service's own names, as the view's
                        "verified_by": item.get("lookups", []),
                        "anonymous_checks": [AnonymousChecks(day=d, method=m, count=c) for d, m, c in counts],
                        "anonymous_total": total_checks(counts),
                    }
                )
            )
    else:
        unavailable.append("certificates")
    return HolderView(declarations=declarations, certificates=certificates, unavailable=unavailable)
