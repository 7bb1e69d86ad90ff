"""Migration ``committees_valid_until_na14``: stored validities of the old count follow NA-14 (issue 13).

Hand-worked, Shanxi's ``committee_filing_validity_years`` being 3: a filing approved on 2024-03-01
is in force from 2024-03-02 (the approval day is not counted) through the end of 2027-03-01, the
corresponding day three years later. The old count stored 2027-02-28. The follow-up migration
``committees_valid_until_republish`` publishes the corrected date, so intake's copy follows.
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

from .conftest import SHANXI, Service, active_committee, decide, filing_body

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


async def _refiled(svc: Service) -> str:
    committee_id = await active_committee(svc)
    office = svc.headers(["committee_office"], SHANXI)
    renamed = filing_body(name="山西省工程技术正高级职称评审委员会", reason="rename")
    response = await svc.client.post(f"/api/v1/committees/{committee_id}/filings", json=renamed, headers=office)
    assert response.status_code == 201, response.text
    assert (await decide(svc, response.json()["id"])).status_code == 200
    return committee_id


async def _status(svc: Service, committee_id: str, status: str) -> None:
    async with svc.database.engine.begin() as conn:
        await conn.execute(
            text("UPDATE committees.committees SET status = :s WHERE id = :id"), {"s": status, "id": committee_id}
        )


async def _published_by_the_old_count(svc: Service, committee_id: str) -> None:
    """Make the committee's filing events say what the code before issue 13 sent: 2027-02-28."""
    async with svc.database.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE committees.outbox SET envelope = jsonb_set(envelope, '{data,valid_until}', '\"2027-02-28\"')"
                " WHERE envelope->>'subject' = :id AND subject IN"
                " ('committees.committee.approved', 'committees.committee.refiled')"
            ),
            {"id": committee_id},
        )


async def test_NA_14_the_corrected_valid_until_is_published_once_per_committee_for_intake_to_copy(
    svc: Service, committees_schema: CommonSettings
) -> None:
    old_count = await active_committee(svc)
    refiled = await _refiled(svc)
    leap_day = await active_committee(svc)
    set_by_hand = await active_committee(svc)
    expired = await active_committee(svc)
    for committee_id in (old_count, refiled, expired):
        await _set(svc, committee_id, date(2024, 3, 1), date(2027, 2, 28))
        await _published_by_the_old_count(svc, committee_id)
    await _set(svc, leap_day, date(2024, 2, 29), date(2027, 2, 28))
    await _set(svc, set_by_hand, date(2024, 3, 1), date(2026, 12, 31))
    await _status(svc, expired, "expired")
    before = {c: len(await svc.events(c)) for c in (old_count, refiled, leap_day, set_by_hand, expired)}

    config = alembic_config(MIGRATIONS_DIR, committees_schema.database_url)
    in_thread(lambda: command.downgrade(config, "committees_event_order"))
    in_thread(lambda: command.upgrade(config, "head"))

    # applied (1), approved (2), then the correction (3): the date intake copies, next in order.
    events = await svc.events(old_count)
    assert len(events) == before[old_count] + 1 == 3
    published = events[-1]
    assert published["type"] == "cn.zhicheng.committees.committee.approved.v1"
    assert (published["data"]["valid_from"], published["data"]["valid_until"]) == ("2024-03-01", "2027-03-01")
    assert published["aggregateversion"] == 3
    assert published["data"]["status"] == "active"
    # A re-filed committee: its current filing's event, naming the filing it replaced (CM-2).
    again = (await svc.events(refiled))[-1]
    assert len(await svc.events(refiled)) == before[refiled] + 1
    assert again["type"] == "cn.zhicheng.committees.committee.refiled.v1"
    assert (again["data"]["valid_until"], again["data"]["reason"]) == ("2027-03-01", "rename")
    assert again["data"]["previous_filing_id"]
    # Nothing corrected, or not in force: nothing published.
    for untouched in (leap_day, set_by_hand, expired):
        assert len(await svc.events(untouched)) == before[untouched], untouched

    # Run again: the last filing event already carries the date, so nothing is sent twice.
    in_thread(lambda: command.downgrade(config, "committees_valid_until_na14"))
    in_thread(lambda: command.upgrade(config, "head"))
    assert len(await svc.events(old_count)) == 3
