"""Pool filings: validity (EX-3), re-filing with a third new experts and 20 working days ahead
(EX-4), the private-enterprise share (EX-5), expiry on the scheduler. Counts worked out by hand."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from zhicheng_common.policy import PolicyPack, Ratio, load_pack

from .conftest import SHANXI, Experts, problem

pytestmark = pytest.mark.service

POOLS = "/api/v1/experts/pools"


async def _experts(experts: Experts, n: int, **changes: Any) -> list[str]:
    return [(await experts.create(**changes))["id"] for _ in range(n)]


async def _file(experts: Experts, committee_id: uuid.UUID, ids: list[str], **changes: Any) -> Any:
    body = {
        "committee_id": str(committee_id),
        "valid_from": "2026-03-02",
        "valid_until": "2029-03-01",
        "expert_ids": ids,
    }
    body.update(changes)
    return await experts.client.post(POOLS, json=body, headers=experts.headers(region=SHANXI))  # a provincial office


async def test_EX_3_a_filing_is_valid_at_most_three_years(experts: Experts) -> None:
    committee = await experts.committee()
    ids = await _experts(experts, 3)
    # From 2026-03-02, three years end on 2029-03-01 (NA-14); 2029-03-02 is one day too many.
    body = problem(await _file(experts, committee, ids, valid_until="2029-03-02"), 409, "filing_validity_too_long")
    assert body["rule"] == "EX-3"
    assert "2029-03-01" in body["detail"]
    filed = await _file(experts, committee, ids)
    assert filed.status_code == 201, filed.text
    assert (filed.json()["member_count"], filed.json()["new_member_count"]) == (3, 3)


async def test_EX_4_refiling_with_fewer_than_a_third_new_experts_is_refused(experts: Experts) -> None:
    committee = await experts.committee()
    first = await _experts(experts, 6)
    assert (await _file(experts, committee, first)).status_code == 201
    newcomers = await _experts(experts, 2)
    # 6 experts, 1 new: a third of 6 is 2, so 1 is too few.
    refused = await _file(experts, committee, [*first[:5], newcomers[0]])
    body = problem(refused, 409, "too_few_new_experts")
    assert body["rule"] == "EX-4"
    assert "共6人，须新增至少2人，实际新增1人" in body["detail"]
    # 6 experts, 2 new: exactly a third, the bound included (NA-14 "不得低于").
    accepted = await _file(experts, committee, [*first[:4], *newcomers])
    assert accepted.status_code == 201, accepted.text
    assert (accepted.json()["member_count"], accepted.json()["new_member_count"]) == (6, 2)
    history = (
        await experts.client.get(f"{POOLS}/committees/{committee}", headers=experts.headers("auditor", region=SHANXI))
    ).json()
    assert [f["status"] for f in history] == ["filed", "superseded"]
    detail = (
        await experts.client.get(f"{POOLS}/{accepted.json()['id']}", headers=experts.headers(region=SHANXI))
    ).json()
    assert sorted(m["expert_id"] for m in detail["members"] if m["is_new"]) == sorted(newcomers)


async def test_EX_4_refiling_is_applied_twenty_working_days_before_the_annual_evaluation(experts: Experts) -> None:
    committee = await experts.committee()
    first = await _experts(experts, 3)
    assert (await _file(experts, committee, first)).status_code == 201
    newcomers = await _experts(experts, 3)
    # Applied Mon 2026-03-02 for an evaluation on Fri 2026-03-20: Mar 2-6, 9-13 and 16-19 are
    # 14 working days before it, fewer than 20.
    late = await _file(experts, committee, newcomers, evaluation_date="2026-03-20")
    body = problem(late, 409, "refiling_too_late")
    assert body["rule"] == "EX-4"
    assert "2026-03-20" in body["detail"]
    # The committee's plan: its first meeting on or after today is the evaluation counted against.
    plan_id = uuid.uuid4()
    await experts.publish(
        "committees.plan.published",
        {
            "plan_id": str(plan_id),
            "committee_id": str(committee),
            "year": 2026,
            "meeting_dates": ["2026-03-20"],
            "version": 1,
        },
        subject=str(plan_id),
    )
    await experts.until("SELECT 1 FROM experts.plan_views WHERE plan_id = :p", "plan projected", p=plan_id)
    problem(await _file(experts, committee, newcomers), 409, "refiling_too_late")
    # 2026-06-30 is far more than 20 working days away.
    assert (await _file(experts, committee, newcomers, evaluation_date="2026-06-30")).status_code == 201


async def test_EX_5_an_enterprise_committee_has_the_packs_share_of_private_enterprise_experts(experts: Experts) -> None:
    shanxi = load_pack("shanxi-2024")
    share = shanxi.parameters.private_enterprise_expert_min_share.model_copy(
        update={"value": Ratio.model_validate("1/4")}
    )
    parameters = shanxi.parameters.model_copy(update={"private_enterprise_expert_min_share": share})
    with_share: PolicyPack = shanxi.model_copy(update={"parameters": parameters})
    original = experts.app.state.context
    experts.app.state.context = replace(original, packs=lambda pack_id: with_share)
    try:
        committee = await experts.committee(kind="private_enterprise_engineering")
        public = await _experts(experts, 7)
        private = await _experts(experts, 2, ownership_kind="private_enterprise")
        # 8 experts, 1 private: a quarter of 8 is 2.
        body = problem(
            await _file(experts, committee, [*public, private[0]]), 409, "too_few_private_enterprise_experts"
        )
        assert body["rule"] == "EX-5"
        assert "共8人，须至少2人，实际1人" in body["detail"]
        accepted = await _file(experts, committee, [*public[:6], *private])
        assert accepted.json()["private_enterprise_count"] == 2
        # A committee unrelated to enterprises is not asked for the share.
        other = await experts.committee(scope_ownership_kinds=["public_institution"])
        assert (await _file(experts, other, public[:3])).status_code == 201
    finally:
        experts.app.state.context = original


async def test_a_filing_expires_by_itself_the_day_after_its_last_day(experts: Experts) -> None:
    committee = await experts.committee()
    ids = await _experts(experts, 3)
    filed = (await _file(experts, committee, ids, valid_until="2026-03-31")).json()
    experts.clock.set(datetime(2026, 3, 31, 15, 59, tzinfo=UTC))  # 23:59 on the last day in Beijing
    await experts.run_scheduler()
    assert (await experts.client.get(f"{POOLS}/{filed['id']}", headers=experts.headers(region=SHANXI))).json()[
        "status"
    ] == "filed"
    experts.clock.set(datetime(2026, 3, 31, 16, 0, tzinfo=UTC))  # midnight, 2026-04-01 in Beijing
    await experts.run_scheduler()
    read = (await experts.client.get(f"{POOLS}/{filed['id']}", headers=experts.headers(region=SHANXI))).json()
    assert read["status"] == "expired"
    assert read["ended_at"] is not None


async def test_a_filing_names_only_known_experts_of_the_committees_series(experts: Experts) -> None:
    committee = await experts.committee()
    unknown = str(uuid.uuid4())
    problem(await _file(experts, committee, [unknown]), 400, "unknown_experts")
    teacher = await experts.create(series="higher_education_teachers", specialties=["pedagogy"], rank_held="senior")
    body = problem(await _file(experts, committee, [teacher["id"]]), 409, "member_series_mismatch")
    assert body["rule"] == "NA-2"
    # The series as the catalog names them (issue 13), not their codes.
    assert "（高等学校教师）不是评委会的系列（工程技术）" in str(body)
    problem(await _file(experts, uuid.uuid4(), [teacher["id"]]), 409, "committee_unknown")
