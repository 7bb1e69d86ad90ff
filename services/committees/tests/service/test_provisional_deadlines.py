"""Meeting deadlines counted through a year without an official holiday arrangement (issue 11 §5,
NA-14): CM-9 post-meeting filing and CM-11 results entry, stored provisional, recomputed once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from zhicheng_committees.meeting import service
from zhicheng_committees.result.domain import MeetingFileItem
from zhicheng_common.calendar_store import store_arrangement
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import OFFICIAL_2027, wait_until, without_year

from .conftest import PREFIX, SHANXI, Service, active_committee, plan_body

pytestmark = pytest.mark.service


@pytest.fixture
async def no_2027(committees_schema: CommonSettings, nats_js: Any) -> AsyncIterator[Any]:
    async with without_year(nats_js, committees_schema, 2027):
        yield nats_js


async def test_NA_14_CM_9_CM_11_meeting_deadlines_in_2027_are_provisional_and_move_once_when_it_is_loaded(
    no_2027: Any, committees_schema: CommonSettings, svc: Service
) -> None:
    committee_id = await active_committee(svc)
    # A December 2026 meeting (after 11-30, so with the approved cross-year exception, CM-6).
    # Pre-meeting filing: back from Tue 12-15, Mon 14 (1), Fri 11 (2), Thu 10 (3), Wed 9 (4), Tue 8 (5).
    body = plan_body(
        year=2026,
        declaration_opens="2026-08-03",
        declaration_closes="2026-08-31",
        notice_date="2026-09-01",
        cross_year_exception="晋人社厅函〔2026〕1号批准",
        meetings=[{"meeting_date": "2026-12-15", "pre_meeting_filing_date": "2026-12-08"}],
    )
    response = await svc.client.post(
        f"{PREFIX}/{committee_id}/plans", json=body, headers=svc.headers(["committee_office"], SHANXI)
    )
    assert response.status_code == 201, response.text
    plan = response.json()
    meeting = plan["meetings"][0]
    # CM-9, 15 working days after Tue 2026-12-15: Dec 16–18 (3), 21–25 (8), 28–31 (12); Fri
    # 2027-01-01 元旦 and the weekend; Mon 01-04 (13), Tue 01-05 (14), Wed 01-06 (15).
    assert (meeting["post_meeting_filing_due"], meeting["post_meeting_filing_due_provisional"]) == (
        "2027-01-06",
        True,
    )
    # CM-11, results entered on Tue 2026-12-29 after an appointment document of Mon 12-28:
    # 5 working days are Dec 29, 30, 31, Jan 4, Jan 5.
    svc.clock.set(datetime(2026, 12, 29, 1, 0, tzinfo=UTC))
    response = await svc.client.post(
        f"{PREFIX}/meetings/{meeting['id']}/results-entry",
        json={
            "appointment_document_date": "2026-12-28",
            "meeting_file": [item.value for item in MeetingFileItem],
        },
        headers=svc.headers(["committee_office"], SHANXI),
    )
    assert response.status_code == 200, response.text
    entered = response.json()
    assert (entered["results_entry_due"], entered["results_entry_due_provisional"]) == ("2027-01-05", True)

    assert await store_arrangement(no_2027, committees_schema, OFFICIAL_2027)

    async def moved() -> dict[str, Any] | None:
        current = (
            await svc.client.get(f"{PREFIX}/plans/{plan['id']}", headers=svc.headers(["hr_admin"], SHANXI))
        ).json()["meetings"][0]
        return current if current["results_entry_due"] == "2027-01-06" else None

    current = await wait_until(moved, timeout=20, what="the meeting's deadlines recomputed")
    # With 01-01..01-04 off: CM-9 Tue 01-05 (13), Wed 01-06 (14), Thu 01-07 (15); CM-11 Tue 01-05 (4), Wed 01-06 (5).
    assert current["post_meeting_filing_due"] == "2027-01-07"
    assert current["post_meeting_filing_due_provisional"] is False
    assert current["results_entry_due_provisional"] is False
    events = await svc.events(meeting["id"], "meeting.deadline_changed")
    assert sorted((e["data"]["deadline_kind"], e["data"]["previous"], e["data"]["due"]) for e in events) == [
        ("post_meeting_filing", "2027-01-06", "2027-01-07"),
        ("results_entry", "2027-01-05", "2027-01-06"),
    ]
    actions = [(a, rules) for a, _, rules in await svc.journal(meeting["id"]) if "deadline" in a]
    assert actions == [
        ("committee.meeting.deadline_moved", ["CM-9", "NA-14"]),
        ("committee.meeting.deadline_moved", ["CM-11", "NA-14"]),
    ]
    # Again: nothing changes.
    assert not await store_arrangement(no_2027, committees_schema, OFFICIAL_2027)
    async with svc.database.unit_of_work() as session:
        calendar = svc.app.state.context.calendar
        assert await service.recompute_deadlines(session, calendar=calendar, years=frozenset({2027})) == 0
    await asyncio.sleep(1.0)
    assert len(await svc.events(meeting["id"], "meeting.deadline_changed")) == 2
