"""Alembic per service: the shared ``env.py`` body, the platform tables, programmatic upgrade.

Each service keeps its own history in ``services/<name>/migrations`` with its version table in
its own schema. ``zhicheng migrate`` (and the test fixtures) call :func:`upgrade`.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, Table, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from zhicheng_common.db import async_database_url, define_event_order_tables, define_platform_tables


def create_platform_tables(schema: str) -> None:
    """Migration step: outbox, inbox and journal in ``schema`` (declared once in ``db.py``)."""
    _create_tables(schema, define_platform_tables(MetaData()))


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
    for name in ("inbox_versions", "outbox_versions"):
        op.drop_table(name, schema=schema)


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


def drop_platform_tables(schema: str) -> None:
    for name in ("journal", "inbox", "outbox"):
        op.drop_table(name, schema=schema)


def run_env(*, schema: str, metadata: MetaData) -> None:
    """The body of every service's ``migrations/env.py`` (online mode, asyncpg)."""
    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from zhicheng_common.settings import CommonSettings

        url = CommonSettings().database_url

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=False,
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
