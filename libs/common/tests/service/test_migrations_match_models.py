"""Each service's Alembic history builds exactly the tables its models declare.

A model changed without a migration (or a migration that differs from the model) shows up here as
a difference reported by Alembic's autogenerate comparison, long before it breaks a deployment.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from zhicheng_common.cli import migrations_dir
from zhicheng_common.db import async_database_url, define_platform_tables, new_metadata
from zhicheng_common.migrations import upgrade
from zhicheng_common.testing import TestStack, create_database
from zhicheng_common.topology import ALL_SERVICES

pytestmark = pytest.mark.service


def _differences(database_url: str, schema: str, metadata: MetaData) -> list[Any]:
    def compare(connection: Connection) -> list[Any]:
        # The models carry no schema (services map it at run time): compare in the service's schema.
        connection.execute(text(f'SET search_path TO "{schema}"'))
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async def main() -> list[Any]:
        engine = create_async_engine(async_database_url(database_url))
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(compare)
        finally:
            await engine.dispose()

    return asyncio.run(main())


@pytest.mark.parametrize("info", ALL_SERVICES, ids=[s.name for s in ALL_SERVICES])
def test_migrations_build_what_the_models_declare(zc_stack: TestStack, info: Any) -> None:
    database_url = create_database(zc_stack, f"drift_{info.name}")
    upgrade(migrations_dir(info), database_url)
    models: MetaData = importlib.import_module(f"{info.package}.models").Base.metadata
    declared = new_metadata()
    for table in models.tables.values():
        table.to_metadata(declared)
    define_platform_tables(declared)  # outbox, inbox, journal: in every schema, declared once
    differences = _differences(database_url, info.name, declared)
    assert differences == [], "\n".join(map(str, differences))
