"""Routes of the province read model: queries, statistics and exports, for the staff who oversee
evaluation in their jurisdiction. Thin: the use cases are in ``service.py``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.api import SessionDep
from zhicheng_common.auth import Principal, Role, require_roles
from zhicheng_common.clock import china_today
from zhicheng_common.problems import problem_docs
from zhicheng_common.validators import RegionCode
from zhicheng_gateway.keys.auth import QueryKey
from zhicheng_gateway.readmodel import service
from zhicheng_gateway.readmodel.projection import ReadModelContext
from zhicheng_gateway.readmodel.repository import QueryRepository
from zhicheng_gateway.readmodel.schemas import (
    AnnualReport,
    CertificatePage,
    CommitteeList,
    CommitteeRead,
    Da1Page,
    DeclarationPage,
    IntegrityRecordList,
    IntegrityRecordRead,
    MeetingList,
    MeetingRead,
    Statistics,
)
from zhicheng_gateway.readmodel.service import DA1_COLUMNS, DIMENSIONS, PASSED_COLUMNS, Keyset
from zhicheng_gateway.readmodel.workbook import XLSX, da1_workbook, passed_workbook, statistics_workbook

#: Staff who oversee evaluation in their region: the same people who read its records.
ProvinceReader = Annotated[
    Principal, require_roles(Role.HR_REVIEWER, Role.SUPERVISOR, Role.HR_ADMIN, Role.PROVINCE_ADMIN, Role.AUDITOR)
]


async def _context(request: Request) -> ReadModelContext:
    context: ReadModelContext = request.app.state.readmodel
    return context


async def _today(request: Request) -> date:
    return china_today(request.app.state.clock.now())


Context = Annotated[ReadModelContext, Depends(_context)]
Today = Annotated[date, Depends(_today)]
Region = Annotated[RegionCode | None, Query(description="narrow to this region (within the caller's)")]
Year = Annotated[int | None, Query(ge=1990, le=2100)]
Limit = Annotated[int, Query(ge=1, le=200, description="items per page (1–200)")]
After = Annotated[str | None, Query(max_length=512, description="the next_cursor of the page before")]
Order = Annotated[Literal["asc", "desc"], Query(description="sort order")]
Text = Annotated[str | None, Query(max_length=128)]
XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "an xlsx workbook (Office Open XML)",
        "content": {XLSX: {"schema": {"type": "string", "format": "binary"}, "example": "PK\u0003\u0004…"}},
    }
}

router = APIRouter(prefix="/province", tags=["province"])
CURSOR = {400: "游标或公民身份号码无效 (bad_query_cursor, bad_resident_id)"}
#: What an API key's call may be refused for (docs/api-keys.md), beside the route's own problems.
KEY_PROBLEMS = {
    401: "API 密钥无效、已吊销或已轮换 (api_key_*)",
    403: "密钥没有 query 权限 (scope_required)",
    429: "超过配额 (quota_exceeded; Retry-After)",
}
KEY_DOCS = problem_docs(KEY_PROBLEMS)


@dataclass(frozen=True)
class CertificateQuery:
    filters: dict[str, Any]
    name: str | None
    resident_id: str | None
    page: Keyset


async def certificate_query(
    name: Annotated[str | None, Query(max_length=64, description="the holder's name, exact")] = None,
    resident_id: Annotated[
        str | None, Query(max_length=18, description="the holder's resident ID number, exact (by keyed hash)")
    ] = None,
    certificate_number: Annotated[str | None, Query(max_length=64)] = None,
    series: Text = None,
    specialty: Text = None,
    level: Text = None,
    year: Year = None,
    region: Region = None,
    committee_id: uuid.UUID | None = None,
    status: Annotated[Literal["valid", "revoked", "suspended", "superseded"] | None, Query()] = None,
    sort: Annotated[Literal["obtained_on", "issued_at", "certificate_number"], Query()] = "obtained_on",
    order: Order = "desc",
    after: After = None,
    limit: Limit = 50,
) -> CertificateQuery:
    filters = {
        "certificate_number": certificate_number,
        "series": series,
        "specialty": specialty,
        "level": level,
        "year": year,
        "region": region,
        "committee_id": committee_id,
        "status": status,
    }
    return CertificateQuery(filters, name, resident_id, Keyset(sort, order == "desc", after, limit))


CertificateQueryIn = Annotated[CertificateQuery, Depends(certificate_query)]


@router.get("/certificates", summary="证书查询 (read model; keyset pages)", responses=problem_docs(CURSOR))
async def query_certificates(
    session: SessionDep, principal: ProvinceReader, context: Context, query: CertificateQueryIn
) -> CertificatePage:
    """Certificates within the caller's jurisdiction matching every filter; each read is journaled."""
    items, cursor = await service.certificates(
        session,
        actor=principal,
        context=context,
        filters=query.filters,
        name=query.name,
        resident_id=query.resident_id,
        page=query.page,
    )
    return CertificatePage(items=items, next_cursor=cursor)


