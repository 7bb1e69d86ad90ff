"""Use cases of the read model's routes: queries, statistics and exports. Every read of personal
data is journaled with the region of each record read; no HTTP routing and no commit here."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.auth import Principal
from zhicheng_common.journaling import RecordJournal, RecordRef
from zhicheng_common.validators import normalize_resident_id, resident_id_problem
from zhicheng_gateway.readmodel.domain import STAGES, chart, decode_cursor, encode_cursor, is_overdue, pass_rate
from zhicheng_gateway.readmodel.errors import BadQueryCursor, BadResidentId
from zhicheng_gateway.readmodel.models import RmCertificate, RmDeclaration
from zhicheng_gateway.readmodel.projection import ReadModelContext
from zhicheng_gateway.readmodel.repository import QueryRepository
from zhicheng_gateway.readmodel.schemas import (
    CertificateRead,
    Da1Row,
    DeclarationRead,
    StageDays,
    StageVisitRead,
    StatisticsRow,
)

CERTIFICATES = RecordJournal("certificate")
DECLARATIONS = RecordJournal("declaration")
INTEGRITY_RECORDS = RecordJournal("integrity_record")

#: The sorts of each list: name → the columns (the last one unique).
CERTIFICATE_SORTS: Mapping[str, tuple[Any, ...]] = {
    "obtained_on": (RmCertificate.obtained_on, RmCertificate.certificate_number),
    "issued_at": (RmCertificate.issued_at, RmCertificate.certificate_number),
    "certificate_number": (RmCertificate.certificate_number,),
}
DECLARATION_SORTS: Mapping[str, tuple[Any, ...]] = {
    "stage_since": (RmDeclaration.stage_since, RmDeclaration.declaration_id),
    "due": (RmDeclaration.due, RmDeclaration.declaration_id),
    "declaration_id": (RmDeclaration.declaration_id,),
}
DIMENSIONS = ("province", "city", "committee", "series", "level", "year")


@dataclass(frozen=True)
class Keyset:
    """Which page of a sorted list: after the row the cursor names."""

    sort: str
    descending: bool
    after: str | None
    limit: int

    @property
    def name(self) -> str:
        return f"{self.sort}:{'desc' if self.descending else 'asc'}"


def _after(page: Keyset, columns: Sequence[Any]) -> list[Any] | None:
    if page.after is None:
        return None
    values = decode_cursor(page.after, page.name)
    if values is None or len(values) != len(columns):
        raise BadQueryCursor(f"游标不属于按 {page.name} 排序的此列表")
    try:
        return [None if value is None else _parse(column, value) for column, value in zip(columns, values, strict=True)]
    except (TypeError, ValueError) as exc:
        raise BadQueryCursor("游标内容无效") from exc


def _parse(column: Any, value: Any) -> Any:
    kind = column.type.python_type
    if kind is uuid.UUID:
        return uuid.UUID(str(value))
    if kind is datetime:
        return datetime.fromisoformat(str(value))
    if kind is date:
        return date.fromisoformat(str(value))
    return kind(value)


def _cursor(page: Keyset, rows: Sequence[Any], columns: Sequence[Any]) -> str | None:
    if len(rows) < page.limit or not rows:
        return None
    last = rows[-1]
    return encode_cursor(page.name, [_plain(getattr(last, c.key)) for c in columns])


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


def holder_key(context: ReadModelContext, resident_id: str) -> str:
    """The keyed hash a resident ID number is searched by (exact match, GB 11643 checked first)."""
    problem = resident_id_problem(resident_id)
    if problem is not None:
        raise BadResidentId(problem)
    return context.cipher.keyed_hash(normalize_resident_id(resident_id))


async def certificates(
    session: AsyncSession,
    *,
    actor: Principal,
    context: ReadModelContext,
    filters: Mapping[str, Any],
    name: str | None,
    resident_id: str | None,
    page: Keyset,
) -> tuple[list[CertificateRead], str | None]:
    """Certificates within the caller's jurisdiction matching every filter given; the read journaled."""
    wanted = dict(filters)
    if resident_id is not None:
        wanted["holder_key"] = holder_key(context, resident_id)
    if name is not None:
        wanted["holder_name_key"] = context.cipher.keyed_hash(name)
    columns = CERTIFICATE_SORTS[page.sort]
    rows = await QueryRepository(session).certificates(
        actor, filters=wanted, sort=columns, after=_after(page, columns), descending=page.descending, limit=page.limit
    )
    if rows:
        await CERTIFICATES.read(
            session,
            [RecordRef(row.certificate_number, row.region) for row in rows],
            actor,
            "readmodel.certificates.queried",
        )
    items = [
        CertificateRead(
            certificate_number=row.certificate_number,
            region=row.region,
            holder_name=context.open(row.holder_name_sealed),
            series=row.series,
            specialty=row.specialty,
            level=row.level,
            title_name=row.title_name,
            committee_id=row.committee_id,
            year=row.year,
            obtained_on=row.obtained_on,
            issued_at=row.issued_at,
            basis=row.basis,
            status=row.status,
            status_at=row.status_at,
            declaration_id=row.declaration_id,
        )
        for row in rows
    ]
    return items, _cursor(page, rows, columns)


