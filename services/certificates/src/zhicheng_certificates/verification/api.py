"""The public verification API (no login; the gateway's /verify page calls it). A caller with a token
(an identified verifier, e.g. a unit's API key at the gateway) is recorded for the holder's view;
anonymous checks are counted per day, not traced."""

from __future__ import annotations

from fastapi import APIRouter

from zhicheng_certificates.deps import ContextDep, NowDep, OptionalPrincipal
from zhicheng_certificates.settings import AREA
from zhicheng_certificates.verification import service
from zhicheng_certificates.verification.schemas import NumberQuery, TokenQuery, VerificationRead
from zhicheng_common.api import SessionDep
from zhicheng_common.auth import PUBLIC_ROUTE
from zhicheng_common.problems import problem_docs

public = APIRouter(prefix=f"/{AREA}/public/verifications", tags=["verification"], dependencies=[PUBLIC_ROUTE])


@public.post(
    "/by-number",
    summary="按证书编号与姓名核验 (public; resident ID optional)",
    responses=problem_docs({400: "证书编号格式或校验位错误 (certificate_number_malformed, certificate_number_check)"}),
)
async def by_number(
    query: NumberQuery, session: SessionDep, context: ContextDep, now: NowDep, verifier: OptionalPrincipal
) -> VerificationRead:
    """Each check of the certificate; a wrong name with a right number answers "no match" and nothing more."""
    answer = await service.verify_by_number(
        session,
        context=context,
        number=query.number,
        holder_name=query.holder_name,
        resident_id=query.resident_id,
        verifier=verifier,
        now=now,
    )
    return VerificationRead.model_validate(answer.to_json())


@public.post("/by-token", summary="扫码核验 (public: the QR token or the scanned URL)")
async def by_token(
    query: TokenQuery, session: SessionDep, context: ContextDep, now: NowDep, verifier: OptionalPrincipal
) -> VerificationRead:
    """The token's signature, the stored document's two signatures, key validity and the live status."""
    answer = await service.verify_by_token(session, context=context, token=query.token, verifier=verifier, now=now)
    return VerificationRead.model_validate(answer.to_json())
