"""Every query of the read model. Jurisdiction is in the SQL (``region_within``), never after it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import date
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Select,
    Table,
    Uuid,
    and_,
    any_,
    bindparam,
    func,
    literal,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, insert

from zhicheng_common.auth import Principal
from zhicheng_common.db import driver_connection, region_within, session_schema
from zhicheng_common.repository import Repository
from zhicheng_gateway.readmodel.domain import FINAL_STAGES, Visit
from zhicheng_gateway.readmodel.models import (
    AppliedEvent,
    RmCertificate,
    RmCommittee,
    RmDeclaration,
    RmIntegrityRecord,
    RmMeeting,
    RmResult,
    RmStageVisit,
)

#: Every writer of the live read model holds this lock for its transaction: the six durables take
#: turns (two producers' events about one declaration would otherwise deadlock on its rows), and a
#: rebuild's swap, taking it too, waits for the batch in flight and holds the next (docs/readmodel.md).
READ_MODEL_LOCK = 0x7A63726D6F64  # "zcrmod"
UUID_ARRAY = ARRAY(Uuid)
VISITS = cast(Table, RmStageVisit.__table__)
APPLIED = cast(Table, AppliedEvent.__table__)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _records(table: Table, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """The rows as tuples in the order of ``columns`` for COPY; JSONB values as their JSON text, as
    SQLAlchemy sends them (None as JSON null)."""
    values = itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    jsonb = [i for i, name in enumerate(columns) if isinstance(table.c[name].type, JSONB)]
    if not jsonb:
        return [values(row) for row in rows]
    records = [list(values(row)) for row in rows]
    for record in records:
        for i in jsonb:
            record[i] = json.dumps(record[i])
    return [tuple(record) for record in records]


class ProjectionRepository(Repository):
    """What the consumers write."""

    #: Declarations whose visits are to be recounted at the end of a batch (None: at once).
    deferred: set[uuid.UUID] | None = None

    def __init__(self, session: Any, *, buffered: bool = False) -> None:
        """``buffered`` (a rebuild's batch): upserts and visits are merged in memory and written in
        multi-row statements before the next read or at :meth:`flush_writes`, as if one by one."""
        super().__init__(session)
        self.buffered = buffered
        self._rows: dict[tuple[Any, Any], tuple[dict[str, Any], list[str], str]] = {}
        self._visits: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]] = {}
        #: A rebuild's copy of the visits it wrote, by declaration (it is their only writer): read
        #: from here instead of the database. Cleared by the rebuild when a batch rolls back.
        self.visit_cache: dict[uuid.UUID, list[Visit]] | None = None
        #: A rebuild's stage recount: :meth:`update_many` only stages the rows, and
        #: :meth:`apply_collected_updates` writes all of them in one statement per table.
        self.collected: dict[Table, tuple[tuple[str, ...], tuple[str, ...]]] | None = None

    async def flush_writes(self) -> None:
        """Write what :meth:`upsert` and :meth:`add_visit` buffered (a no-op when unbuffered): per
        table and shape of row, the rows are copied into a staging table and moved in one statement."""
        rows, visits = self._rows, self._visits
        self._rows, self._visits = {}, {}
        groups: dict[tuple[Any, str, tuple[str, ...], tuple[str, ...]], list[dict[str, Any]]] = {}
        for (model, _), (values, names, key) in rows.items():
            groups.setdefault((model, key, tuple(sorted(values)), tuple(sorted(names))), []).append(values)
        for (model, key, columns, updated), group in groups.items():
            # The rows are merged by key, so each key is once in a group: one statement for the
            # group does what one statement per row did.
            conflict = f"ON CONFLICT ({_quoted(key)}) " + (
                "DO UPDATE SET " + ", ".join(f"{_quoted(n)} = EXCLUDED.{_quoted(n)}" for n in updated)
                if updated
                else "DO NOTHING"
            )
            await self._insert_staged(model.__table__, columns, group, conflict)
        if visits:
            columns = tuple(next(iter(visits.values())))
            await self._insert_staged(VISITS, columns, list(visits.values()), "ON CONFLICT DO NOTHING")

    async def _copy_into_staging(
        self, table: Table, columns: tuple[str, ...], rows: Sequence[Mapping[str, Any]], *, name: str
    ) -> str:
        """COPY the rows into the temporary table ``name`` of the session's connection (made on first
        use like ``table``, without constraints); returns its quoted name. Its rows go at the end of
        each transaction (``ON COMMIT DELETE ROWS``): a temporary table is never vacuumed, so rows
        only deleted stayed in it as dead ones that every later scan read again (after a 1,000,000-
        event replay, each batch's ``DELETE … RETURNING`` scanned every row ever staged)."""
        stage = _quoted(name)
        driver = await driver_connection(self.session)
        await driver.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS "  # noqa: S608
            f"AS SELECT * FROM {self._name(table)} WITH NO DATA"
        )
        await driver.copy_records_to_table(
            name, schema_name="pg_temp", columns=columns, records=_records(table, columns, rows)
        )
        return f"pg_temp.{stage}"

    async def _stage(self, table: Table, columns: tuple[str, ...], rows: Sequence[Mapping[str, Any]]) -> str:
        """COPY the rows into ``table``'s staging twin; returns the ``WITH moved AS (DELETE … RETURNING …)``
        that takes them out again in the statement that uses them."""
        stage = await self._copy_into_staging(table, columns, rows, name=f"rm_stage_{table.name}")
        return f"WITH moved AS (DELETE FROM {stage} RETURNING {', '.join(map(_quoted, columns))}) "  # noqa: S608

    async def _insert_staged(
        self, table: Table, columns: tuple[str, ...], rows: Sequence[Mapping[str, Any]], conflict: str
    ) -> list[Any]:
        """``INSERT … SELECT`` the rows through the staging table, then ``conflict`` (and any ``RETURNING``)."""
        moved = await self._stage(table, columns, rows)
        names = ", ".join(map(_quoted, columns))
        sql = f"{moved}INSERT INTO {self._name(table)} ({names}) SELECT {names} FROM moved {conflict}"  # noqa: S608
        driver = await driver_connection(self.session)
        return list(await driver.fetch(sql))

    def _name(self, table: Table) -> str:
        return f"{_quoted(session_schema(self.session))}.{_quoted(table.name)}"

    async def hold_lock(self) -> None:
        await self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": READ_MODEL_LOCK})

    async def claim(self, event_id: uuid.UUID, producer: str) -> bool:
        """Record the event as applied here; False when these tables hold it already."""
        statement = (
            insert(AppliedEvent)
            .values(event_id=event_id, producer=producer)
            .on_conflict_do_nothing()
            .returning(AppliedEvent.event_id)
        )
        return (await self.session.execute(statement)).first() is not None

    async def claim_many(self, events: Sequence[tuple[uuid.UUID, str]]) -> set[uuid.UUID]:
        """:meth:`claim` for a batch: the ids these tables did not hold yet (through the staging table)."""
        if not events:
            return set()
        rows = [{"event_id": event_id, "producer": producer} for event_id, producer in dict(events).items()]
        claimed = await self._insert_staged(
            APPLIED, ("event_id", "producer"), rows, "ON CONFLICT DO NOTHING RETURNING event_id"
        )
        return {row[0] for row in claimed}

    async def update_many(self, model: Any, rows: Sequence[Mapping[str, Any]]) -> None:
        """Update rows by primary key: one Core statement run for every row (executemany), or, for a
        rebuild (``buffered``), one ``UPDATE … FROM`` the rows copied into the staging table (a key
        given twice gets its last row, as the statements one after the other would leave it)."""
        await self.flush_writes()
        if not rows:
            return
        table = model.__table__
        keys = [column.name for column in table.primary_key.columns]
        names = [name for name in rows[0] if name not in keys]
        if self.buffered and self.collected is not None:
            # Rows of disjoint declarations from call to call (the recount's chunks), so a key is
            # staged once: the single UPDATE later cannot meet it twice.
            last = {tuple(row[name] for name in keys): row for row in rows}
            known = self.collected.setdefault(table, (tuple(keys), tuple(names)))
            assert known == (tuple(keys), tuple(names)), f"{table.name}: staged with other columns before"
            await self._copy_into_staging(table, (*keys, *names), list(last.values()), name=f"rm_recount_{table.name}")
            return
        if self.buffered:
            last = {tuple(row[name] for name in keys): row for row in rows}
            moved = await self._stage(table, (*keys, *names), list(last.values()))
            sql = (
                f"{moved}UPDATE {self._name(table)} AS t "  # noqa: S608 - names from the models
                f"SET {', '.join(f'{_quoted(n)} = moved.{_quoted(n)}' for n in names)} FROM moved "
                f"WHERE {' AND '.join(f't.{_quoted(k)} = moved.{_quoted(k)}' for k in keys)}"
            )
            await (await driver_connection(self.session)).execute(sql)
            return
        statement = (
            update(table)
            .where(and_(*(table.c[name] == bindparam(f"k_{name}") for name in keys)))
            .values({name: bindparam(f"v_{name}") for name in names})
        )
        params = [{**{f"k_{n}": row[n] for n in keys}, **{f"v_{n}": row[n] for n in names}} for row in rows]
        await self.session.execute(statement, params)

    async def apply_collected_updates(self) -> None:
        """Write every row :meth:`update_many` staged for the recount: per table one ``UPDATE … FROM``
        the staging table, its statistics taken first. Row by row, each chunk's ``UPDATE … FROM``
        was planned as a hash join over the whole table (the staging table's row count unknown to
        the planner): a scan of every visit for every 2,000 declarations."""
        collected, self.collected = self.collected or {}, None
        driver = await driver_connection(self.session)
        for table, (keys, names) in collected.items():
            stage = f"pg_temp.{_quoted(f'rm_recount_{table.name}')}"
            await driver.execute(f"ANALYZE {stage}")
            await driver.execute(
                f"UPDATE {self._name(table)} AS t "  # noqa: S608 - names from the models
                f"SET {', '.join(f'{_quoted(n)} = s.{_quoted(n)}' for n in names)} FROM {stage} AS s "
                f"WHERE {' AND '.join(f't.{_quoted(k)} = s.{_quoted(k)}' for k in keys)}"
            )
            await driver.execute(f"TRUNCATE {stage}")

    async def upsert(self, model: Any, key: str, values: Mapping[str, Any], *, update_keys: Sequence[str]) -> None:
        """Insert ``values``; on a known key, set only ``update_keys`` (what this event knows)."""
        if not self.buffered:
            await self._upsert_rows(model, key, [dict(values)], tuple(update_keys))
            return
        known = self._rows.get((model, values[key]))
        if known is None:
            self._rows[(model, values[key])] = (dict(values), list(update_keys), key)
            return
        # Later in the batch: what a second statement would have done to the row the first wrote.
        merged, keys, _ = known
        for name in update_keys:
            merged[name] = values[name]
            if name not in keys:
                keys.append(name)

    async def _upsert_rows(
        self, model: Any, key: str, rows: Sequence[Mapping[str, Any]], update_keys: Sequence[str]
    ) -> None:
        # One Core statement run for every row (executemany): compiled once, cached by its shape.
        statement = insert(model.__table__)
        updates = {name: statement.excluded[name] for name in update_keys}
        if updates:
            statement = statement.on_conflict_do_update(index_elements=[key], set_=updates)
        else:
            statement = statement.on_conflict_do_nothing(index_elements=[key])
        await self.session.execute(statement, [dict(row) for row in rows])

    async def set_values(self, model: Any, key: Any, value: Any, values: Mapping[str, Any]) -> int:
        await self.flush_writes()
        result = await self.session.execute(update(model).where(key == value).values(**values))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def add_visit(self, visit: Visit, declaration_id: uuid.UUID) -> None:
        row = {
            "event_id": visit.event_id,
            "declaration_id": declaration_id,
            "stage": visit.stage,
            "entered_at": visit.entered_at,
            "entered_on": visit.entered_on,
            "due": visit.due,
        }
        if self.visit_cache is not None and declaration_id in self.visit_cache:
            cached = self.visit_cache[declaration_id]
            if all(v.event_id != visit.event_id for v in cached):
                cached.append(visit)
        if self.buffered:
            self._visits.setdefault((visit.event_id, declaration_id), row)
            return
        await self.session.execute(insert(RmStageVisit).values(**row).on_conflict_do_nothing())

    async def visits_of(self, declaration_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[Visit]]:
        cache = self.visit_cache
        if cache is not None:
            found = {d: list(cache[d]) for d in declaration_ids if d in cache}
            missing = [d for d in declaration_ids if d not in cache]
            read = await self._visits_in_database(missing) if missing else {}
            return found | read
        return await self._visits_in_database(declaration_ids)

    async def _visits_in_database(self, declaration_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[Visit]]:
        await self.flush_writes()
        rows = (
            await self.session.execute(
                select(
                    RmStageVisit.declaration_id,
                    RmStageVisit.event_id,
                    RmStageVisit.stage,
                    RmStageVisit.entered_at,
                    RmStageVisit.entered_on,
                    RmStageVisit.due,
                    RmStageVisit.left_on,
                    RmStageVisit.working_days,
                ).where(RmStageVisit.declaration_id == any_(bindparam("ids", list(declaration_ids), type_=UUID_ARRAY)))
            )
        ).all()
        grouped: dict[uuid.UUID, list[Visit]] = {}
        for row in rows:
            grouped.setdefault(row[0], []).append(Visit(row[1], row[2], row[3], row[4], row[5], row[6], row[7]))
        return grouped

    async def set_due_of_latest(self, declaration_id: uuid.UUID, stages: Sequence[str], due: date) -> None:
        await self.flush_writes()
        if self.visit_cache is not None and declaration_id in self.visit_cache:
            cached = self.visit_cache[declaration_id]
            matching = [i for i, v in enumerate(cached) if v.stage in stages]
            if matching:
                index = max(matching, key=lambda i: (cached[i].entered_at, cached[i].event_id))
                cached[index] = replace(cached[index], due=due)
        latest = (
            select(RmStageVisit.event_id)
            .where(RmStageVisit.declaration_id == declaration_id, RmStageVisit.stage.in_(list(stages)))
            .order_by(RmStageVisit.entered_at.desc(), RmStageVisit.event_id.desc())
            .limit(1)
            .scalar_subquery()
        )
        await self.session.execute(
            update(RmStageVisit)
            .where(RmStageVisit.declaration_id == declaration_id, RmStageVisit.event_id == latest)
            .values(due=due)
        )

    async def exists(self, model: Any, key: Any, value: Any) -> bool:
        await self.flush_writes()
        return (await self.session.scalar(select(literal(1)).select_from(model).where(key == value))) is not None


