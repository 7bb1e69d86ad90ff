"""Every query of intake. Jurisdiction filters live here (``readable_by``), never in routes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, func, inspect, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm.attributes import set_committed_value

from zhicheng_common.audit import entry_insert
from zhicheng_common.auth import Principal, Role
from zhicheng_common.db import driver_connection, region_within, session_schema
from zhicheng_common.repository import Repository
from zhicheng_intake.domain import (
    CommitteeScope,
    DeclarationWindow,
    EligibilityContext,
    HeldTitle,
    OtherDeclaration,
)
from zhicheng_intake.models import (
    Attachment,
    CommitteeProjection,
    Declaration,
    IdempotencyKey,
    IntegrityBar,
    PlanProjection,
    StatusChange,
    TitleHeld,
)

# Roles that read declarations of their whole jurisdiction.
CLERK_ROLES = (
    Role.UNIT_REVIEWER,
    Role.DEPT_REVIEWER,
    Role.HR_REVIEWER,
    Role.COMMITTEE_OFFICE,
    Role.HR_ADMIN,
    Role.PROVINCE_ADMIN,
    Role.AUDITOR,
)


# Clerk roles that read every declaration of their region. A unit reviewer reads only its unit's
# (``Principal.unit_key``), a committee office only its committees' (``Principal.committees``):
# issue 12. (A declaration names no department yet, so a department reviewer stays region-wide.)
REGION_WIDE_ROLES = (Role.DEPT_REVIEWER, Role.HR_REVIEWER, Role.HR_ADMIN, Role.PROVINCE_ADMIN, Role.AUDITOR)


def readable_by(principal: Principal) -> ColumnElement[bool]:
    """Declarations the caller may read: their own, and as a clerk those of their region and binding.

    A draft is its applicant's alone until submitted: no clerk sees it, whatever their jurisdiction.
    """
    own = Declaration.owner_subject == principal.subject
    within = region_within(Declaration.region, principal.region)
    scopes: list[ColumnElement[bool]] = []
    if principal.has_role(*REGION_WIDE_ROLES):
        scopes.append(within)
    if principal.has_role(Role.UNIT_REVIEWER) and principal.unit_key:
        scopes.append(and_(within, Declaration.unit_key == principal.unit_key))
    committees = principal.committee_ids()
    if principal.has_role(Role.COMMITTEE_OFFICE) and committees:
        scopes.append(and_(within, Declaration.committee_id.in_(committees)))
    if not scopes:
        return own
    return or_(own, and_(Declaration.status != "draft", or_(*scopes)))


def bound_to(principal: Principal, declaration: Declaration) -> bool:
    """Whether a clerk's binding (unit, committees) admits this declaration; region-wide roles always."""
    if principal.has_role(*REGION_WIDE_ROLES):
        return True
    if principal.has_role(Role.UNIT_REVIEWER) and principal.unit_key == declaration.unit_key:
        return True
    return principal.has_role(Role.COMMITTEE_OFFICE) and declaration.committee_id in principal.committee_ids()


