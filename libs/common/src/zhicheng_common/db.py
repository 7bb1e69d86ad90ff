"""Database: one PostgreSQL schema per service, async SQLAlchemy, one unit of work per request.

Tables are declared without a schema; each service's engine maps them onto its own schema with
``schema_translate_map``, so the platform tables (outbox, inbox, journal) are declared once here
and land in every service's schema.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any

import asyncpg
from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    false,
    func,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Mapped, QueryableAttribute, mapped_column

from zhicheng_common.clock import Clock, SystemClock
from zhicheng_common.ids import uuid7
from zhicheng_common.regions import is_region_code, level_of

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    """Metadata for one service's tables: ``class Base(DeclarativeBase): metadata = new_metadata()``.

    Each service has its own, so importing two services in one process never mixes their tables.
    """
    return MetaData(naming_convention=NAMING_CONVENTION)


class UuidKey:
    """Model mixin: the primary key ``id``, a UUIDv7 (time-ordered, so inserts stay at the index's end)."""

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)


class CreatedAt:
    """Model mixin: ``created_at``, set by the database when the row is inserted."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def timestamp_column(name: str, *, nullable: bool = False, default_now: bool = True) -> Column[datetime]:
    return Column(name, DateTime(timezone=True), nullable=nullable, server_default=func.now() if default_now else None)


def define_platform_tables(metadata: MetaData) -> tuple[Table, Table, Table]:
    """Outbox, inbox and audit journal: the same three tables in every service's schema."""
    outbox = Table(
        "outbox",
        metadata,
        Column("seq", BigInteger, Identity(always=True), primary_key=True),
        Column("id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("subject", String(255), nullable=False),
        Column("type", String(255), nullable=False),
        Column("envelope", JSONB, nullable=False),
        timestamp_column("created_at"),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        timestamp_column("next_attempt_at"),
        timestamp_column("published_at", nullable=True, default_now=False),
        Column("last_error", Text, nullable=True),
        # The relay claims only what waits: a partial index keeps the claim cheap however many
        # published rows are still to be pruned.
        Index("ix_outbox_unpublished", "next_attempt_at", postgresql_where=text("published_at IS NULL")),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(128), primary_key=True),
        Column("event_id", UUID(as_uuid=True), primary_key=True),
        Column("type", String(255), nullable=False),
        timestamp_column("processed_at"),
    )
    journal = Table(
        "journal",
        metadata,
        # Insertion order (a request's entry gets it at once, with no lock); the chain position
        # ``seq`` and the hashes are set by the sequencer when it links the entry (audit.py).
        Column("id", BigInteger, Identity(always=True), primary_key=True),
        Column("seq", BigInteger, nullable=True, unique=True),
        Column("format", SmallInteger, nullable=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("actor", String(128), nullable=False),
        Column("role", String(64), nullable=False),
        Column("region", String(6), nullable=False),  # the actor's
        Column("record_region", String(6), nullable=True),  # the record's (NULL only in format 1)
        Column("action", String(128), nullable=False),
        Column("record_type", String(64), nullable=False),
        Column("record_id", String(128), nullable=False),
        Column("reason", Text, nullable=True),
        Column("rule_ids", JSONB, nullable=False),
        Column("policy_pack", String(64), nullable=True),
        Column("data", JSONB, nullable=False),
        Column("prev_hash", String(64), nullable=True),
        Column("hash", String(64), nullable=True),
        # The sequencer's work list: only entries not linked yet.
        Index("ix_journal_unlinked", "id", postgresql_where=text("seq IS NULL")),
    )
    define_event_order_tables(metadata)
    return outbox, inbox, journal


def define_event_order_tables(metadata: MetaData) -> tuple[Table, Table]:
    """Per-aggregate order of events (issue 10 §1), in every schema beside outbox and inbox.

    * ``outbox_versions``: the producer's counter per aggregate (the envelope's ``subject``); the
      event's ``aggregateversion`` is taken from it in the transaction that writes the event, so two
      transactions about one aggregate get their versions in commit order (the row lock waits).
    * ``inbox_versions``: the consumer's last applied version per (durable, aggregate); an event
      whose version is not newer is acknowledged without running its handler.
    """
    outbox_versions = Table(
        "outbox_versions",
        metadata,
        Column("aggregate", String(255), primary_key=True),
        Column("version", BigInteger, nullable=False),
    )
    inbox_versions = Table(
        "inbox_versions",
        metadata,
        Column("consumer", String(128), primary_key=True),
        Column("aggregate", String(255), primary_key=True),
        Column("version", BigInteger, nullable=False),
        timestamp_column("applied_at"),
    )
    return outbox_versions, inbox_versions


platform_metadata = new_metadata()
outbox_table, inbox_table, journal_table = define_platform_tables(platform_metadata)
outbox_versions_table = platform_metadata.tables["outbox_versions"]
inbox_versions_table = platform_metadata.tables["inbox_versions"]


def async_database_url(url: str) -> str:
    """Accept ``postgresql://`` or ``postgres://`` and return the asyncpg dialect URL."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def asyncpg_dsn(url: str) -> str:
    """The same database as a plain libpq DSN for asyncpg (LISTEN/NOTIFY, hot paths)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Database:
    """A service's engine and session factory, bound to its schema."""

    def __init__(
        self,
        url: str,
        schema: str,
        *,
        pool_size: int = 20,
        max_overflow: int = 0,
        echo: bool = False,
        clock: Clock | None = None,
    ) -> None:
        """
        Args:
            pool_size: connections kept open once opened. A pool of 10 with 10 overflow, as before,
                opened and closed a connection per request beyond the tenth (16 clients, plus the
                consumers, relay and sequencer): a new PostgreSQL backend and a TLS probe each time,
                about 5 % of intake's CPU on the submit path in a profile, plus the backend's start
                in PostgreSQL. The same 20 at most per process, now all kept.
            max_overflow: connections opened beyond ``pool_size`` and closed when returned.
        """
        self.url = async_database_url(url)
        self.schema = schema
        self.clock: Clock = clock or SystemClock()
        self.engine: AsyncEngine = create_async_engine(
            self.url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            # No pre-ping: it costs a round trip per request. A connection broken by a database
            # restart fails its request with a 503 problem and is dropped from the pool.
            pool_recycle=1800,
            echo=echo,
            # A statement's parameters are people's names, free text and ciphertexts: an error's
            # message (logged, dead-lettered) must not carry them (issue 12).
            hide_parameters=True,
            execution_options={"schema_translate_map": {None: schema}},
        )
        # Sessions carry the service's clock, so what they write (journal times) follows a test's
        # or a rehearsal's clock without every caller passing it.
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, info={"clock": self.clock})

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """One transaction: commits when the block ends normally, rolls back on any error."""
        async with self.sessionmaker() as session, session.begin():
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def region_within(column: QueryableAttribute[str] | ColumnElement[Any], region: str) -> ColumnElement[bool]:
    """SQL for ``region_contains(region, column)``: the rows of a jurisdiction, by code prefix.

    Every repository's ``readable_by(principal)`` filter is built on this one function.
    """
    if not is_region_code(region):
        return false()
    level = level_of(region)
    if level == "national":
        return true()
    if level == "province":
        return column.startswith(region[:2], autoescape=True)
    if level == "city":
        return column.startswith(region[:4], autoescape=True)
    return column == region


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under the session's transaction, for a hot path's statements.

    SQLAlchemy costs more CPU per statement (cache keys, compilation, result rows, the greenlet)
    than asyncpg's round trip does; a hot path may run its own SQL here, inside the same
    transaction (committed or rolled back with the unit of work). Tables are named with
    :func:`session_schema`. The driver begins its transaction lazily, at the first statement:
    begin it now when nothing ran yet, so these statements never run outside it.
    """
    async with driver_statements(session) as driver:
        return driver


@asynccontextmanager
async def driver_statements(session: AsyncSession | AsyncConnection) -> AsyncIterator[asyncpg.Connection]:
    """:func:`driver_connection` for a block of statements that fail as the session's own do
    (of a session's transaction, or of an ``engine.begin()`` connection's).

    An error of the driver inside the block is raised as SQLAlchemy raises it for a statement of the
    session: the DB-API translation wrapped in :class:`sqlalchemy.exc.DBAPIError`'s subclass
    (``OperationalError``, ``InterfaceError``, ``IntegrityError``, ...), so the handlers that map a
    lost connection to a 503 problem and a consumer's outage check see the same exceptions whether
    a statement ran through the ORM or here.
    """
    connection = await session.connection() if isinstance(session, AsyncSession) else session
    raw = await connection.get_raw_connection()
    adapted: Any = raw.dbapi_connection
    if adapted._transaction is None and adapted.isolation_level != "autocommit":
        try:
            await adapted._start_transaction()
        except adapted.dbapi.Error as translated:  # the adapter already translated the driver's error
            raise _wrapped(connection.dialect, translated, adapted) from translated
    driver: asyncpg.Connection = raw.driver_connection
    try:
        yield driver
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        try:
            adapted._handle_exception(error)  # raises the DB-API translation of the driver's error
        except adapted.dbapi.Error as translated:
            raise _wrapped(connection.dialect, translated, adapted) from error


def _wrapped(dialect: Any, translated: Exception, adapted: Any) -> BaseException:
    invalidated = bool(dialect.is_disconnect(translated, adapted, None))
    return DBAPIError.instance(
        None,
        None,
        translated,
        adapted.dbapi.Error,
        hide_parameters=True,
        connection_invalidated=invalidated,
        dialect=dialect,
    )


def session_schema(session: AsyncSession) -> str:
    """The service schema a session's engine maps its tables onto."""
    translate: dict[Any, str] = session.get_bind().get_execution_options().get("schema_translate_map") or {}
    schema = translate.get(None)
    if not schema:
        raise RuntimeError("the session's engine has no schema_translate_map; use zhicheng_common.db.Database")
    return schema


def json_safe(value: Any) -> Any:
    """Make ids and datetimes JSON-serializable for JSONB columns and hashing."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, date):  # datetimes too: datetime is a date
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value
