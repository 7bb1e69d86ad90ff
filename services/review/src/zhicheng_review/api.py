"""Routes of the review service, mounted under ``/api/v1/reviews``."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, status

from zhicheng_common.api import SessionDep, journal_router, service_context
from zhicheng_common.auth import PUBLIC_ROUTE
from zhicheng_common.paging import QueuePaging
from zhicheng_common.schemas import from_record
from zhicheng_review import domain, service
from zhicheng_review.auth import Applicant, Authenticated, Reviewer, StatisticsReader
from zhicheng_review.domain import CorrectionItem, working_days_left
from zhicheng_review.models import Decision, Objection, Publicity, Reexamination, Review
from zhicheng_review.schemas import (
    ClaimCreate,
    ClaimRead,
    DecisionCreate,
    DecisionPage,
    DecisionRead,
    ObjectionCreate,
    ObjectionRead,
    ObjectionReceipt,
    ObjectionUpdate,
    PublicityCreate,
    PublicityRead,
    PublicNotice,
    PublicNoticeEntry,
    ReexaminationCreate,
    ReexaminationRead,
    ReexaminationUpdate,
    ReviewPage,
    ReviewRead,
    SignatureCheck,
    StatisticsRead,
)
from zhicheng_review.service import ReviewContext
from zhicheng_review.settings import AREA

ContextDep = Annotated[ReviewContext, Depends(service_context)]

router = APIRouter(prefix=f"/{AREA}", tags=["reviews"])
# Publicity notices, objections and the decision keys are for anyone: no token.
public_router = APIRouter(prefix=f"/{AREA}/public", tags=["public"], dependencies=[PUBLIC_ROUTE])


def review_read(ctx: ReviewContext, review: Review) -> ReviewRead:
    step = service.step_of(ctx, review)
    days_left = working_days_left(ctx.calendar, ctx.today(), review.step_due)
    return from_record(ReviewRead, review, step_role=step.role, working_days_left=days_left)


def decision_read(decision: Decision, deadline: date | None = None, provisional: bool = False) -> DecisionRead:
    items = [CorrectionItem.model_validate(i) for i in decision.items]
    return from_record(
        DecisionRead, decision, items=items, correction_deadline=deadline, correction_deadline_provisional=provisional
    )


def publicity_read(publicity: Publicity, review_ids: list[uuid.UUID], open_objections: int) -> PublicityRead:
    closes_on = domain.publicity_closes_on(publicity.open_through)
    return from_record(
        PublicityRead, publicity, closes_on=closes_on, review_ids=review_ids, open_objections=open_objections
    )


def objection_read(ctx: ReviewContext, objection: Objection) -> ObjectionRead:
    name, phone = ctx.cipher.decrypt(objection.contact_name_enc), ctx.cipher.decrypt(objection.contact_phone_enc)
    return from_record(ObjectionRead, objection, contact_name=name, contact_phone=phone)


def reexamination_read(request: Reexamination) -> ReexaminationRead:
    return from_record(ReexaminationRead, request)


@router.get("/queue", summary="待审队列 (what waits for me, oldest first)")
async def get_queue(session: SessionDep, principal: Reviewer, ctx: ContextDep, page: QueuePaging) -> ReviewPage:
    """Declarations waiting at my roles' steps in my jurisdiction, oldest first, with working days left."""
    rows, total = await service.work_queue(session, ctx=ctx, principal=principal, limit=page.limit, offset=page.offset)
    return ReviewPage(items=[review_read(ctx, r) for r in rows], total=total)


@router.get("/statistics", summary="各环节统计 (per-step statistics)")
async def get_statistics(session: SessionDep, principal: StatisticsReader, ctx: ContextDep) -> StatisticsRead:
    """Per step: waiting, overdue, median and p90 working days spent."""
    return StatisticsRead(steps=await service.statistics(session, ctx=ctx, principal=principal))


@router.get("/declarations/{declaration_id}", summary="按申报查审核 (review of a declaration)")
async def get_by_declaration(
    declaration_id: uuid.UUID, session: SessionDep, principal: Authenticated, ctx: ContextDep
) -> ReviewRead:
    """The review of one declaration, by the declaration's id."""
    found = await service.review_id_of_declaration(session, declaration_id=declaration_id)
    return review_read(ctx, await service.read_review(session, ctx=ctx, principal=principal, review_id=found))