@router.get(
    "/agency/certificates",
    summary="证书查询 (API key with scope query; keyset pages)",
    responses=problem_docs({**CURSOR, **KEY_PROBLEMS}),
)
async def agency_certificates(
    session: SessionDep, principal: QueryKey, context: Context, query: CertificateQueryIn
) -> CertificatePage:
    """The same query for an agency's API key (scope ``query``), within the key's region; each read is
    journaled with the key as the reader."""
    items, cursor = await service.certificates(
        session,
        actor=principal,
        context=context,
        filters=query.filters,
        name=query.name,
        resident_id=query.resident_id,
        page=query.page,
    )
    return CertificatePage(items=items, next_cursor=cursor)


@router.get("/declarations", summary="申报查询 (stage, overdue; keyset pages)", responses=problem_docs(CURSOR))
async def query_declarations(
    session: SessionDep,
    principal: ProvinceReader,
    today: Today,
    stage: Text = None,
    overdue: bool | None = None,
    committee_id: uuid.UUID | None = None,
    region: Region = None,
    year: Year = None,
    series: Text = None,
    level: Text = None,
    sort: Annotated[Literal["stage_since", "due", "declaration_id"], Query()] = "stage_since",
    order: Order = "desc",
    after: After = None,
    limit: Limit = 50,
) -> DeclarationPage:
    """Declarations within the caller's jurisdiction, each with the working days of every stage (NA-14)."""
    filters = {
        "stage": stage,
        "overdue": overdue,
        "committee_id": committee_id,
        "region": region,
        "year": year,
        "series": series,
        "level": level,
    }
    items, cursor = await service.declarations(
        session, actor=principal, filters=filters, today=today, page=Keyset(sort, order == "desc", after, limit)
    )
    return DeclarationPage(items=items, next_cursor=cursor)


@router.get("/committees", summary="评审委员会 (read model)")
async def list_committees(session: SessionDep, principal: ProvinceReader, region: Region = None) -> CommitteeList:
    """Committees filed within the caller's jurisdiction, with their standing."""
    rows = await QueryRepository(session).committees(principal, region=region)
    return CommitteeList(items=[CommitteeRead.model_validate(r) for r in rows])


@router.get("/meetings", summary="评审会议 (read model)")
async def list_meetings(
    session: SessionDep, principal: ProvinceReader, region: Region = None, committee_id: uuid.UUID | None = None
) -> MeetingList:
    """Meetings within the caller's jurisdiction: filed, opened, closed, confirmed, publicized."""
    rows = await QueryRepository(session).meetings(principal, region=region, committee_id=committee_id)
    return MeetingList(items=[MeetingRead.model_validate(r) for r in rows])


@router.get(
    "/integrity-records",
    summary="诚信记录 (IN-2; read model)",
    responses=problem_docs({400: "公民身份号码无效 (bad_resident_id)"}),
)
async def list_integrity_records(
    session: SessionDep,
    principal: ProvinceReader,
    context: Context,
    resident_id: Annotated[str | None, Query(max_length=18, description="one person's, by keyed hash")] = None,
    state: Annotated[Literal["in_force", "expired", "withdrawn"] | None, Query()] = None,
    region: Region = None,
) -> IntegrityRecordList:
    """Integrity records within the caller's jurisdiction (the 500 latest); each read is journaled."""
    rows = await service.integrity_records(
        session, actor=principal, context=context, resident_id=resident_id, state=state, region=region
    )
    return IntegrityRecordList(items=[IntegrityRecordRead.model_validate(r) for r in rows])


DimensionName = Literal["province", "city", "committee", "series", "level", "year"]
Dimension = Annotated[DimensionName, Query()]


async def statistics_filters(
    year: Year = None,
    series: Text = None,
    level: Text = None,
    committee_id: uuid.UUID | None = None,
    region: Region = None,
) -> dict[str, Any]:
    return {"year": year, "series": series, "level": level, "committee_id": committee_id, "region": region}


StatisticsFilters = Annotated[dict[str, Any], Depends(statistics_filters)]


@dataclass(frozen=True)
class Da1Query:
    year: int | None
    region: str | None
    after: str | None
    limit: int


