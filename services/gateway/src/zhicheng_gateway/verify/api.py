"""Routes of public verification: the JSON API (``/api/v1/verify/…``) and the ``/verify`` page (HTML)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from zhicheng_common.auth import PUBLIC_ROUTE, current_key_holder
from zhicheng_common.clock import Clock
from zhicheng_common.problems import NotAuthenticated, ProblemError, problem_docs
from zhicheng_gateway.keys.auth import carries_key
from zhicheng_gateway.keys.errors import ScopeRequired
from zhicheng_gateway.verify.page import PAGE_HEADERS, PAGE_PATH, render_answer, render_error, render_page
from zhicheng_gateway.verify.schemas import NumberQuery, TokenQuery, VerificationRead
from zhicheng_gateway.verify.service import Answer, VerifyContext

CACHE_HEADER = "X-Verify-Cache"
FORM_LIMIT_BYTES = 4096


async def verifier_authorization(request: Request, context: VerifyContext) -> str | None:
    """How the certificates service is to know the verifier: ``None`` for an anonymous one.

    An API key must carry the scope ``verify`` (403 otherwise) and is named by a short-lived token
    of the gateway for its principal; a bearer token must verify here (401 otherwise) and is passed on.
    """
    if carries_key(request.headers):
        principal = await current_key_holder(request)
        if "verify" not in principal.scopes:
            raise ScopeRequired("该 API 密钥没有 verify 权限范围")
        return f"Bearer {context.token_for_key(principal)}"
    authorization = request.headers.get("authorization", "")
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("令牌格式应为 Authorization: Bearer …", code="token_missing")
    await request.app.state.token_verifier.verify(token.strip())
    return f"Bearer {token.strip()}"


@dataclass(frozen=True)
class Lookup:
    """What a verification route needs besides its body: the feature's context, the time, the verifier."""

    context: VerifyContext
    now: datetime
    authorization: str | None


async def _lookup(request: Request) -> Lookup:
    # One dependency, not three: this is the public's hot path, and each dependency costs a solve.
    context: VerifyContext = request.app.state.verify
    clock: Clock = request.app.state.clock
    return Lookup(context, clock.now(), await verifier_authorization(request, context))


async def _context(request: Request) -> VerifyContext:
    context: VerifyContext = request.app.state.verify
    return context


async def _now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock.now()


LookupDep = Annotated[Lookup, Depends(_lookup)]
ContextDep = Annotated[VerifyContext, Depends(_context)]
NowDep = Annotated[datetime, Depends(_now)]

router = APIRouter(prefix="/verify", tags=["verify"], dependencies=[PUBLIC_ROUTE])

ANSWER_DOCS: dict[int | str, dict[str, Any]] = {
    200: {"model": VerificationRead, "description": "each check, or no match"},
    **problem_docs(
        {
            400: "证书编号格式或校验位错误 (certificate_number_malformed, certificate_number_check)",
            401: "令牌或 API 密钥无效 (token_invalid, api_key_invalid, api_key_revoked)",
            403: "API 密钥没有 verify 权限范围 (scope_required)",
            429: "超出频率或配额 (rate_limited, quota_exceeded)",
            503: "证书服务暂不可用 (upstream_unavailable)",
        }
    ),
}


def _relay(answer: Answer) -> Response:
    response = Response(content=answer.body, status_code=answer.status, media_type=answer.content_type)
    response.headers[CACHE_HEADER] = "hit" if answer.cached else "miss"
    return response


@router.post(
    "/by-number",
    summary="按证书编号与姓名核验 (public; an API key with scope verify or a unit's token is recorded for the holder)",
    response_model=None,
    responses=ANSWER_DOCS,
)
async def by_number(query: NumberQuery, lookup: LookupDep) -> Response:
    """Each check of the certificate and the minimal fields; a wrong name with a right number: no match."""
    context = lookup.context
    key = context.number_key(query.number, query.holder_name, query.resident_id)
    answer = await context.lookup(
        method="number",
        payload=query.model_dump(exclude_none=True),
        key=key,
        authorization=lookup.authorization,
        now=lookup.now,
    )
    return _relay(answer)


@router.post(
    "/by-token",
    summary="扫码核验 (public: the QR token or the scanned URL)",
    response_model=None,
    responses=ANSWER_DOCS,
)
async def by_token(query: TokenQuery, lookup: LookupDep) -> Response:
    """The token's signature, the stored document's two signatures, key validity and the live status."""
    context = lookup.context
    answer = await context.lookup(
        method="token",
        payload=query.model_dump(),
        key=context.token_key(query.token),
        authorization=lookup.authorization,
        now=lookup.now,
    )
    return _relay(answer)


# --- the page -------------------------------------------------------------------------------------

page_router = APIRouter(dependencies=[PUBLIC_ROUTE], include_in_schema=False)


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)


async def _rendered(context: VerifyContext, *, method: str, payload: dict[str, str], now: datetime) -> tuple[str, int]:
    """The result section of a lookup made by the page (always anonymous: a browser carries no key)."""
    key = (
        context.number_key(payload["number"], payload["holder_name"], None)
        if method == "number"
        else context.token_key(payload["token"])
    )
    try:
        answer = await context.lookup(method=method, payload=payload, key=key, authorization=None, now=now)
    except ProblemError as failed:
        return render_error("暂时无法核验", failed.detail or failed.title), failed.status
    if answer.status != 200 or answer.data is None:
        problem = answer.data or {}
        title = str(problem.get("title") or "无法核验")
        return render_error(title, str(problem.get("detail") or "")), answer.status
    return render_answer(answer.data), 200


@page_router.get(PAGE_PATH, response_class=HTMLResponse)
async def page(
    context: ContextDep, now: NowDep, t: Annotated[str | None, Query(max_length=1000)] = None
) -> HTMLResponse:
    """The verification page; with ``t`` (the QR code's URL) the token's verification is shown at once."""
    if not t or not t.strip():
        return _html(render_page())
    result, status = await _rendered(context, method="token", payload={"token": t.strip()}, now=now)
    return _html(render_page(result), status)


@page_router.post(PAGE_PATH, response_class=HTMLResponse)
async def page_form(request: Request, context: ContextDep, now: NowDep) -> HTMLResponse:
    """The form's answer: the verification by number and name, then the form again (number kept, name not)."""
    body = await request.body()
    fields = parse_qs(body[:FORM_LIMIT_BYTES].decode("utf-8", errors="replace"), max_num_fields=8)
    number = (fields.get("number") or [""])[0].strip()
    name = (fields.get("name") or [""])[0].strip()
    if len(body) > FORM_LIMIT_BYTES or not number or not name or len(number) > 32 or len(name) > 64:
        result = render_error("请填写证书编号与持证人姓名", "证书编号不超过 32 个字符，姓名不超过 64 个字符。")
        return _html(render_page(result, number=number[:32]), 400)
    result, status = await _rendered(context, method="number", payload={"number": number, "holder_name": name}, now=now)
    return _html(render_page(result, number=number), status)
