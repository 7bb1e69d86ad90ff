"""A huge offset on a real list route (the gateway's users, on PostgreSQL) is a 422 problem, not a 500."""

from __future__ import annotations

import pytest

from zhicheng_common.testing import assert_problem, bearer

from .conftest import ADMIN_PASSWORD, ADMIN_USERNAME, Gateway, token_for

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


async def test_a_journal_cursor_or_id_past_bigint_is_a_422_not_a_500(gateway: Gateway) -> None:
    headers = bearer(await token_for(gateway.client, ADMIN_USERNAME, ADMIN_PASSWORD))
    response = await gateway.client.get("/api/v1/gateway/journal", params={"after_id": 2**63}, headers=headers)
    assert [e["field"] for e in assert_problem(response, 422, "validation_failed")["errors"]] == ["after_id"]
    response = await gateway.client.get(f"/api/v1/gateway/journal/{2**63}", headers=headers)
    assert [e["field"] for e in assert_problem(response, 422, "validation_failed")["errors"]] == ["entry_id"]
    # The largest id a bigint holds is simply not there.
    response = await gateway.client.get(f"/api/v1/gateway/journal/{2**63 - 1}", headers=headers)
    assert_problem(response, 404, "not_found")
