"""The season driver's recovery from uncertain writes (bench/season/driver.py), without a system.

A write whose answer was lost is not sent again blindly: ``after`` calls it uncertain, and
``rerun_uncertain`` runs the item's work again with ``rerun()`` true, so that the work reads
before it writes. These are the pure parts of that mechanism.
"""

from __future__ import annotations

import asyncio

import pytest

from bench.season.driver import SeasonError, Uncertain, after, past, rerun, rerun_uncertain


@pytest.mark.parametrize(
    ("method", "idempotent", "status", "then"),
    [
        ("POST", False, 201, "return"),
        ("POST", False, 409, "return"),  # a refusal is an answer
        ("POST", False, 429, "retry"),  # rate-limited before any work
        ("POST", False, 502, "uncertain"),
        ("POST", False, 503, "uncertain"),
        ("POST", False, 504, "uncertain"),
        ("POST", False, None, "uncertain"),  # the connection dropped once the request was sent
        ("POST", True, 504, "retry"),  # a route idempotent by itself is sent again
        ("POST", True, None, "retry"),
        ("GET", False, 502, "retry"),
        ("PUT", False, None, "retry"),
        ("GET", False, 200, "return"),
    ],
)
def test_what_follows_an_answer(method: str, idempotent: bool, status: int | None, then: str) -> None:
    assert after(method, idempotent, status) == then


def test_a_review_past_a_step() -> None:
    at_publicity = {"status": "in_publicity", "step_key": "unit_publicity"}
    assert past(at_publicity, "unit_review")
    assert not past(at_publicity, "unit_publicity")
    assert not past({"status": "in_review", "step_key": "city_hr_review"}, "committee_office_review")
    assert past({"status": "qualified", "step_key": "committee_office_review"}, "committee_office_review")


def test_an_uncertain_item_runs_again_reading_first() -> None:
    seen: list[bool] = []

    async def work() -> str:
        seen.append(rerun())
        if len(seen) < 3:
            raise Uncertain(f"lost answer {len(seen)}")
        return "done"

    reruns: list[str] = []
    assert asyncio.run(rerun_uncertain(work, pause=0.0, reruns=reruns)) == "done"
    # Run 1 writes blindly; runs 2 and 3 come after a lost answer each, so they read first.
    assert seen == [False, True, True]
    assert reruns == ["lost answer 1", "lost answer 2"]
    assert rerun() is False  # outside the item, nothing is a rerun


def test_an_item_uncertain_every_time_fails_the_stage() -> None:
    async def work() -> None:
        raise Uncertain("never answered")

    with pytest.raises(SeasonError, match="still uncertain after 3 runs"):
        asyncio.run(rerun_uncertain(work, attempts=3, pause=0.0))


def test_another_error_is_not_rerun() -> None:
    runs: list[int] = []

    async def work() -> None:
        runs.append(1)
        raise SeasonError("409 wrong_state")

    with pytest.raises(SeasonError, match="wrong_state"):
        asyncio.run(rerun_uncertain(work, pause=0.0))
    assert runs == [1]