def _within(column: Any, principal: Principal, region: str | None) -> list[ColumnElement[bool]]:
    """The caller's jurisdiction, narrowed to ``region`` when asked (a region outside it matches nothing)."""
    conditions = [region_within(column, principal.region)]
    if region:
        conditions.append(region_within(column, region))
    return conditions


def keyset(
    statement: Select[Any], columns: Sequence[Any], after: Sequence[Any] | None, *, descending: bool
) -> Select[Any]:
    """Order by ``columns`` (the last one unique) and start after the row ``after`` names."""
    if after is not None:
        row = tuple_(*columns)
        start = tuple_(*(literal(v, type_=c.type) for c, v in zip(columns, after, strict=True)))
        statement = statement.where(row < start if descending else row > start)
    return statement.order_by(*(c.desc() if descending else c.asc() for c in columns))


class QueryRepository(Repository):
    """What the query, statistics and export routes read: only rows within the caller's jurisdiction."""

    async def certificates(
        self,
        principal: Principal,
        *,
        filters: Mapping[str, Any],
        sort: Sequence[Any],
        after: Sequence[Any] | None,
        descending: bool,
        limit: int,
    ) -> Sequence[RmCertificate]:
        c = RmCertificate
        conditions = _within(c.region, principal, filters.get("region"))
        for name in ("certificate_number", "holder_key", "holder_name_key", "series", "specialty", "level"):
            if filters.get(name) is not None:
                conditions.append(getattr(c, name) == filters[name])
        for name in ("year", "committee_id", "status"):
            if filters.get(name) is not None:
                conditions.append(getattr(c, name) == filters[name])
        statement = keyset(select(c).where(and_(*conditions)), sort, after, descending=descending).limit(limit)
        return (await self.session.scalars(statement)).all()

    async def declarations(
        self,
        principal: Principal,
        *,
        filters: Mapping[str, Any],
        today: date,
        sort: Sequence[Any],
        after: Sequence[Any] | None,
        descending: bool,
        limit: int,
    ) -> Sequence[RmDeclaration]:
        d = RmDeclaration
        conditions = _within(d.region, principal, filters.get("region"))
        for name in ("stage", "committee_id", "year", "series", "level"):
            if filters.get(name) is not None:
                conditions.append(getattr(d, name) == filters[name])
        overdue = filters.get("overdue")
        if overdue is not None:
            late = and_(d.due.is_not(None), d.due < today, d.stage.not_in(sorted(FINAL_STAGES)))
            conditions.append(late if overdue else ~late)
        statement = keyset(select(d).where(and_(*conditions)), sort, after, descending=descending).limit(limit)
        return (await self.session.scalars(statement)).all()

    async def visits_of(self, declaration_ids: Sequence[uuid.UUID]) -> Sequence[RmStageVisit]:
        if not declaration_ids:
            return []
        statement = (
            select(RmStageVisit)
            .where(RmStageVisit.declaration_id.in_(list(declaration_ids)))
            .order_by(RmStageVisit.declaration_id, RmStageVisit.entered_at, RmStageVisit.event_id)
        )
        return (await self.session.scalars(statement)).all()

    async def committees(self, principal: Principal, *, region: str | None) -> Sequence[RmCommittee]:
        statement = (
            select(RmCommittee)
            .where(and_(*_within(RmCommittee.region, principal, region)))
            .order_by(RmCommittee.name, RmCommittee.committee_id)
        )
        return (await self.session.scalars(statement)).all()

    async def meetings(
        self, principal: Principal, *, region: str | None, committee_id: uuid.UUID | None
    ) -> Sequence[RmMeeting]:
        conditions = _within(RmMeeting.region, principal, region)
        if committee_id is not None:
            conditions.append(RmMeeting.committee_id == committee_id)
        statement = (
            select(RmMeeting).where(and_(*conditions)).order_by(RmMeeting.meeting_date.desc(), RmMeeting.meeting_id)
        )
        return (await self.session.scalars(statement)).all()

    async def integrity_records(
        self, principal: Principal, *, subject_key: str | None, state: str | None, region: str | None
    ) -> Sequence[RmIntegrityRecord]:
        r = RmIntegrityRecord
        conditions = _within(r.region, principal, region)
        if subject_key is not None:
            conditions.append(r.subject_key == subject_key)
        if state is not None:
            conditions.append(r.state == state)
        statement = select(r).where(and_(*conditions)).order_by(r.valid_from.desc(), r.record_id).limit(500)
        return (await self.session.scalars(statement)).all()

    # --- statistics -------------------------------------------------------------------------

    @staticmethod
    def dimension(model: Any, name: str) -> Any:
        if name == "province":
            return func.substr(model.region, 1, 2) + "0000"
        if name == "city":
            return func.substr(model.region, 1, 4) + "00"
        return getattr(model, {"committee": "committee_id"}.get(name, name))

    async def counts(
        self, principal: Principal, *, by: str, filters: Mapping[str, Any], today: date
    ) -> dict[Any, dict[str, int]]:
        """declared, qualified, evaluated, passed and overdue per group of declarations."""
        d = RmDeclaration
        key = self.dimension(d, by).label("key")
        late = and_(d.due.is_not(None), d.due < today, d.stage.not_in(sorted(FINAL_STAGES)))
        statement = (
            select(
                key,
                func.count().label("declared"),
                func.count().filter(d.qualified).label("qualified"),
                func.count().filter(d.result.is_not(None)).label("evaluated"),
                func.count().filter(d.result == "passed").label("passed"),
                func.count().filter(late).label("overdue"),
            )
            .where(and_(*self._filters(d, principal, filters)))
            .group_by(key)
        )
        rows = (await self.session.execute(statement)).mappings().all()
        return {
            row["key"]: {k: int(row[k]) for k in ("declared", "qualified", "evaluated", "passed", "overdue")}
            for row in rows
        }

    async def stage_days(
        self, principal: Principal, *, by: str, filters: Mapping[str, Any]
    ) -> dict[Any, dict[str, dict[str, float | None]]]:
        """Median and p90 working days of each stage's closed visits, per group."""
        d, v = RmDeclaration, RmStageVisit
        key = self.dimension(d, by).label("key")
        statement = (
            select(
                key,
                v.stage,
                func.percentile_cont(0.5).within_group(v.working_days).label("median"),
                func.percentile_cont(0.9).within_group(v.working_days).label("p90"),
            )
            .join(d, d.declaration_id == v.declaration_id)
            .where(v.working_days.is_not(None), *self._filters(d, principal, filters))
            .group_by(key, v.stage)
        )
        out: dict[Any, dict[str, dict[str, float | None]]] = {}
        for row in (await self.session.execute(statement)).mappings():
            out.setdefault(row["key"], {})[row["stage"]] = {
                "median": None if row["median"] is None else float(row["median"]),
                "p90": None if row["p90"] is None else float(row["p90"]),
            }
        return out

    @staticmethod
    def _filters(d: Any, principal: Principal, filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
        conditions = _within(d.region, principal, filters.get("region"))
        for name in ("year", "series", "level", "committee_id"):
            if filters.get(name) is not None:
                conditions.append(getattr(d, name) == filters[name])
        return conditions

    async def committee_names(self, ids: Sequence[Any]) -> dict[Any, str]:
        ids = [i for i in ids if i is not None]
        if not ids:
            return {}
        rows = await self.session.execute(
            select(RmCommittee.committee_id, RmCommittee.name).where(RmCommittee.committee_id.in_(ids))
        )
        return {row[0]: row[1] for row in rows}

    # --- exports -------------------------------------------------------------------------

    async def passed(
        self, principal: Principal, *, year: int, committee_id: uuid.UUID | None, region: str | None
    ) -> Sequence[tuple[RmResult, RmDeclaration | None, RmCertificate | None]]:
        r = RmResult
        conditions = [*_within(r.region, principal, region), r.year == year, r.passed]
        if committee_id is not None:
            conditions.append(r.committee_id == committee_id)
        statement = (
            select(r, RmDeclaration, RmCertificate)
            .outerjoin(RmDeclaration, RmDeclaration.declaration_id == r.declaration_id)
            .outerjoin(
                RmCertificate,
                and_(RmCertificate.declaration_id == r.declaration_id, RmCertificate.status != "superseded"),
            )
            .where(and_(*conditions))
            .order_by(r.committee_name, r.series, r.level, r.declaration_id)
        )
        return [(row[0], row[1], row[2]) for row in (await self.session.execute(statement)).all()]

    async def da1(
        self, principal: Principal, *, year: int | None, region: str | None, after: str | None, limit: int
    ) -> Sequence[tuple[RmCertificate, RmDeclaration | None]]:
        c = RmCertificate
        conditions = _within(c.region, principal, region)
        if year is not None:
            conditions.append(c.year == year)
        if after is not None:
            conditions.append(c.certificate_number > after)
        statement = (
            select(c, RmDeclaration)
            .outerjoin(RmDeclaration, RmDeclaration.declaration_id == c.declaration_id)
            .where(and_(*conditions))
            .order_by(c.certificate_number)
            .limit(limit)
        )
        return [(row[0], row[1]) for row in (await self.session.execute(statement)).all()]

    async def certificate_counts(
        self, principal: Principal, *, year: int, region: str | None
    ) -> Sequence[Mapping[str, Any]]:
        c = RmCertificate
        statement = (
            select(
                c.series,
                c.level,
                func.count().label("issued"),
                func.count().filter(c.status == "revoked").label("revoked"),
            )
            .where(*_within(c.region, principal, region), c.year == year)
            .group_by(c.series, c.level)
            .order_by(c.series, c.level)
        )
        return [dict(row) for row in (await self.session.execute(statement)).mappings()]
