"""Bad input on the experts routes answers a 4xx problem, never a 500 (issue 11 §3, docs/bad-input.md).

The schemathesis run over the gateway found ``PATCH /api/v1/experts/experts/{id}`` answering 500 to a
body setting ``ownership_kind`` to null (the column is NOT NULL; the model let the null through).
"""

from __future__ import annotations

import pytest

from zhicheng_common.testing import assert_problem

from .conftest import Experts, expert_body

pytestmark = pytest.mark.service

# The body schemathesis sent (its coverage phase), as its failure report gave it.
SCHEMATHESIS_PATCH = {
    "email": "0@0.0",
    "ownership_kind": None,
    "phone": "00000",
    "rank_held": None,
    "relationships": [],
    "specialties": None,
    "terms": [{"ends_on": "2000-01-01", "starts_on": "2000-01-01"}],
    "title_name": "",
    "unit_credit_code": None,
    "unit_name": "0",
}


async def test_a_patch_setting_a_required_field_to_null_is_422_naming_it_and_changes_nothing(experts: Experts) -> None:
    created = await experts.create()
    url = f"/api/v1/experts/experts/{created['id']}"
    for body in (SCHEMATHESIS_PATCH, {"unit_name": None}, {"ownership_kind": None}):
        response = await experts.client.patch(url, json=body, headers=experts.headers())
        refused = assert_problem(response, 422, "validation_failed")
        named = {e["field"] for e in refused["errors"]}
        assert named == {k for k in ("unit_name", "ownership_kind") if k in body and body[k] is None}
    after = (await experts.client.get(url, headers=experts.headers())).json()
    assert (after["unit_name"], after["ownership_kind"]) == (created["unit_name"], created["ownership_kind"])
    # Clearing a field that may be empty still works: null clears the phone.
    cleared = await experts.client.patch(url, json={"phone": None}, headers=experts.headers())
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["phone"] is None


async def test_a_nul_character_in_a_string_field_is_422_nul_character_and_stores_nothing(experts: Experts) -> None:
    body = expert_body(name="王\u0000建国")
    response = await experts.client.post("/api/v1/experts/experts", json=body, headers=experts.headers())
    refused = assert_problem(response, 422, "nul_character")
    assert refused["title"] == "请求含有空字符"
    stored = await experts.scalar(
        "SELECT count(*) FROM experts.experts WHERE resident_id_key = :k",
        k=experts.cipher.keyed_hash(body["resident_id"]),
    )
    assert stored == 0
    created = await experts.create()
    patched = await experts.client.patch(
        f"/api/v1/experts/experts/{created['id']}", json={"unit_name": "太原\u0000"}, headers=experts.headers()
    )
    assert_problem(patched, 422, "nul_character")