class DeclarationRepository(Repository):
    async def get(self, declaration_id: uuid.UUID, *, for_update: bool = False) -> Declaration | None:
        return await self.row(Declaration, declaration_id, for_update=for_update)

    async def add_declaration(self, declaration: Declaration) -> None:
        self.session.add(declaration)
        await self.session.flush()

    async def add_status(self, change: StatusChange) -> None:
        self.session.add(change)
        await self.session.flush()

    async def move(
        self,
        row: Declaration,
        change: StatusChange,
        *,
        also: Mapping[str, Any] | None = None,
        entry: Mapping[str, Any] | None = None,
    ) -> None:
        """The declaration's new status (and ``also``, more of its columns), its history row and
        (``entry``, from :func:`zhicheng_common.audit.entry_values`) its journal entry, in one
        statement on the driver (the submit path's write; no ORM flush, one round trip).

        The loaded row takes the new values as committed ones, so the unit of work does not write
        them a second time.
        """
        values: dict[str, Any] = {"status": change.status, "updated_at": change.at, **(also or {})}
        columns = Declaration.__table__.c
        unknown = [name for name in values if name not in columns]
        if unknown:
            raise ValueError(f"not columns of declarations: {unknown}")
        schema_name = session_schema(self.session)
        schema = _quoted(schema_name)
        names = list(values)
        assignments = ", ".join(f'"{name}" = ${n}' for n, name in enumerate(names, 7))
        journaled, journal_args = "", list[Any]()
        if entry is not None:
            insert_entry, journal_args = entry_insert(schema_name, entry, first=7 + len(names))
            journaled = f", journaled AS ({insert_entry})"
        # Identifiers from the schema map and the table's own column names, values as parameters.
        statement = (
            f"WITH moved AS (UPDATE {schema}.declarations SET {assignments} WHERE id = $1){journaled} "  # noqa: S608
            f"INSERT INTO {schema}.declaration_status_changes (id, declaration_id, status, at, actor, reason) "
            "VALUES ($2, $1, $3, $4, $5, $6)"
        )
        await (await driver_connection(self.session)).execute(
            statement,
            row.id,
            change.id,
            change.status,
            change.at,
            change.actor,
            change.reason,
            *(values[name] for name in names),
            *journal_args,
        )
        for name in names:
            set_committed_value(row, name, values[name])

    async def owned_for_submit(self, declaration_id: uuid.UUID) -> Declaration | None:
        """The declaration locked ``FOR UPDATE`` and, in the same statement, its applicant's EL-11 lock.

        EL-11: one person's submissions of a year go one at a time. The transaction-scoped advisory
        lock on (applicant, year) makes a second submission of the same person wait here, so the
        eligibility context read in the next statement sees the first one committed. One round trip
        on the driver for what were two (the ORM's row and the lock); the row comes back as a
        :class:`Declaration` outside the session (the submit path writes it with :meth:`move`, never
        through the unit of work).
        """
        schema = _quoted(session_schema(self.session))
        record = await (await driver_connection(self.session)).fetchrow(
            f"SELECT d.*, pg_advisory_xact_lock(hashtextextended("  # noqa: S608 (schema from the engine's map)
            f"'intake.el11:' || d.applicant_key || ':' || d.year::text, 0)) IS NULL AS el11_locked "
            f"FROM {schema}.declarations d WHERE d.id = $1 FOR UPDATE OF d",
            declaration_id,
        )
        if record is None:
            return None
        mapper = inspect(Declaration)
        return Declaration(
            **{
                attr.key: _json(record[attr.columns[0].name])
                if attr.key in _DECLARATION_JSON
                else record[attr.columns[0].name]
                for attr in mapper.column_attrs
            }
        )

    async def history(self, declaration_id: uuid.UUID) -> Sequence[StatusChange]:
        statement = select(StatusChange).where(StatusChange.declaration_id == declaration_id).order_by(StatusChange.at)
        return (await self.session.scalars(statement)).all()

    async def page(
        self,
        principal: Principal,
        *,
        year: int | None,
        committee_id: uuid.UUID | None,
        status: str | None,
        unit_key: str | None,
        mine: bool,
        offset: int,
        limit: int,
    ) -> tuple[Sequence[Declaration], int]:
        conditions = [readable_by(principal)]
        if mine:
            conditions.append(Declaration.owner_subject == principal.subject)
        if year is not None:
            conditions.append(Declaration.year == year)
        if committee_id is not None:
            conditions.append(Declaration.committee_id == committee_id)
        if status is not None:
            conditions.append(Declaration.status == status)
        if unit_key is not None:
            conditions.append(Declaration.unit_key == unit_key)
        where = and_(*conditions)
        total = await self.session.scalar(select(func.count()).select_from(Declaration).where(where))
        rows = await self.session.scalars(
            select(Declaration).where(where).order_by(Declaration.created_at.desc()).offset(offset).limit(limit)
        )
        return rows.all(), int(total or 0)

    async def made_of_applicant(self, applicant_key: str, year: int, *, excluding: uuid.UUID) -> Sequence[Declaration]:
        """EL-11: the applicant's declarations of ``year`` past the draft (the domain decides which count)."""
        statement = select(Declaration).where(
            Declaration.applicant_key == applicant_key,
            Declaration.year == year,
            Declaration.status != "draft",
            Declaration.id != excluding,
        )
        return (await self.session.scalars(statement)).all()

    async def returned_past_deadline(self, today: date) -> Sequence[Declaration]:
        statement = (
            select(Declaration)
            .where(Declaration.status == "returned", Declaration.correction_deadline < today)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(statement)).all()

    async def idempotent(self, *, actor: str, operation: str, key: str) -> IdempotencyKey | None:
        statement = select(IdempotencyKey).where(
            IdempotencyKey.actor == actor, IdempotencyKey.operation == operation, IdempotencyKey.key == key
        )
        return (await self.session.scalars(statement)).first()

    async def claim_idempotency(
        self, *, actor: str, operation: str, key: str, request_hash: str, declaration_id: uuid.UUID
    ) -> bool:
        """Store the key; False when a concurrent request stored it first."""
        result = await self.session.execute(
            insert(IdempotencyKey)
            .values(
                id=uuid.uuid4(),
                actor=actor,
                operation=operation,
                key=key,
                request_hash=request_hash,
                declaration_id=declaration_id,
            )
            .on_conflict_do_nothing(constraint="uq_idempotency_keys_actor_operation_key")
            .returning(IdempotencyKey.id)
        )
        return result.first() is not None

    async def attachments(self, declaration_id: uuid.UUID) -> Sequence[Attachment]:
        statement = (
            select(Attachment).where(Attachment.declaration_id == declaration_id).order_by(Attachment.created_at)
        )
        return (await self.session.scalars(statement)).all()

    async def attachment(self, declaration_id: uuid.UUID, attachment_id: uuid.UUID) -> Attachment | None:
        statement = select(Attachment).where(
            Attachment.declaration_id == declaration_id, Attachment.id == attachment_id
        )
        found: Attachment | None = await self.session.scalar(statement)
        return found

    async def add_attachment(self, attachment: Attachment) -> None:
        self.session.add(attachment)
        await self.session.flush()

    async def export_page(
        self,
        principal: Principal,
        *,
        year: int | None,
        committee_id: uuid.UUID | None,
        after: uuid.UUID | None,
        limit: int,
    ) -> Sequence[Declaration]:
        """One page of the declarations made (not drafts) the caller may read, by id after ``after``.

        Keyset paging (issue 12): each page is one index range scan, however large the export;
        nothing loads the whole year into memory.
        """
        conditions = [readable_by(principal), Declaration.status != "draft"]
        if year is not None:
            conditions.append(Declaration.year == year)
        if committee_id is not None:
            conditions.append(Declaration.committee_id == committee_id)
        if after is not None:
            conditions.append(Declaration.id > after)
        statement = select(Declaration).where(*conditions).order_by(Declaration.id).limit(limit)
        return (await self.session.scalars(statement)).all()


