"""Issue 12, policy packs: review applies and journals the pack the declaration was judged by
(carried on ``intake.declaration.submitted``, or resolved from its region and year the same way
intake does), never one service-wide pack; an unknown pack is refused, not replaced."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from zhicheng_common.testing import wait_until

from .conftest import Harness, submitted_data

pytestmark = pytest.mark.service

KUNMING = "530102"  # a district of Kunming, Yunnan: the Yunnan pack of 2023 covers it


def _submitted(region: str, year: int, **extra: Any) -> dict[str, Any]:
    return submitted_data(
        region=region,
        year=year,
        applicant_name="李四",
        employer_name="昆明市某某电力有限公司",
        committee_id=str(uuid.uuid4()),
        **extra,
    )


async def _started(harness: Harness, declaration_id: str) -> tuple[str, str]:
    async def row() -> tuple[str, str] | None:
        rows = await harness.sql(
            "SELECT id::text, policy_pack FROM review.reviews WHERE declaration_id = :d", d=uuid.UUID(declaration_id)
        )
        return (rows[0][0], rows[0][1]) if rows else None

    found: tuple[str, str] = await wait_until(row, timeout=15, what=f"chain of {declaration_id} started")
    return found


async def _journal_packs(harness: Harness, review_id: str) -> list[tuple[str, str]]:
    rows = await harness.sql(
        "SELECT action, policy_pack FROM review.journal WHERE record_id = :id ORDER BY at", id=review_id
    )
    return [(r[0], r[1]) for r in rows]


async def test_review_applies_and_journals_the_pack_the_declaration_carries(harness: Harness) -> None:
    data = _submitted(KUNMING, 2023, policy_pack="yunnan-2023")
    await harness.publish_intake("submitted", data, region=KUNMING)
    review_id, pack = await _started(harness, data["declaration_id"])
    assert pack == "yunnan-2023"  # the service-wide pack of before (shanxi-2024) would be here
    assert await _journal_packs(harness, review_id) == [("review.chain_started", "yunnan-2023")]


async def test_an_event_without_a_pack_resolves_it_from_region_and_year_like_intake(harness: Harness) -> None:
    data = _submitted(KUNMING, 2023)
    await harness.publish_intake("submitted", data, region=KUNMING)
    review_id, pack = await _started(harness, data["declaration_id"])
    assert pack == "yunnan-2023"
    assert await _journal_packs(harness, review_id) == [("review.chain_started", "yunnan-2023")]


async def test_an_unknown_pack_or_a_year_without_pack_starts_no_chain(harness: Harness) -> None:
    unknown = _submitted(KUNMING, 2023, policy_pack="atlantis-2024")
    uncovered = _submitted(KUNMING, 2026)  # Yunnan has a 2023 pack only
    good = _submitted(KUNMING, 2023)
    for data in (unknown, uncovered, good):
        await harness.publish_intake("submitted", data, region=KUNMING)
    # One durable, in order: once the last event is applied, the two before it were handled.
    await _started(harness, good["declaration_id"])
    for data in (unknown, uncovered):
        rows = await harness.sql(
            "SELECT 1 FROM review.reviews WHERE declaration_id = :d", d=uuid.UUID(data["declaration_id"])
        )
        assert rows == [], data["policy_pack"] if "policy_pack" in data else data["year"]