@router.get("/{review_id}", summary="审核记录 (one review)")
async def get_review(
    review_id: uuid.UUID, session: SessionDep, principal: Authenticated, ctx: ContextDep
) -> ReviewRead:
    """Where one declaration stands in its chain."""
    return review_read(ctx, await service.read_review(session, ctx=ctx, principal=principal, review_id=review_id))


@router.post("/{review_id}/claim", summary="认领 (claim)")
async def post_claim(
    review_id: uuid.UUID,
    session: SessionDep,
    principal: Authenticated,
    ctx: ContextDep,
    claim_in: ClaimCreate | None = None,
) -> ClaimRead:
    """Claim a waiting declaration at its current step (or the step named); a second reviewer gets a 409."""
    review = await service.claim(
        session, ctx=ctx, principal=principal, review_id=review_id, step_key=claim_in.step_key if claim_in else None
    )
    return ClaimRead(
        review_id=review.id, step_key=review.step_key, claimed_by=review.claimed_by, claimed_at=review.claimed_at
    )


@router.delete("/{review_id}/claim", summary="释放认领 (release a claim)")
async def delete_claim(
    review_id: uuid.UUID, session: SessionDep, principal: Authenticated, ctx: ContextDep
) -> ClaimRead:
    """Release a claim: its holder, or a supervisor."""
    review = await service.release(session, ctx=ctx, principal=principal, review_id=review_id)
    return ClaimRead(review_id=review.id, step_key=review.step_key, claimed_by=None, claimed_at=None)


@router.post("/{review_id}/decisions", status_code=status.HTTP_201_CREATED, summary="审核决定 (decide, signed)")
async def post_decision(
    review_id: uuid.UUID, decision_in: DecisionCreate, session: SessionDep, principal: Authenticated, ctx: ContextDep
) -> DecisionRead:
    """Pass, return for correction (every item at once), reject or disqualify; signed by the caller."""
    decision, deadline = await service.decide(
        session, ctx=ctx, principal=principal, review_id=review_id, decision_in=decision_in
    )
    # The same test the service stored the mark with (same day, same calendar).
    provisional = deadline is not None and ctx.calendar.is_provisional_span(ctx.today(), deadline)
    return decision_read(decision, deadline, provisional)


@router.get("/{review_id}/decisions", summary="审核决定记录 (decisions of a review)")
async def get_decisions(
    review_id: uuid.UUID, session: SessionDep, principal: Authenticated, ctx: ContextDep
) -> DecisionPage:
    """Every signed decision of one review, oldest first."""
    decisions = await service.decisions_of(session, ctx=ctx, principal=principal, review_id=review_id)
    return DecisionPage(items=[decision_read(d) for d in decisions])


@router.get("/decisions/{decision_id}/verification", summary="验证签名 (verify a decision's signature)")
async def get_verification(
    decision_id: uuid.UUID, session: SessionDep, principal: Authenticated, ctx: ContextDep
) -> SignatureCheck:
    """Whether the stored signature covers the stored decision content."""
    decision, valid = await service.verify_decision(session, ctx=ctx, principal=principal, decision_id=decision_id)
    return SignatureCheck(decision_id=decision.id, valid=valid, key_id=decision.key_id)


@router.post("/publicities", status_code=status.HTTP_201_CREATED, summary="发起公示 (open a publicity)")
async def post_publicity(
    publicity_in: PublicityCreate, session: SessionDep, principal: Authenticated, ctx: ContextDep
) -> PublicityRead:
    """Open a publicity for a batch waiting at one publicity step (RV-6)."""
    publicity = await service.open_publicity(session, ctx=ctx, principal=principal, publicity_in=publicity_in)
    return publicity_read(publicity, list(publicity_in.review_ids), 0)


@router.get("/publicities/{publicity_id}", summary="公示 (one publicity)")
async def get_publicity(
    publicity_id: uuid.UUID, session: SessionDep, principal: Authenticated, ctx: ContextDep
) -> PublicityRead:
    """One publicity with its batch and how many objections are open."""
    publicity, review_ids, open_objections = await service.read_publicity(
        session, ctx=ctx, principal=principal, publicity_id=publicity_id
    )
    return publicity_read(publicity, review_ids, open_objections)


@router.post("/publicities/{publicity_id}/close", summary="结束公示 (close a publicity)")
async def post_close(
    publicity_id: uuid.UUID, session: SessionDep, principal: Authenticated, ctx: ContextDep
) -> PublicityRead:
    """Close on or after the last working day, with no open objection (RV-6); the batch moves on."""
    publicity = await service.close_publicity(session, ctx=ctx, principal=principal, publicity_id=publicity_id)
    return publicity_read(publicity, await service.batch_of(session, publicity_id=publicity.id), 0)


