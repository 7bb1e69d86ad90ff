"""A huge offset on a real list route (the gateway's users, on PostgreSQL) is a 422 problem, not a 500."""

from __future__ import annotations

import pytest

from .conftest import ADMIN_PASSWORD, ADMIN_USERNAME, Gateway, assert_problem, bearer, token_for

pytestmark = pytest.mark.service


async def test_an_offset_of_two_to_the_63_is_refused_before_the_query(gateway: Gateway) -> None:
    headers = bearer(await token_for(gateway.client, ADMIN_USERNAME, ADMIN_PASSWORD))
    response = await gateway.client.get("/api/v1/users", params={"offset": 2**63}, headers=headers)
    body = assert_problem(response, 422, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["offset"]
    # The largest accepted offset runs the query and finds nothing there.
    response = await gateway.client.get("/api/v1/users", params={"offset": 1_000_000}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []
