"""Deadlines counted through a year without an official holiday arrangement (issue 11 §5, NA-14):
stored and shown as provisional, recomputed once when an operator loads the year."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest

from zhicheng_common.calendar_store import store_arrangement
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import OFFICIAL_2027, wait_until, without_year
from zhicheng_review import service

from .conftest import Harness
from .test_review_chain import beijing_morning, open_publicity, to_publicity

RETURN_DAY = date(2026, 12, 28)  # a Monday
# Provisional: Tue 12-29 (1), Wed 12-30 (2), Thu 12-31 (3), Fri 2027-01-01 元旦, weekend, Mon 01-04 (4), Tue 01-05 (5).
PROVISIONAL_DUE = "2027-01-05"
# Official: 01-01..01-04 off, so Tue 01-05 (4), Wed 01-06 (5).
OFFICIAL_DUE = "2027-01-06"


@pytest.fixture
async def no_2027(review_schema: CommonSettings, nats_js: Any) -> AsyncIterator[Any]:
    """No 2027 arrangement while the test starts (other tests count 2027 provisionally), none after it."""
    async with without_year(nats_js, review_schema, 2027):
        yield nats_js


async def changed_events(h: Harness, subject: str) -> list[dict[str, Any]]:
    return [e for e in await h.outbox("review.declaration.deadline_changed") if e["subject"] == subject]


async def test_NA_14_RV_3_a_return_on_2026_12_28_is_due_provisionally_and_moves_once_when_2027_is_loaded(
    no_2027: Any, harness: Harness
) -> None:
    harness.move_to(beijing_morning(RETURN_DAY))
    review_id = await harness.submit()
    items = [{"field": "post.appointment", "message": "聘任文件未盖章"}]
    response = await harness.decide(review_id, "unit_reviewer", "return", items=items)
    assert response.status_code == 201, response.text
    assert response.json()["correction_deadline"] == PROVISIONAL_DUE
    assert response.json()["correction_deadline_provisional"] is True
    review = await harness.review(review_id)
    assert (review["correction_deadline"], review["correction_deadline_provisional"]) == (PROVISIONAL_DUE, True)
    declaration_id = review["declaration_id"]
    returned = [e for e in await harness.outbox("review.declaration.returned") if e["subject"] == declaration_id]
    assert returned[0]["data"]["deadline"] == PROVISIONAL_DUE
    assert returned[0]["data"]["deadline_provisional"] is True

    assert await store_arrangement(no_2027, harness.settings, OFFICIAL_2027)

    async def recomputed() -> bool:
        current = await harness.review(review_id)
        return bool(current["correction_deadline"] == OFFICIAL_DUE)

    await wait_until(recomputed, timeout=20, what="the correction deadline recomputed")
    review = await harness.review(review_id)
    assert review["correction_deadline_provisional"] is False
    events = await changed_events(harness, declaration_id)
    assert len(events) == 1
    assert events[0]["type"] == "cn.zhicheng.review.declaration.deadline_changed.v1"
    assert events[0]["data"] == {
        "declaration_id": declaration_id,
        "deadline_kind": "correction",
        "previous": PROVISIONAL_DUE,
        "due": OFFICIAL_DUE,
        "provisional": False,
        "moved": True,
        "calendar_years": [2027],
    }
    journal = await harness.sql(
        "SELECT action, rule_ids FROM review.journal WHERE record_id = :id AND action LIKE 'review.deadline.%'",
        id=str(review_id),
    )
    assert [(row[0], list(row[1])) for row in journal] == [("review.deadline.moved", ["RV-3", "NA-14"])]

    # The same file again: nothing stored, nothing recomputed; a recomputation anyway changes nothing.
    assert not await store_arrangement(no_2027, harness.settings, OFFICIAL_2027)
    ctx = harness.app.state.context
    async with harness.app.state.database.unit_of_work() as session:
        assert await service.recompute_deadlines(session, ctx=ctx, years=frozenset({2027})) == 0
    await asyncio.sleep(1.0)
    assert len(await changed_events(harness, declaration_id)) == 1
    assert (await harness.review(review_id))["correction_deadline"] == OFFICIAL_DUE


async def test_NA_14_RV_6_a_publicity_and_a_step_due_in_2027_are_recomputed_too(no_2027: Any, harness: Harness) -> None:
    harness.move_to(beijing_morning(RETURN_DAY))
    waiting = await harness.submit()
    published = await harness.submit()
    review = await harness.review(waiting)
    # The unit step's 5 working days from Mon 2026-12-28, counted like the return above.
    assert (review["step_due"], review["step_due_provisional"]) == (PROVISIONAL_DUE, True)
    await to_publicity(harness, published)
    publicity = await open_publicity(harness, published)
    assert (publicity["open_through"], publicity["open_through_provisional"]) == (PROVISIONAL_DUE, True)
    notice = await harness.client.get(f"/api/v1/reviews/public/publicities/{publicity['token']}")
    assert notice.status_code == 200, notice.text
    assert notice.json()["open_through_provisional"] is True

    assert await store_arrangement(no_2027, harness.settings, OFFICIAL_2027)

    async def recomputed() -> bool:
        current = await harness.review(waiting)
        return bool(current["step_due"] == OFFICIAL_DUE)

    await wait_until(recomputed, timeout=20, what="the step due day recomputed")
    response = await harness.client.get(f"/api/v1/reviews/publicities/{publicity['id']}", headers=harness.admin)
    assert response.status_code == 200, response.text
    assert (response.json()["open_through"], response.json()["open_through_provisional"]) == (OFFICIAL_DUE, False)
    in_publicity = await harness.review(published)
    assert (in_publicity["step_due"], in_publicity["step_due_provisional"]) == (OFFICIAL_DUE, False)
    windows = [e for e in await harness.outbox("review.publicity.window_changed") if e["subject"] == publicity["id"]]
    assert len(windows) == 1
    assert windows[0]["data"]["previous_open_through"] == PROVISIONAL_DUE
    assert windows[0]["data"]["open_through"] == OFFICIAL_DUE
    assert windows[0]["data"]["review_ids"] == [str(published)]
    steps = await changed_events(harness, str((await harness.review(waiting))["declaration_id"]))
    assert [(e["data"]["deadline_kind"], e["data"]["due"]) for e in steps] == [("step", OFFICIAL_DUE)]