@router.get("/publicities/{publicity_id}/objections", summary="异议列表 (objections of a publicity)")
async def get_objections(
    publicity_id: uuid.UUID, session: SessionDep, principal: Authenticated, ctx: ContextDep
) -> list[ObjectionRead]:
    """Objections with contact details (a journaled read)."""
    objections = await service.objections_of(session, ctx=ctx, principal=principal, publicity_id=publicity_id)
    return [objection_read(ctx, o) for o in objections]


@router.patch("/objections/{objection_id}", summary="处理异议 (resolve an objection)")
async def patch_objection(
    objection_id: uuid.UUID,
    resolution_in: ObjectionUpdate,
    session: SessionDep,
    principal: Authenticated,
    ctx: ContextDep,
) -> ObjectionRead:
    """Upheld (return or reject the declaration) or dismissed, with reasons (RV-6)."""
    objection = await service.resolve_objection(
        session, ctx=ctx, principal=principal, objection_id=objection_id, resolution_in=resolution_in
    )
    return objection_read(ctx, objection)


@router.post("/reexaminations", status_code=status.HTTP_201_CREATED, summary="申请复查 (ask for re-examination)")
async def post_reexamination(
    request_in: ReexaminationCreate, session: SessionDep, principal: Applicant, ctx: ContextDep
) -> ReexaminationRead:
    """An applicant asks for re-examination of a decision, or complains (NA-12)."""
    request = await service.request_reexamination(session, ctx=ctx, principal=principal, request_in=request_in)
    return reexamination_read(request)


@router.get("/reexaminations/{reexamination_id}", summary="复查申请 (one re-examination)")
async def get_reexamination(
    reexamination_id: uuid.UUID, session: SessionDep, principal: Authenticated, ctx: ContextDep
) -> ReexaminationRead:
    """A re-examination request, its handling and outcome."""
    request = await service.read_reexamination(session, ctx=ctx, principal=principal, reexamination_id=reexamination_id)
    return reexamination_read(request)


@router.patch("/reexaminations/{reexamination_id}", summary="指派或办结复查 (assign or decide)")
async def patch_reexamination(
    reexamination_id: uuid.UUID,
    update_in: ReexaminationUpdate,
    session: SessionDep,
    principal: Authenticated,
    ctx: ContextDep,
) -> ReexaminationRead:
    """Assign (supervisor) or decide (assignee) a re-examination; the outcome is sent back (NA-12)."""
    request = await service.handle_reexamination(
        session, ctx=ctx, principal=principal, reexamination_id=reexamination_id, update_in=update_in
    )
    return reexamination_read(request)


# PUBLIC routes: no token. Anyone holding a publicity's link token may read its notice and file
# an objection (RV-6); the token is unguessable and nothing else is reachable with it.


@public_router.get("/publicities/{token}", summary="公示公告（公开）(public notice)")
async def get_public_notice(token: str, session: SessionDep) -> PublicNotice:
    """PUBLIC: the notice of a publicity, by its link token."""
    publicity, reviews = await service.public_notice(session, token=token)
    closes_on = domain.publicity_closes_on(publicity.open_through)
    entries = [from_record(PublicNoticeEntry, r, review_id=r.id) for r in reviews]
    return from_record(PublicNotice, publicity, closes_on=closes_on, entries=entries)


@public_router.post(
    "/publicities/{token}/objections", status_code=status.HTTP_201_CREATED, summary="提出异议（公开）(object)"
)
async def post_public_objection(
    token: str, objection_in: ObjectionCreate, session: SessionDep, ctx: ContextDep
) -> ObjectionReceipt:
    """PUBLIC: file an objection during the publicity, with contact details (RV-6)."""
    objection = await service.file_objection(session, ctx=ctx, token=token, objection_in=objection_in)
    return ObjectionReceipt(id=objection.id, filed_at=objection.filed_at, status=objection.status)


@public_router.get("/keys", summary="决定签名公钥（公开）(decision signing keys, JWKS)")
async def get_public_keys(ctx: ContextDep) -> dict[str, list[dict[str, Any]]]:
    """PUBLIC: every published key of decision signatures with its signing period, as a JWKS."""
    keys: list[dict[str, Any]] = ctx.keys.jwks()["keys"]
    return {"keys": keys}


# The public router first: its paths must not be shadowed by ``/{review_id}``.
routers: list[APIRouter] = [public_router, journal_router(AREA), router]