class ProjectionRepository(Repository):
    """Committees, plans and integrity bars as intake keeps them from events."""

    async def committee(self, committee_id: uuid.UUID) -> CommitteeProjection | None:
        return await self.session.get(CommitteeProjection, committee_id)

    async def eligibility_context(
        self, *, committee_id: uuid.UUID, applicant_key: str, year: int, excluding: uuid.UUID, today: date
    ) -> EligibilityContext:
        """Everything the eligibility engine reads, in one statement on the driver (the submit path).

        The committee's filed scope and its declaration windows, the applicant's integrity bars in
        force ``today`` (EL-20), the applicant's other declarations of ``year`` past the draft
        (EL-11: the domain decides which count) and the titles the applicant holds by a valid
        certificate (EL-9, from certificates' events).
        """
        schema = _quoted(session_schema(self.session))
        row = await (await driver_connection(self.session)).fetchrow(
            f"""
            SELECT
              (SELECT row_to_json(c) FROM {schema}.committee_scopes c WHERE c.committee_id = $1) AS committee,
              (SELECT coalesce(json_agg(w ORDER BY w.declaration_opens), '[]'::json)
                 FROM {schema}.declaration_windows w WHERE w.committee_id = $1) AS windows,
              (SELECT coalesce(json_agg(b.record_id), '[]'::json) FROM {schema}.integrity_bars b
                WHERE b.subject_key = $2 AND b.active
                  AND (b.valid_from IS NULL OR b.valid_from <= $3)
                  AND (b.valid_until IS NULL OR b.valid_until >= $3)) AS bars,
              (SELECT coalesce(json_agg(json_build_object(
                        'id', o.id, 'year', o.year, 'series', o.series, 'specialty', o.specialty,
                        'level', o.level, 'kind', o.kind, 'status', o.status,
                        'withdrawn_before_review', o.withdrawn_before_review)), '[]'::json)
                 FROM {schema}.declarations o
                WHERE o.applicant_key = $2 AND o.year = $4 AND o.status <> 'draft' AND o.id <> $5) AS others,
              (SELECT coalesce(json_agg(json_build_object(
                        'certificate_number', t.certificate_number, 'series', t.series, 'level', t.level,
                        'title_name', t.title_name, 'obtained_on', t.obtained_on)
                        ORDER BY t.certificate_number), '[]'::json)
                 FROM {schema}.titles_held t WHERE t.holder_key = $2 AND t.status = 'valid') AS titles
            """,  # noqa: S608 (the schema from the engine's map; values as parameters)
            committee_id,
            applicant_key,
            today,
            year,
            excluding,
        )
        assert row is not None  # a SELECT without FROM answers one row
        committee = _json(row["committee"])
        scope = None
        windows: tuple[DeclarationWindow, ...] = ()
        if committee is not None:
            scope = CommitteeScope.from_json(committee)
            windows = tuple(DeclarationWindow.from_json(w) for w in _json(row["windows"]))
        return EligibilityContext(
            today=today,
            committee=scope,
            windows=windows,
            integrity_bars=tuple(str(b) for b in _json(row["bars"])),
            other_declarations=tuple(
                OtherDeclaration(
                    uuid.UUID(o["id"]),
                    o["year"],
                    o["series"],
                    o["specialty"],
                    o["level"],
                    o["kind"],
                    o["status"],
                    o["withdrawn_before_review"],
                )
                for o in _json(row["others"])
            ),
            titles_held=tuple(HeldTitle.from_json(t) for t in _json(row["titles"])),
        )

    async def committees(self) -> Sequence[CommitteeProjection]:
        return (await self.session.scalars(select(CommitteeProjection).order_by(CommitteeProjection.name))).all()

    async def windows(self, committee_ids: Sequence[uuid.UUID]) -> Sequence[PlanProjection]:
        statement = select(PlanProjection).where(PlanProjection.committee_id.in_(committee_ids))
        return (await self.session.scalars(statement.order_by(PlanProjection.declaration_opens))).all()

    async def upsert_committee(self, values: dict[str, object]) -> None:
        statement = insert(CommitteeProjection).values(**values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[CommitteeProjection.committee_id],
                set_={k: statement.excluded[k] for k in values if k != "committee_id"} | {"updated_at": func.now()},
            )
        )

    async def set_committee_status(self, committee_id: uuid.UUID, status: str) -> int:
        result = await self.session.execute(
            update(CommitteeProjection)
            .where(CommitteeProjection.committee_id == committee_id)
            .values(status=status, updated_at=func.now())
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def upsert_plan(self, values: dict[str, object]) -> None:
        statement = insert(PlanProjection).values(**values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[PlanProjection.plan_id],
                set_={k: statement.excluded[k] for k in values if k != "plan_id"} | {"updated_at": func.now()},
            )
        )

    async def upsert_bar(self, values: dict[str, object]) -> None:
        statement = insert(IntegrityBar).values(**values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[IntegrityBar.record_id],
                set_={k: statement.excluded[k] for k in values if k != "record_id"} | {"updated_at": func.now()},
            )
        )

    async def end_bar(self, record_id: uuid.UUID) -> None:
        await self.session.execute(
            update(IntegrityBar).where(IntegrityBar.record_id == record_id).values(active=False, updated_at=func.now())
        )

    async def active_bars(self, subject_key: str, on: date) -> Sequence[IntegrityBar]:
        statement = select(IntegrityBar).where(
            IntegrityBar.subject_key == subject_key,
            IntegrityBar.active.is_(True),
            or_(IntegrityBar.valid_from.is_(None), IntegrityBar.valid_from <= on),
            or_(IntegrityBar.valid_until.is_(None), IntegrityBar.valid_until >= on),
        )
        return (await self.session.scalars(statement)).all()


