"""A value PostgreSQL refuses (out of its column type's range, too long) is a 422 problem
``value_not_storable``, and a null for a NOT NULL column 422 ``value_required``, not a 500 (issue 11
§3), on a real PostgreSQL."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from zhicheng_common.db import async_database_url
from zhicheng_common.problems import install_problem_handlers
from zhicheng_common.settings import CommonSettings

pytestmark = pytest.mark.service


async def test_a_value_out_of_its_column_type_is_422_value_not_storable(zc_settings: CommonSettings) -> None:
    engine = create_async_engine(async_database_url(zc_settings.database_url))
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/count")
    async def count(n: int) -> dict[str, int]:
        async with engine.connect() as conn:
            value = (await conn.execute(text("SELECT CAST(:n AS smallint)"), {"n": n})).scalar_one()
        return {"n": int(value)}

    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            fits = await client.get("/count", params={"n": 32767})
            refused = await client.get("/count", params={"n": 32768})  # smallint ends at 2**15 - 1
    finally:
        await engine.dispose()
    assert fits.json() == {"n": 32767}
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "value_not_storable"
    assert refused.json()["title"] == "数据超出允许的范围"


async def test_a_null_for_a_not_null_column_is_422_value_required_and_a_unique_violation_stays_a_500(
    zc_settings: CommonSettings,
) -> None:
    engine = create_async_engine(async_database_url(zc_settings.database_url))
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/rows")
    async def add(name: str | None = None, twice: bool = False) -> dict[str, str]:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TEMPORARY TABLE t (name text NOT NULL UNIQUE) ON COMMIT DROP"))
            for _ in range(2 if twice else 1):
                await conn.execute(text("INSERT INTO t (name) VALUES (:name)"), {"name": name})
        return {"name": str(name)}

    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            stored = await client.post("/rows", params={"name": "王"})
            refused = await client.post("/rows")
            duplicate = await client.post("/rows", params={"name": "王", "twice": True})
    finally:
        await engine.dispose()
    assert stored.json() == {"name": "王"}
    assert refused.status_code == 422, refused.text
    assert (refused.json()["code"], refused.json()["title"]) == ("value_required", "必填项不能为空")
    assert refused.headers["content-type"] == "application/problem+json"
    # A unique violation is the service's to decide (a 409 of its own); unhandled, it is a bug: 500.
    assert duplicate.status_code == 500