async def declarations(
    session: AsyncSession, *, actor: Principal, filters: Mapping[str, Any], today: date, page: Keyset
) -> tuple[list[DeclarationRead], str | None]:
    """Declarations within the caller's jurisdiction with their stages; the read journaled."""
    columns = DECLARATION_SORTS[page.sort]
    repo = QueryRepository(session)
    rows = await repo.declarations(
        actor,
        filters=filters,
        today=today,
        sort=columns,
        after=_after(page, columns),
        descending=page.descending,
        limit=page.limit,
    )
    visits: dict[uuid.UUID, list[StageVisitRead]] = {}
    for visit in await repo.visits_of([row.declaration_id for row in rows]):
        visits.setdefault(visit.declaration_id, []).append(
            StageVisitRead(
                stage=visit.stage,
                entered_on=visit.entered_on,
                left_on=visit.left_on,
                working_days=visit.working_days,
                due=visit.due,
            )
        )
    if rows:
        await DECLARATIONS.read(
            session,
            [RecordRef(row.declaration_id, row.region) for row in rows],
            actor,
            "readmodel.declarations.queried",
        )
    items = [
        DeclarationRead(
            declaration_id=row.declaration_id,
            region=row.region,
            year=row.year,
            series=row.series,
            specialty=row.specialty,
            level=row.level,
            committee_id=row.committee_id,
            employer_name=row.employer_name,
            stage=row.stage,
            stage_since=row.stage_since,
            due=row.due,
            overdue=is_overdue(row.stage, row.due, today),
            returned_count=row.returned_count,
            result=row.result,
            certificate_number=row.certificate_number,
            stages=visits.get(row.declaration_id, []),
        )
        for row in rows
    ]
    return items, _cursor(page, rows, columns)


async def integrity_records(
    session: AsyncSession,
    *,
    actor: Principal,
    context: ReadModelContext,
    resident_id: str | None,
    state: str | None,
    region: str | None,
) -> Sequence[Any]:
    """Integrity records within the caller's jurisdiction (of one person when a resident ID is given)."""
    subject_key = holder_key(context, resident_id) if resident_id is not None else None
    rows = await QueryRepository(session).integrity_records(actor, subject_key=subject_key, state=state, region=region)
    if rows:
        await INTEGRITY_RECORDS.read(
            session, [RecordRef(row.record_id, row.region) for row in rows], actor, "readmodel.integrity.queried"
        )
    return rows


# --- statistics -----------------------------------------------------------------------------------


async def statistics_rows(
    session: AsyncSession, *, actor: Principal, by: str, filters: Mapping[str, Any], today: date
) -> list[StatisticsRow]:
    """MT-5 per group of ``by``: declared, qualified, evaluated, passed, pass rate, stage working days, overdue."""
    repo = QueryRepository(session)
    counts = await repo.counts(actor, by=by, filters=filters, today=today)
    days = await repo.stage_days(actor, by=by, filters=filters)
    names = await repo.committee_names(list(counts)) if by == "committee" else {}
    rows = []
    for key in sorted(counts, key=lambda k: (k is None, str(k))):
        measured = counts[key]
        stage_days = days.get(key, {})
        rows.append(
            StatisticsRow(
                key=None if key is None else str(key),
                label=names.get(key, "未知" if key is None else str(key)),
                **measured,
                pass_rate=pass_rate(measured["passed"], measured["evaluated"]),
                stage_days={s: StageDays(**stage_days[s]) for s in STAGES if s in stage_days},
            )
        )
    return rows


def chart_of(by: str, rows: Sequence[StatisticsRow]) -> dict[str, Any]:
    return chart(by, [row.model_dump() | {"key": row.label} for row in rows])


# --- exports --------------------------------------------------------------------------------------


async def da1(
    session: AsyncSession,
    *,
    actor: Principal,
    context: ReadModelContext,
    year: int | None,
    region: str | None,
    after: str | None,
    limit: int,
) -> tuple[list[Da1Row], str | None]:
    """DA-1 rows of the certificates within the caller's jurisdiction, a page at a time; the read journaled."""
    rows = await QueryRepository(session).da1(actor, year=year, region=region, after=after, limit=limit)
    if rows:
        await CERTIFICATES.read(
            session, [RecordRef(c.certificate_number, c.region) for c, _ in rows], actor, "readmodel.da1.exported"
        )
    items = []
    for certificate, declaration in rows:
        holder = context.holder(declaration.holder_sealed if declaration else None)
        # Sealed JSON like the holder's: {"level", "major"} (submitted v3; none for a v2 declaration).
        education = context.holder(declaration.education_sealed if declaration else None)
        items.append(
            Da1Row(
                certificate_number=certificate.certificate_number,
                name=context.open(certificate.holder_name_sealed),
                gender=holder.get("gender"),
                highest_education=education.get("level"),
                major=education.get("major"),
                practiced_specialty=certificate.specialty,
                field=certificate.series,
                title=certificate.title_name,
                level=certificate.level,
                employer_name=declaration.employer_name if declaration else None,
                channel=declaration.channel if declaration else None,
                year=certificate.year,
                region=certificate.region,
            )
        )
    next_after = rows[-1][0].certificate_number if len(rows) == limit else None
    return items, next_after


