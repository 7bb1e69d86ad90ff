"""Every query of the review service. Jurisdiction filters live here (``readable_by``), never in routes."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, and_, false, func, or_, select, update
from sqlalchemy.dialects import postgresql

from zhicheng_common.audit import entry_insert
from zhicheng_common.auth import Principal, Role
from zhicheng_common.db import driver_connection, region_within, session_schema
from zhicheng_common.repository import Repository
from zhicheng_review.domain import ObjectionStatus, PublicityStatus, ReviewStatus
from zhicheng_review.models import Decision, Objection, Publicity, Reexamination, Review, StepVisit

# Roles that reach every review of their region. A unit reviewer reaches only its unit's reviews
# (``Principal.unit_key``), a committee office only its committees' (``Principal.committees``):
# issue 12. (A declaration names no department, so a department reviewer stays region-wide.)
REGION_WIDE_ROLES = (
    Role.DEPT_REVIEWER,
    Role.HR_REVIEWER,
    Role.SUPERVISOR,
    Role.HR_ADMIN,
    Role.PROVINCE_ADMIN,
    Role.AUDITOR,
)
BOUND_ROLES = (Role.UNIT_REVIEWER, Role.COMMITTEE_OFFICE)


def bound_to(principal: Principal, review: Review) -> bool:
    """Whether the caller's binding admits this review: region-wide roles always, a unit reviewer
    for its unit, a committee office for its committees (the region is checked separately)."""
    if principal.has_role(*REGION_WIDE_ROLES) or not principal.has_role(*BOUND_ROLES):
        return True
    if principal.has_role(Role.UNIT_REVIEWER) and principal.unit_key and principal.unit_key == review.unit_key:
        return True
    return principal.has_role(Role.COMMITTEE_OFFICE) and review.committee_id in principal.committee_ids()


class ReviewRepository(Repository):
    """Reviews, decisions, publicities, objections and re-examinations."""

    @staticmethod
    def readable_by(principal: Principal) -> ColumnElement[bool]:
        """Reviews within ``principal``'s jurisdiction and, for a unit reviewer or a committee office,
        its binding (an unbound one reaches none)."""
        within = region_within(Review.region, principal.region)
        if principal.has_role(*REGION_WIDE_ROLES) or not principal.has_role(*BOUND_ROLES):
            return within
        scopes: list[ColumnElement[bool]] = []
        if principal.has_role(Role.UNIT_REVIEWER) and principal.unit_key:
            scopes.append(Review.unit_key == principal.unit_key)
        committees = principal.committee_ids()
        if principal.has_role(Role.COMMITTEE_OFFICE) and committees:
            scopes.append(Review.committee_id.in_(committees))
        return and_(within, or_(*scopes)) if scopes else false()

    # --- reviews ---

    async def get(self, review_id: uuid.UUID, *, for_update: bool = False) -> Review | None:
        return await self.row(Review, review_id, for_update=for_update)

    async def start(self, review: Review, visit: StepVisit, entry: Mapping[str, Any]) -> bool:
        """Insert a new chain, its first step's visit and its journal entry in one statement on the
        driver (the consumer's hot path: one round trip, no ORM flush); nothing when the declaration
        already has a chain (``declaration_id`` is unique). Whether the chain was inserted.

        ``review`` and ``visit`` stay outside the session: the unit of work never writes them again.
        """
        schema_name = session_schema(self.session)
        schema = '"' + schema_name.replace('"', '""') + '"'
        review_columns, review_args = _insert_values(Review.__table__, review)  # type: ignore[arg-type]
        visit_columns, visit_args = _insert_values(StepVisit.__table__, visit)  # type: ignore[arg-type]
        n = len(review_args)
        review_values = ", ".join(f"${i}" for i in range(1, n + 1))
        visit_values = ", ".join(f"${i}::{_sql_type(column)}" for i, column in enumerate(visit_columns, n + 1))
        journaled, journal_args = entry_insert(schema_name, entry, first=n + len(visit_args) + 1, select_from="started")
        # Identifiers from the schema map and the tables' own column names, values as parameters.
        statement = (
            f"WITH started AS (INSERT INTO {schema}.reviews ({_names(review_columns)}) VALUES ({review_values}) "  # noqa: S608
            "ON CONFLICT (declaration_id) DO NOTHING RETURNING 1), "
            f"visited AS (INSERT INTO {schema}.step_visits ({_names(visit_columns)}) "
            f"SELECT {visit_values} FROM started), "
            f"journaled AS ({journaled}) "
            "SELECT count(*) FROM started"
        )
        inserted = await (await driver_connection(self.session)).fetchval(
            statement, *review_args, *visit_args, *journal_args
        )
        return bool(inserted)

    async def get_by_declaration(self, declaration_id: uuid.UUID, *, for_update: bool = False) -> Review | None:
        statement = select(Review).where(Review.declaration_id == declaration_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.scalars(statement)).first()

    async def queue(
        self, principal: Principal, *, step_keys: Sequence[str], limit: int, offset: int
    ) -> tuple[Sequence[Review], int]:
        """What waits at ``step_keys`` in the caller's jurisdiction, oldest first, and the total."""
        where = (
            self.readable_by(principal),
            Review.status.in_([ReviewStatus.IN_REVIEW, ReviewStatus.IN_PUBLICITY]),
            Review.step_key.in_(list(step_keys)),
        )
        total = (await self.session.scalar(select(func.count()).select_from(Review).where(*where))) or 0
        rows = await self.session.scalars(
            select(Review).where(*where).order_by(Review.step_since, Review.id).limit(limit).offset(offset)
        )
        return rows.all(), total

    async def try_claim(self, review_id: uuid.UUID, *, subject: str, at: datetime) -> bool:
        """Claim atomically: True for the one caller that found the review unclaimed."""
        result = await self.session.execute(
            update(Review)
            .where(Review.id == review_id, Review.claimed_by.is_(None))
            .values(claimed_by=subject, claimed_at=at)
            .returning(Review.id)
            .execution_options(synchronize_session=False)
        )
        return result.first() is not None

    async def reviews_in_publicity(self, publicity_id: uuid.UUID) -> Sequence[Review]:
        rows = await self.session.scalars(
            select(Review).where(Review.publicity_id == publicity_id).order_by(Review.id).with_for_update()
        )
        return rows.all()

    async def reviews_by_ids(self, review_ids: Sequence[uuid.UUID]) -> Sequence[Review]:
        rows = await self.session.scalars(
            select(Review).where(Review.id.in_(list(review_ids))).order_by(Review.id).with_for_update()
        )
        return rows.all()

    # --- step visits ---

    async def open_visit(self, review_id: uuid.UUID) -> StepVisit | None:
        rows = await self.session.scalars(
            select(StepVisit).where(StepVisit.review_id == review_id, StepVisit.left_on.is_(None))
        )
        return rows.first()

    async def open_visit_counts(self, principal: Principal, today: date) -> dict[str, tuple[int, int]]:
        """Per step, in SQL: the stays still open and those of them past their due day."""
        statement = (
            select(
                StepVisit.step_key,
                func.count(),
                func.count().filter(StepVisit.due_on.is_not(None), StepVisit.due_on < today),
            )
            .where(region_within(StepVisit.region, principal.region), StepVisit.left_on.is_(None))
            .group_by(StepVisit.step_key)
        )
        return {key: (int(waiting), int(overdue)) for key, waiting, overdue in await self.session.execute(statement)}

    async def closed_spans(self, principal: Principal) -> list[tuple[str, date, date, int]]:
        """Closed stays grouped in SQL by step and (arrival, departure) day: one row per distinct span.

        The working days of a span need the calendar, so they are counted per span, not per stay:
        the rows are bounded by the days of a year squared, not by the number of declarations.
        """
        statement = (
            select(StepVisit.step_key, StepVisit.arrived_on, StepVisit.left_on, func.count())
            .where(region_within(StepVisit.region, principal.region), StepVisit.left_on.is_not(None))
            .group_by(StepVisit.step_key, StepVisit.arrived_on, StepVisit.left_on)
        )
        rows = await self.session.execute(statement)
        return [(key, arrived, left, int(n)) for key, arrived, left, n in rows if left is not None]

    # --- decisions ---

    # --- deadlines counted through years whose holiday arrangement changed (issue 11 §5) ---
    # A deadline depends only on the days after its start up to its due day, so only rows whose
    # span meets [first, last] can move; they are locked, so a replica recomputing at the same
    # time waits and then finds nothing left to change.

    async def returned_touching(self, first: date, last: date) -> Sequence[Review]:
        return await self.locked(
            Review,
            Review.status == ReviewStatus.RETURNED,
            Review.returned_on.is_not(None),
            Review.returned_on < last,
            Review.correction_deadline >= first,
        )

    async def in_review_touching(self, first: date, last: date) -> Sequence[Review]:
        return await self.locked(
            Review,
            Review.status == ReviewStatus.IN_REVIEW,
            Review.step_due.is_not(None),
            Review.step_since < last,
            Review.step_due >= first,
        )

    async def open_publicities_touching(self, first: date, last: date) -> Sequence[Publicity]:
        return await self.locked(
            Publicity,
            Publicity.status == PublicityStatus.OPEN,
            Publicity.opened_on < last,
            Publicity.open_through >= first,
        )

    async def get_decision(self, decision_id: uuid.UUID) -> Decision | None:
        return await self.session.get(Decision, decision_id)

    async def decisions_of(self, review_id: uuid.UUID) -> Sequence[Decision]:
        rows = await self.session.scalars(
            select(Decision).where(Decision.review_id == review_id).order_by(Decision.decided_at, Decision.id)
        )
        return rows.all()

    # --- publicities and objections ---

    async def get_publicity(self, publicity_id: uuid.UUID, *, for_update: bool = False) -> Publicity | None:
        return await self.row(Publicity, publicity_id, for_update=for_update)

    async def publicity_by_token(self, token: str) -> Publicity | None:
        return (await self.session.scalars(select(Publicity).where(Publicity.token == token))).first()

    async def publicities_due(self, today: date) -> Sequence[Publicity]:
        """Open publicities whose last day has ended before ``today``; rows locked so replicas never
        close one twice."""
        rows = await self.session.scalars(
            select(Publicity)
            .where(Publicity.status == PublicityStatus.OPEN, Publicity.open_through < today)
            .order_by(Publicity.open_through, Publicity.id)
            .with_for_update(skip_locked=True)
        )
        return rows.all()

    async def count_open_objections(self, publicity_id: uuid.UUID) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(Objection)
            .where(Objection.publicity_id == publicity_id, Objection.status == ObjectionStatus.OPEN)
        )
        return count or 0

    async def objections_of(self, publicity_id: uuid.UUID) -> Sequence[Objection]:
        rows = await self.session.scalars(
            select(Objection).where(Objection.publicity_id == publicity_id).order_by(Objection.filed_at, Objection.id)
        )
        return rows.all()

    async def get_objection(self, objection_id: uuid.UUID, *, for_update: bool = False) -> Objection | None:
        return await self.row(Objection, objection_id, for_update=for_update)

    # --- re-examinations ---

    async def get_reexamination(self, reexamination_id: uuid.UUID, *, for_update: bool = False) -> Reexamination | None:
        return await self.row(Reexamination, reexamination_id, for_update=for_update)


def _insert_values(table: Table, row: object) -> tuple[list[Column[Any]], list[Any]]:
    """The columns of ``row`` (a mapped object not in a session) to insert, and their values: what
    the ORM's flush would send (a scalar default for an unset column; one with a server default
    left to the database)."""
    state: dict[str, Any] = row.__dict__
    columns: list[Column[Any]] = []
    values: list[Any] = []
    for column in table.columns:
        if column.key in state:
            value = state[column.key]
        elif column.default is not None and column.default.is_scalar:
            value = column.default.arg  # type: ignore[attr-defined]
        elif column.default is not None and column.default.is_callable:
            value = column.default.arg(None)  # type: ignore[attr-defined]
        elif column.server_default is not None:
            continue
        else:
            value = None
        columns.append(column)
        values.append(value)
    return columns, values


def _names(columns: Sequence[Column[Any]]) -> str:
    return ", ".join(f'"{column.name}"' for column in columns)


_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


@functools.cache
def _type_name(type_: Any) -> str:
    return str(type_.compile(dialect=_DIALECT))


def _sql_type(column: Column[Any]) -> str:
    return _type_name(column.type)
