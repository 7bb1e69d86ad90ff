"""RV-6, NA-6, NA-11 (issue 12): a publicity opened on day A stays open, and accepts objections,
through the END of the 5th working day after A (A not counted); it closes at the earliest on the
day after, by the scheduler or by hand.

Dates worked out by hand with the official arrangement for National Day 2025 (国务院办公厅,
2024-11-12): 1–8 October off (National Day and Mid-Autumn together); Sunday 28 September and
Saturday 11 October are make-up working days. Opened Friday 2025-09-26 (A, not counted):
Sat 27 Sep off; Sun 28 Sep make-up = 1; Mon 29 Sep = 2; Tue 30 Sep = 3; 1–8 Oct off;
Thu 9 Oct = 4; Fri 10 Oct = 5. Open through the end of Friday 2025-10-10; closes on Saturday
2025-10-11 at the earliest.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from zhicheng_common.testing import assert_problem

from .conftest import Harness

pytestmark = pytest.mark.service

CHINA_OFFSET = timedelta(hours=8)


def beijing(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC) - CHINA_OFFSET


async def _open_on_26_september_2025(harness: Harness) -> tuple[uuid.UUID, dict[str, Any]]:
    harness.move_to(beijing(2025, 9, 26, 9))
    review_id = await harness.submit()  # a 2024 declaration: the Shanxi pack of 2024 applies
    decided = await harness.decide(review_id, "unit_reviewer")
    assert decided.status_code == 201, decided.text
    response = await harness.client.post(
        "/api/v1/reviews/publicities",
        json={"review_ids": [str(review_id)], "title": "2025年度职称申报人员单位内公示"},
        headers=harness.headers("unit_reviewer"),
    )
    assert response.status_code == 201, response.text
    publicity: dict[str, Any] = response.json()
    return review_id, publicity


async def _object(harness: Harness, publicity: dict[str, Any], review_id: uuid.UUID) -> Any:
    return await harness.client.post(
        f"/api/v1/reviews/public/publicities/{publicity['token']}/objections",
        json={
            "review_id": str(review_id),
            "content": "业绩不实",
            "contact_name": "王五",
            "contact_phone": "13900000000",
        },
    )


async def test_RV_6_publicity_stays_open_through_the_end_of_the_5th_working_day_across_national_day_2025(
    harness: Harness,
) -> None:
    review_id, publicity = await _open_on_26_september_2025(harness)
    assert publicity["opened_on"] == "2025-09-26"

    # The morning and the late evening of the 5th working day: the scheduler leaves it open.
    for moment in (beijing(2025, 10, 10, 8), beijing(2025, 10, 10, 23, 50)):
        harness.move_to(moment)
        assert (await harness.run_jobs())["review.close_publicities"] == 0, moment
        assert (await harness.review(review_id))["status"] == "in_publicity", moment
    # By hand neither, on that day.
    close = await harness.client.post(
        f"/api/v1/reviews/publicities/{publicity['id']}/close", headers=harness.headers("unit_reviewer")
    )
    assert "2025-10-11" in assert_problem(close, 409, "publicity_too_short", "RV-6")["detail"]

    assert (publicity["open_through"], publicity["closes_on"]) == ("2025-10-10", "2025-10-11")

    # Saturday 11 October (a make-up working day), first minute: the scheduler closes it.
    harness.move_to(beijing(2025, 10, 11, 0, 1))
    assert (await harness.run_jobs())["review.close_publicities"] == 1
    review = await harness.review(review_id)
    assert (review["status"], review["step_key"]) == ("in_review", "department_review")


async def test_NA_11_an_objection_in_the_last_evening_of_the_window_is_accepted_and_one_the_next_day_refused(
    harness: Harness,
) -> None:
    review_id, publicity = await _open_on_26_september_2025(harness)
    harness.move_to(beijing(2025, 10, 10, 9))
    await harness.run_jobs()  # the morning run of the 5th working day must not close it
    harness.move_to(beijing(2025, 10, 10, 23, 30))
    accepted = await _object(harness, publicity, review_id)
    assert accepted.status_code == 201, accepted.text

    other_id, other = await _open_on_26_september_2025(harness)
    harness.move_to(beijing(2025, 10, 11, 8))
    late = await _object(harness, other, other_id)
    assert_problem(late, 409, "publicity_closed", "RV-6")


async def test_NA_6_manual_close_on_the_day_after_the_5th_working_day_is_accepted(harness: Harness) -> None:
    review_id, publicity = await _open_on_26_september_2025(harness)
    harness.move_to(beijing(2025, 10, 11, 9))
    close = await harness.client.post(
        f"/api/v1/reviews/publicities/{publicity['id']}/close", headers=harness.headers("unit_reviewer")
    )
    assert close.status_code == 200, close.text
    assert (await harness.review(review_id))["step_key"] == "department_review"
