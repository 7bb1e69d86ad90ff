"""A record that does not exist is a 404 problem with its own code (the repository's get_or_raise)."""

from __future__ import annotations

import uuid

from zhicheng_common.testing import assert_problem

from .conftest import Harness


async def test_verifying_an_unknown_decision_is_404_decision_not_found(harness: Harness) -> None:
    decision_id = uuid.UUID("0190d5a0-0000-7000-8000-000000000001")
    url = f"/api/v1/reviews/decisions/{decision_id}/verification"
    response = await harness.client.get(url, headers=harness.admin)
    problem = assert_problem(response, 404, "decision_not_found")
    assert problem["detail"] == f"审核决定 {decision_id} 不存在"
