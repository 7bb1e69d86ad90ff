"""Routes of the integrity service, mounted under ``/api/v1/integrity``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from zhicheng_common.api import SessionDep, journal_router, service_context
from zhicheng_common.paging import Paging
from zhicheng_common.pii import PiiCipher
from zhicheng_common.problems import problem_docs
from zhicheng_common.validators import RegionCode
from zhicheng_integrity import service
from zhicheng_integrity.auth import Appellant, RecordAdmin, RecordReader, SubjectCaller
from zhicheng_integrity.domain import RecordKind, RecordStatus, SubjectKind
from zhicheng_integrity.models import Record
from zhicheng_integrity.schemas import (
    AppealCreate,
    AppealDecision,
    AppealRead,
    RecordChangeRead,
    RecordCreate,
    RecordDecision,
    RecordDetail,
    RecordPage,
    RecordRead,
    SubjectQuery,
)
from zhicheng_integrity.settings import AREA

ContextDep = Annotated[service.IntegrityContext, Depends(service_context)]


async def _cipher(context: ContextDep) -> PiiCipher:
    return context.cipher


async def _now(context: ContextDep) -> datetime:
    return context.clock.now()


CipherDep = Annotated[PiiCipher, Depends(_cipher)]
NowDep = Annotated[datetime, Depends(_now)]


def _reads(records: Sequence[Record]) -> list[RecordRead]:
    return [RecordRead.model_validate(record) for record in records]


router = APIRouter(prefix=f"/{AREA}", tags=["integrity"])


@router.post(
    "/records",
    status_code=201,
    summary="录入诚信记录 (hr_admin, province_admin)",
    responses=problem_docs(
        {
            400: "对象、类型与处理措施相互矛盾 (record_inconsistent)",
            403: "不在管辖范围 (outside_jurisdiction)",
            409: "超过政策规定的记录期限 (rule_refused IN-2)",
        }
    ),
)
async def create_record(
    record_in: RecordCreate, session: SessionDep, principal: RecordAdmin, ctx: ContextDep
) -> RecordRead:
    """Enter a decided record; its effects are published at once (`integrity.record.decided`)."""
    record = await service.create_record(session, actor=principal, record_in=record_in, ctx=ctx)
    return RecordRead.model_validate(record)


@router.get("/records", summary="诚信记录列表 (records in my jurisdiction)")
async def list_records(
    session: SessionDep,
    principal: RecordReader,
    page: Paging,
    kind: RecordKind | None = None,
    region: Annotated[RegionCode | None, Query(description="GB/T 2260 code within your jurisdiction")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="year of the decision")] = None,
    status: RecordStatus | None = None,
    subject_kind: SubjectKind | None = None,
) -> RecordPage:
    """Records of the caller's jurisdiction by kind, region, year and status, newest first."""
    records, total = await service.list_records(
        session,
        actor=principal,
        kind=kind,
        region=region,
        year=year,
        status=status,
        subject_kind=subject_kind,
        limit=page.limit,
        offset=page.offset,
    )
    return RecordPage(items=_reads(records), total=total, limit=page.limit, offset=page.offset)


@router.post("/records/search", summary="按对象查询诚信记录 (records on one subject, staff)")
async def search_records(
    query: SubjectQuery, session: SessionDep, principal: RecordReader, cipher: CipherDep
) -> list[RecordRead]:
    """Records on one person or unit within the caller's jurisdiction (identifier in the body, never the URL)."""
    return _reads(await service.find_by_subject(session, actor=principal, query=query, cipher=cipher))


@router.post(
    "/my-records",
    summary="本人诚信记录 (my own records)",
    responses=problem_docs({403: "号码不是本账号绑定的身份，不透露是否有记录 (not_own_subject)"}),
)
async def my_records(
    query: SubjectQuery, session: SessionDep, principal: SubjectCaller, cipher: CipherDep
) -> list[RecordRead]:
    """The caller's own records: the number must be the identity bound to the caller's account (403 otherwise)."""
    return _reads(await service.own_records(session, actor=principal, query=query, cipher=cipher))


@router.get(
    "/records/{record_id}",
    summary="查看诚信记录及其历史 (one record with appeals and history)",
    responses=problem_docs({403: "不在管辖范围 (outside_jurisdiction)", 404: "记录不存在 (record_not_found)"}),
)
async def read_record(record_id: uuid.UUID, session: SessionDep, principal: RecordReader) -> RecordDetail:
    """One record with its appeals and every change of status; 403 outside the caller's jurisdiction."""
    record, appeals, history = await service.get_record(session, actor=principal, record_id=record_id)
    return RecordDetail(
        **RecordRead.model_validate(record).model_dump(),
        appeals=[AppealRead.model_validate(a) for a in appeals],
        history=[RecordChangeRead.model_validate(c) for c in history],
    )


@router.post(
    "/records/{record_id}/decision",
    summary="对审核移交的记录作出决定 (decide a proposed record)",
    responses=problem_docs(
        {
            400: "对象、类型与处理措施相互矛盾，或证件号码不符 (record_inconsistent, subject_mismatch)",
            409: "记录不是待决定状态 (invalid_record_status)",
        }
    ),
)
async def decide_record(
    record_id: uuid.UUID, decision_in: RecordDecision, session: SessionDep, principal: RecordAdmin, ctx: ContextDep
) -> RecordRead:
    """Decide a record review proposed; its effects are published (`integrity.record.decided`)."""
    record = await service.decide_record(
        session, actor=principal, record_id=record_id, decision_in=decision_in, ctx=ctx
    )
    return RecordRead.model_validate(record)


@router.post(
    "/records/{record_id}/appeals",
    status_code=201,
    summary="申诉 (appeal a record: its subject, or HR staff for them)",
    responses=problem_docs(
        {
            403: "不是记录当事人 (not_record_subject)",
            409: "已有待处理申诉或记录状态不允许 (appeal_pending, invalid_record_status)",
        }
    ),
)
async def file_appeal(
    record_id: uuid.UUID, appeal_in: AppealCreate, session: SessionDep, principal: Appellant, ctx: ContextDep
) -> AppealRead:
    """Appeal a decided record; it is frozen until the appeal is decided."""
    appeal = await service.file_appeal(session, actor=principal, record_id=record_id, appeal_in=appeal_in, ctx=ctx)
    return AppealRead.model_validate(appeal)


@router.post(
    "/records/{record_id}/appeals/{appeal_id}/decision",
    summary="申诉处理 (uphold, change or withdraw)",
    responses=problem_docs(
        {
            403: "不在管辖范围 (outside_jurisdiction)",
            404: "申诉不存在 (appeal_not_found)",
            409: "申诉已处理或记录状态不允许 (invalid_record_status)",
        }
    ),
)
async def decide_appeal(
    record_id: uuid.UUID,
    appeal_id: uuid.UUID,
    decision_in: AppealDecision,
    session: SessionDep,
    principal: RecordAdmin,
    now: NowDep,
    cipher: CipherDep,
) -> AppealRead:
    """Decide an appeal: withdrawn or changed records lift their effects; history is kept."""
    appeal = await service.decide_appeal(
        session,
        actor=principal,
        record_id=record_id,
        appeal_id=appeal_id,
        decision_in=decision_in,
        now=now,
        cipher=cipher,
    )
    return AppealRead.model_validate(appeal)


routers: list[APIRouter] = [router, journal_router(AREA)]
