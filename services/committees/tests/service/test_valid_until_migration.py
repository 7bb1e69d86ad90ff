"""Migration ``committees_valid_until_na14``: stored validities of the old count follow NA-14 (issue 13).

Hand-worked, Shanxi's ``committee_filing_validity_years`` being 3: a filing approved on 2024-03-01
is in force from 2024-03-02 (the approval day is not counted) through the end of 2027-03-01, the
corresponding day three years later. The old count stored 2027-02-28.
"""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import text

from zhicheng_committees.settings import MIGRATIONS_DIR
from zhicheng_common.migrations import alembic_config
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import in_thread

from .conftest import Service, active_committee

pytestmark = pytest.mark.service


async def _set(svc: Service, committee_id: str, valid_from: date, valid_until: date) -> None:
    async with svc.database.engine.begin() as conn:
        await conn.execute(
            text("UPDATE committees.committees SET valid_from = :f, valid_until = :u WHERE id = :id"),
            {"f": valid_from, "u": valid_until, "id": committee_id},
        )


async def _valid_until(svc: Service, committee_id: str) -> date:
    async with svc.database.engine.connect() as conn:
        value = (
            await conn.execute(
                text("SELECT valid_until FROM committees.committees WHERE id = :id"), {"id": committee_id}
            )
        ).scalar_one()
    assert isinstance(value, date)
    return value


async def test_NA_14_the_migration_moves_an_old_count_valid_until_to_the_corresponding_day(
    svc: Service, committees_schema: CommonSettings
) -> None:
    old_count = await active_committee(svc)
    leap_day = await active_committee(svc)
    set_by_hand = await active_committee(svc)
    await _set(svc, old_count, date(2024, 3, 1), date(2027, 2, 28))
    # Approved on 29 February: both counts end on 2027-02-28 (no 29 February in 2027).
    await _set(svc, leap_day, date(2024, 2, 29), date(2027, 2, 28))
    # A date neither count gives (e.g. entered by an operator): not the migration's to change.
    await _set(svc, set_by_hand, date(2024, 3, 1), date(2026, 12, 31))

    config = alembic_config(MIGRATIONS_DIR, committees_schema.database_url)
    in_thread(lambda: command.downgrade(config, "committees_event_order"))
    in_thread(lambda: command.upgrade(config, "committees_valid_until_na14"))

    assert await _valid_until(svc, old_count) == date(2027, 3, 1)
    assert await _valid_until(svc, leap_day) == date(2027, 2, 28)
    assert await _valid_until(svc, set_by_hand) == date(2026, 12, 31)
