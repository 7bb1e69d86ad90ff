"""Alembic per service: the shared ``env.py`` body, the platform tables, programmatic upgrade.

Each service keeps its own history in ``services/<name>/migrations`` with its version table in
its own schema. ``zhicheng migrate`` (and the test fixtures) call :func:`upgrade`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import BigInteger, Column, DateTime, MetaData, SmallInteger, String, Table, Text, pool, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from zhicheng_common.db import async_database_url, define_event_order_tables, define_platform_tables


def _journal_v1(metadata: MetaData) -> Table:
    """The journal as the first migration created it (seq as key, one lock per service).

    Frozen here: ``db.py`` declares today's journal, and the first migration must keep building
    the table the later journal migrations expect to alter.
    """
    return Table(
        "journal",
        metadata,
        Column("seq", BigInteger, primary_key=True, autoincrement=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("actor", String(128), nullable=False),
        Column("role", String(64), nullable=False),
        Column("region", String(6), nullable=False),
        Column("action", String(128), nullable=False),
        Column("record_type", String(64), nullable=False),
        Column("record_id", String(128), nullable=False),
        Column("reason", Text, nullable=True),
        Column("rule_ids", JSONB, nullable=False),
        Column("policy_pack", String(64), nullable=True),
        Column("data", JSONB, nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
    )


def create_platform_tables(schema: str) -> None:
    """Migration step: outbox, inbox and (format-1) journal in ``schema``."""
    outbox, inbox, _journal = define_platform_tables(MetaData())
    _create_tables(schema, (outbox, inbox, _journal_v1(MetaData())))


def create_event_order_tables(schema: str, *, service: str) -> None:
    """Migration step of issue 10 §1: ``outbox_versions`` and ``inbox_versions`` in ``schema``.

    The service's inbox rows are copied under the names of its new durables (one per producer,
    ``<service>-<producer>``, the producer being the type's third dot-separated token), so the new
    durable, which reads the stream from its start, skips what the former per-type durables applied.
    """
    _create_tables(schema, define_event_order_tables(MetaData()))
    inbox = f'"{schema}".inbox'  # the migration's own constant, not input
    copy = (
        f"INSERT INTO {inbox} (consumer, event_id, type, processed_at) "  # noqa: S608
        f"SELECT :service || '-' || split_part(type, '.', 3), event_id, type, processed_at "
        f"FROM {inbox} ON CONFLICT DO NOTHING"
    )
    op.execute(text(copy).bindparams(service=service))


def drop_event_order_tables(schema: str) -> None:
    drop_tables(schema, "inbox_versions", "outbox_versions")


def _create_tables(schema: str, tables: tuple[Table, ...]) -> None:
    for table in tables:
        op.create_table(table.name, *(column._copy() for column in table.columns), schema=schema)
        for index in table.indexes:
            op.create_index(
                str(index.name),
                table.name,
                [column.name for column in index.columns],
                unique=bool(index.unique),
                schema=schema,
                **index.dialect_kwargs,
            )


def create_region_index(table: str, *, schema: str) -> None:
    """Migration step: ``ix_<table>_region`` with ``varchar_pattern_ops``, so the jurisdiction's
    prefix match (``region LIKE '14%'``) uses the index."""
    op.create_index(
        f"ix_{table}_region", table, ["region"], schema=schema, postgresql_ops={"region": "varchar_pattern_ops"}
    )


def drop_tables(schema: str, *tables: str) -> None:
    """Migration step (a downgrade): drop ``tables`` of ``schema`` in the order given (dependents first)."""
    for name in tables:
        op.drop_table(name, schema=schema)


def drop_platform_tables(schema: str) -> None:
    drop_tables(schema, "journal", "inbox", "outbox")


def journal_sequencer_upgrade(schema: str) -> None:
    """Migration step: the journal as the sequencer links it (docs/journal.md).

    Existing entries keep their ``seq`` and hashes (format 1, verifiable as before); ``id`` takes
    their ``seq`` so insertion order starts where the chain stands.
    """
    # ``schema`` is the service's own name from its migration file, never input: safe in SQL text.
    journal = f'"{schema}".journal'
    op.add_column("journal", Column("id", BigInteger, nullable=True), schema=schema)
    op.execute(f"UPDATE {journal} SET id = seq")  # noqa: S608
    op.alter_column("journal", "id", nullable=False, schema=schema)
    op.execute(f"ALTER TABLE {journal} ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY")
    restart = f"SELECT setval(pg_get_serial_sequence('{schema}.journal', 'id'), coalesce((SELECT max(id) FROM {journal}), 0) + 1, false)"  # noqa: E501, S608
    op.execute(restart)
    op.drop_constraint("pk_journal", "journal", schema=schema)
    op.create_primary_key("pk_journal", "journal", ["id"], schema=schema)
    op.alter_column("journal", "seq", nullable=True, schema=schema)
    op.create_unique_constraint("uq_journal_seq", "journal", ["seq"], schema=schema)
    op.add_column("journal", Column("format", SmallInteger, nullable=False, server_default="1"), schema=schema)
    op.alter_column("journal", "format", server_default=None, schema=schema)
    op.add_column("journal", Column("record_region", String(6), nullable=True), schema=schema)
    op.alter_column("journal", "prev_hash", nullable=True, schema=schema)
    op.alter_column("journal", "hash", nullable=True, schema=schema)
    op.create_index("ix_journal_unlinked", "journal", ["id"], schema=schema, postgresql_where=text("seq IS NULL"))


def journal_sequencer_downgrade(schema: str) -> None:
    journal = f'"{schema}".journal'
    # A format-2 entry (or one not linked yet) cannot be kept in a format-1 table without losing
    # what its hash covers: refuse rather than lose history.
    op.execute(
        f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM {journal} WHERE format <> 1 OR seq IS NULL) THEN "  # noqa: S608
        "RAISE EXCEPTION 'journal holds entries written by the sequencer; they cannot be downgraded'; "
        "END IF; END $$"
    )
    op.drop_index("ix_journal_unlinked", "journal", schema=schema)
    op.drop_column("journal", "record_region", schema=schema)
    op.drop_column("journal", "format", schema=schema)
    op.drop_constraint("uq_journal_seq", "journal", schema=schema)
    op.drop_constraint("pk_journal", "journal", schema=schema)
    op.create_primary_key("pk_journal", "journal", ["seq"], schema=schema)
    op.drop_column("journal", "id", schema=schema)
    op.alter_column("journal", "prev_hash", nullable=False, schema=schema)
    op.alter_column("journal", "hash", nullable=False, schema=schema)


# One migration step as Alembic calls it: ``upgrade()`` / ``downgrade()`` with no arguments.
Step = Callable[[], None]


def platform_tables(schema: str) -> tuple[Step, Step]:
    """The first migration of every service: ``upgrade, downgrade = platform_tables("intake")``."""
    return (lambda: create_platform_tables(schema)), (lambda: drop_platform_tables(schema))


def event_order(schema: str) -> tuple[Step, Step]:
    """The event-order migration of every service (issue 10 §1), its durables named after ``schema``."""
    return (lambda: create_event_order_tables(schema, service=schema)), (lambda: drop_event_order_tables(schema))


def journal_sequencer(schema: str) -> tuple[Step, Step]:
    """The journal-sequencer migration of every service (docs/journal.md)."""
    return (lambda: journal_sequencer_upgrade(schema)), (lambda: journal_sequencer_downgrade(schema))


def run_env(*, schema: str, metadata: MetaData) -> None:
    """The body of every service's ``migrations/env.py`` (online mode, asyncpg)."""
    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from zhicheng_common.settings import CommonSettings

        url = CommonSettings().database_url

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection, target_metadata=metadata, version_table_schema=schema, include_schemas=False
        )
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_async_engine(async_database_url(url), poolclass=pool.NullPool)
        try:
            async with engine.connect() as connection:
                await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                await connection.commit()
                await connection.run_sync(run)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(main())


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    """Run one service's migrations up to ``revision`` (blocking).

    ``env.py`` runs its own event loop, so when called from inside one (an async test fixture)
    the migration runs in a worker thread.
    """
    config = alembic_config(migrations_dir, database_url)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        command.upgrade(config, revision)
        return
    failure: list[BaseException] = []

    def run() -> None:
        try:
            command.upgrade(config, revision)
        except BaseException as exc:
            failure.append(exc)

    worker = threading.Thread(target=run, name="alembic-upgrade")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