#: The columns of the DA-1 workbook (职称信息采集表), in the order of the collection.
DA1_COLUMNS = (
    ("证书编号", "certificate_number"),
    ("姓名", "name"),
    ("性别", "gender"),
    ("最高学历", "highest_education"),
    ("所学专业", "major"),
    ("现从事专业", "practiced_specialty"),
    ("领域（系列）", "field"),
    ("职称", "title"),
    ("级别", "level"),
    ("工作单位", "employer_name"),
    ("申报渠道", "channel"),
    ("年度", "year"),
    ("地区", "region"),
)
#: Rows read per statement when the DA-1 workbook collects a whole year.
DA1_WORKBOOK_PAGE = 1000


async def da1_table(
    session: AsyncSession, *, actor: Principal, context: ReadModelContext, year: int, region: str | None
) -> list[dict[str, Any]]:
    """Every DA-1 row of a year within the caller's jurisdiction, for the workbook (read a page at a
    time, each page journaled as :func:`da1` does); the gender in Chinese as in the passed lists."""
    rows: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page, after = await da1(
            session, actor=actor, context=context, year=year, region=region, after=after, limit=DA1_WORKBOOK_PAGE
        )
        rows.extend(row.model_dump() | {"gender": GENDER.get(str(row.gender), "")} for row in page)
        if after is None:
            return rows


#: The columns of a passed list (评审通过人员名册), in the order the returns ask for them.
PASSED_COLUMNS = (
    ("序号", "index"),
    ("姓名", "name"),
    ("性别", "gender"),
    ("工作单位", "employer_name"),
    ("系列", "series"),
    ("专业", "specialty"),
    ("级别", "level"),
    ("资格名称", "title_name"),
    ("评审委员会", "committee_name"),
    ("确认文号", "document_number"),
    ("取得资格时间", "title_obtained_on"),
    ("证书编号", "certificate_number"),
)
GENDER = {"male": "男", "female": "女"}


async def passed_lists(
    session: AsyncSession,
    *,
    actor: Principal,
    context: ReadModelContext,
    year: int,
    committee_id: uuid.UUID | None,
    region: str | None,
) -> dict[str, list[dict[str, Any]]]:
    """The passed lists of a year, one per committee, in the prescribed columns; the read journaled."""
    rows = await QueryRepository(session).passed(actor, year=year, committee_id=committee_id, region=region)
    if rows:
        await DECLARATIONS.read(
            session, [RecordRef(r.declaration_id, r.region) for r, _, _ in rows], actor, "readmodel.passed.exported"
        )
    lists: dict[str, list[dict[str, Any]]] = {}
    for result, declaration, certificate in rows:
        holder = context.holder(declaration.holder_sealed if declaration else None)
        sheet = lists.setdefault(result.committee_name or str(result.committee_id), [])
        sheet.append(
            {
                "index": len(sheet) + 1,
                "name": context.open(result.applicant_name_sealed) or holder.get("name"),
                "gender": GENDER.get(str(holder.get("gender")), ""),
                "employer_name": declaration.employer_name if declaration else None,
                "series": result.series,
                "specialty": result.specialty,
                "level": result.level,
                "title_name": result.title_name,
                "committee_name": result.committee_name,
                "document_number": result.document_number,
                "title_obtained_on": result.title_obtained_on.isoformat(),
                "certificate_number": certificate.certificate_number if certificate else None,
            }
        )
    return lists


async def annual_report(
    session: AsyncSession, *, actor: Principal, year: int, region: str | None, today: date
) -> dict[str, Any]:
    """DA-2: the year's evaluation data in the prescribed groups (no personal data)."""
    filters = {"year": year, "region": region}
    by_committee = await statistics_rows(session, actor=actor, by="committee", filters=filters, today=today)
    by_series = await statistics_rows(session, actor=actor, by="series", filters=filters, today=today)
    by_level = await statistics_rows(session, actor=actor, by="level", filters=filters, today=today)
    totals = {
        name: sum(getattr(row, name) for row in by_level) for name in ("declared", "qualified", "evaluated", "passed")
    }
    totals["pass_rate"] = pass_rate(totals["passed"], totals["evaluated"])
    certificates = [
        dict(row) for row in await QueryRepository(session).certificate_counts(actor, year=year, region=region)
    ]
    return {
        "year": year,
        "region": region or actor.region,
        "totals": totals,
        "by_committee": by_committee,
        "by_series": by_series,
        "by_level": by_level,
        "certificates": certificates,
    }