# Declarations' JSONB columns: the driver answers them as JSON text.
_DECLARATION_JSON = frozenset({"content", "correction_items", "corrected_fields"})


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _json(value: Any) -> Any:
    """A ``json`` value from the driver: decoded by the engine's codec, or text on a bare connection."""
    return json.loads(value) if isinstance(value, str) else value


class TitlesHeldRepository(Repository):
    """Titles held by certificate, as certificates' events tell them (issued, revoked, superseded)."""

    async def issued(self, data: dict[str, Any]) -> None:
        values = {
            "certificate_number": data["certificate_number"],
            "holder_key": data["holder_key"],
            "series": data["series"],
            "level": data["level"],
            "title_name": data["title_name"],
            "obtained_on": date.fromisoformat(str(data["obtained_on"])),
            "region": data["region"],
            "status": "valid",
        }
        await self.session.execute(insert(TitleHeld).values(**values).on_conflict_do_nothing())

    async def set_status(self, certificate_number: str, status: str) -> bool:
        """Whether the certificate was known (an unknown one is parked by the consumer)."""
        result = await self.session.execute(
            update(TitleHeld)
            .where(TitleHeld.certificate_number == certificate_number)
            .values(status=status, updated_at=func.now())
            .returning(TitleHeld.certificate_number)
        )
        return result.first() is not None

    async def of(self, holder_key: str) -> list[TitleHeld]:
        """The titles a person holds now (valid certificates)."""
        rows = await self.session.scalars(
            select(TitleHeld).where(TitleHeld.holder_key == holder_key, TitleHeld.status == "valid")
        )
        return list(rows)