async def da1_query(
    year: Year = None,
    region: Region = None,
    after: Annotated[str | None, Query(max_length=64, description="the next_after of the page before")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> Da1Query:
    return Da1Query(year, region, after, limit)


@dataclass(frozen=True)
class YearQuery:
    """A year's export: the year (required), and optionally a committee and a region within the caller's."""

    year: int
    committee_id: uuid.UUID | None
    region: str | None


async def year_query(
    year: Annotated[int, Query(ge=1990, le=2100)], committee_id: uuid.UUID | None = None, region: Region = None
) -> YearQuery:
    return YearQuery(year, committee_id, region)


async def report_query(year: Annotated[int, Query(ge=1990, le=2100)], region: Region = None) -> YearQuery:
    return YearQuery(year, None, region)


Da1QueryIn = Annotated[Da1Query, Depends(da1_query)]
YearQueryIn = Annotated[YearQuery, Depends(year_query)]
ReportQueryIn = Annotated[YearQuery, Depends(report_query)]

# Each statistics and export route has a twin under ``/agency/`` for an API key with scope ``query``
# (docs/api-keys.md): the same answer, within the key's region, the call counted per key and every
# read of personal data journaled with the key as the reader. The bodies are shared below.


async def _statistics(
    session: AsyncSession, principal: Principal, today: date, by: DimensionName, filters: dict[str, Any]
) -> Statistics:
    rows = await service.statistics_rows(session, actor=principal, by=by, filters=filters, today=today)
    return Statistics(dimension=by, as_of=today, rows=rows, chart=service.chart_of(by, rows))


async def _statistics_xlsx(
    session: AsyncSession, principal: Principal, today: date, filters: dict[str, Any]
) -> Response:
    tables = {
        by: await service.statistics_rows(session, actor=principal, by=by, filters=filters, today=today)
        for by in DIMENSIONS
    }
    headers = {"Content-Disposition": 'attachment; filename="statistics.xlsx"'}
    return Response(statistics_workbook(tables), media_type=XLSX, headers=headers)


async def _da1(session: AsyncSession, principal: Principal, context: ReadModelContext, query: Da1Query) -> Da1Page:
    items, next_after = await service.da1(
        session,
        actor=principal,
        context=context,
        year=query.year,
        region=query.region,
        after=query.after,
        limit=query.limit,
    )
    return Da1Page(items=items, next_after=next_after)


async def _da1_xlsx(
    session: AsyncSession, principal: Principal, context: ReadModelContext, query: YearQuery
) -> Response:
    rows = await service.da1_table(session, actor=principal, context=context, year=query.year, region=query.region)
    headers = {"Content-Disposition": f'attachment; filename="da1-{query.year}.xlsx"'}
    return Response(da1_workbook(rows, DA1_COLUMNS), media_type=XLSX, headers=headers)


async def _passed(session: AsyncSession, principal: Principal, context: ReadModelContext, query: YearQuery) -> Response:
    lists = await service.passed_lists(
        session,
        actor=principal,
        context=context,
        year=query.year,
        committee_id=query.committee_id,
        region=query.region,
    )
    headers = {"Content-Disposition": f'attachment; filename="passed-{query.year}.xlsx"'}
    return Response(passed_workbook(lists, PASSED_COLUMNS), media_type=XLSX, headers=headers)


async def _annual_report(session: AsyncSession, principal: Principal, today: date, query: YearQuery) -> AnnualReport:
    report = await service.annual_report(session, actor=principal, year=query.year, region=query.region, today=today)
    return AnnualReport(**report)


@router.get("/statistics", summary="评审统计 (MT-5; chart-ready JSON)")
async def statistics(
    session: SessionDep, principal: ProvinceReader, today: Today, filters: StatisticsFilters, by: Dimension = "city"
) -> Statistics:
    """Declared, qualified, evaluated, passed, pass rate, median and p90 working days per stage and
    overdue counts, per group of ``by``, within the caller's jurisdiction."""
    return await _statistics(session, principal, today, by, filters)


@router.get("/agency/statistics", summary="评审统计 (API key with scope query; MT-5)", responses=KEY_DOCS)
async def agency_statistics(
    session: SessionDep, principal: QueryKey, today: Today, filters: StatisticsFilters, by: Dimension = "city"
) -> Statistics:
    """The statistics for an agency's API key (scope ``query``), within the key's region."""
    return await _statistics(session, principal, today, by, filters)


@router.get(
    "/statistics.xlsx", summary="评审统计工作簿 (xlsx with charts)", response_class=Response, responses=XLSX_RESPONSE
)
async def statistics_xlsx(
    session: SessionDep, principal: ProvinceReader, today: Today, filters: StatisticsFilters
) -> Response:
    """Every dimension's statistics as a sheet with its table and native charts."""
    return await _statistics_xlsx(session, principal, today, filters)


@router.get(
    "/agency/statistics.xlsx",
    summary="评审统计工作簿 (API key with scope query; xlsx)",
    response_class=Response,
    responses={**XLSX_RESPONSE, **KEY_DOCS},
)
async def agency_statistics_xlsx(
    session: SessionDep, principal: QueryKey, today: Today, filters: StatisticsFilters
) -> Response:
    """The statistics workbook for an agency's API key (scope ``query``), within the key's region."""
    return await _statistics_xlsx(session, principal, today, filters)


@router.get("/exports/da1", summary="DA-1 职称信息采集 (everyone; pages)")
async def export_da1(session: SessionDep, principal: ProvinceReader, context: Context, query: Da1QueryIn) -> Da1Page:
    """DA-1 rows of every certificate within the caller's jurisdiction (public units, enterprises,
    freelancers alike), ordered by certificate number; each read is journaled."""
    return await _da1(session, principal, context, query)


@router.get("/agency/exports/da1", summary="DA-1 职称信息采集 (API key with scope query; pages)", responses=KEY_DOCS)
async def agency_export_da1(session: SessionDep, principal: QueryKey, context: Context, query: Da1QueryIn) -> Da1Page:
    """DA-1 for an agency's API key (scope ``query``), within the key's region; each read is journaled
    with the key as the reader."""
    return await _da1(session, principal, context, query)


@router.get(
    "/exports/da1.xlsx",
    summary="DA-1 职称信息采集表 (a year; xlsx)",
    response_class=Response,
    responses=XLSX_RESPONSE,
)
async def export_da1_xlsx(
    session: SessionDep, principal: ProvinceReader, context: Context, query: ReportQueryIn
) -> Response:
    """The DA-1 rows of a year within the caller's jurisdiction on one sheet, in the collection's
    columns (education and major included); each read is journaled."""
    return await _da1_xlsx(session, principal, context, query)


@router.get(
    "/agency/exports/da1.xlsx",
    summary="DA-1 职称信息采集表 (API key with scope query; xlsx)",
    response_class=Response,
    responses={**XLSX_RESPONSE, **KEY_DOCS},
)
async def agency_export_da1_xlsx(
    session: SessionDep, principal: QueryKey, context: Context, query: ReportQueryIn
) -> Response:
    """The DA-1 workbook for an agency's API key (scope ``query``), within the key's region; each
    read is journaled with the key as the reader."""
    return await _da1_xlsx(session, principal, context, query)


@router.get(
    "/exports/passed.xlsx",
    summary="评审通过人员名册 (per year and committee; xlsx)",
    response_class=Response,
    responses=XLSX_RESPONSE,
)
async def export_passed(
    session: SessionDep, principal: ProvinceReader, context: Context, query: YearQueryIn
) -> Response:
    """The passed lists of a year, a sheet per committee, in the prescribed columns; the read is journaled."""
    return await _passed(session, principal, context, query)


@router.get(
    "/agency/exports/passed.xlsx",
    summary="评审通过人员名册 (API key with scope query; xlsx)",
    response_class=Response,
    responses={**XLSX_RESPONSE, **KEY_DOCS},
)
async def agency_export_passed(
    session: SessionDep, principal: QueryKey, context: Context, query: YearQueryIn
) -> Response:
    """The passed lists for an agency's API key (scope ``query``), within the key's region; the read
    is journaled with the key as the reader."""
    return await _passed(session, principal, context, query)


@router.get("/exports/annual-report", summary="DA-2 年度评审数据 (annual report)")
async def export_annual_report(
    session: SessionDep, principal: ProvinceReader, today: Today, query: ReportQueryIn
) -> AnnualReport:
    """DA-2: a year's evaluation data per committee, series and level, and its certificates (no personal data)."""
    return await _annual_report(session, principal, today, query)


@router.get("/agency/exports/annual-report", summary="DA-2 年度评审数据 (API key with scope query)", responses=KEY_DOCS)
async def agency_export_annual_report(
    session: SessionDep, principal: QueryKey, today: Today, query: ReportQueryIn
) -> AnnualReport:
    """DA-2 for an agency's API key (scope ``query``), within the key's region (no personal data)."""
    return await _annual_report(session, principal, today, query)


routers: list[APIRouter] = [router]
