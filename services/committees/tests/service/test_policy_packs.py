"""A committee's filing and plans are judged by the packs of its own jurisdiction and year (issue 12).

Shipped: ``shanxi-2024`` (140000, years 2024-2027) and ``yunnan-2023`` (530000, 2023 only).
"""

from __future__ import annotations

import pytest

from zhicheng_common.testing import assert_problem

from .conftest import PREFIX, SHANXI, Service, active_committee, filing_body
from .test_plans import plan_body, post_plan

pytestmark = pytest.mark.service


async def test_a_filing_naming_another_jurisdictions_pack_is_refused_and_nothing_is_stored(svc: Service) -> None:
    before = await svc.count("filings")
    response = await svc.client.post(
        f"{PREFIX}/filings",
        json=filing_body(policy_pack="yunnan-2023"),
        headers=svc.headers(["committee_office"], SHANXI),
    )

    body = assert_problem(response, 422, "policy_pack_not_applicable")
    assert body["errors"][0]["field"] == "policy_pack"
    assert body["errors"][0]["facts"] == {"jurisdiction": SHANXI, "year": None, "pack_jurisdiction": "530000"}
    assert await svc.count("filings") == before


async def test_a_plan_naming_another_jurisdictions_pack_is_refused(svc: Service) -> None:
    committee_id = await active_committee(svc)

    response = await post_plan(svc, committee_id, plan_body(policy_pack="yunnan-2023"))

    assert_problem(response, 422, "policy_pack_not_applicable")
    assert (
        await svc.client.get(f"{PREFIX}/{committee_id}/plans", headers=svc.headers(["hr_admin"], SHANXI))
    ).json() == []


async def test_a_plan_gets_the_pack_of_its_committees_region_and_year(svc: Service) -> None:
    committee_id = await active_committee(svc)

    response = await post_plan(svc, committee_id, plan_body())

    assert response.status_code == 201, response.text
    assert response.json()["policy_pack"] == "shanxi-2024"  # Shanxi (140000) for 2024
