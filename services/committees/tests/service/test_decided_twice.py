"""Decided twice (issue 12): a committee filing is decided once, whatever arrives at the same moment."""

from __future__ import annotations

import asyncio

import pytest

from zhicheng_common.testing import assert_problem

from .conftest import Service, apply, decide

pytestmark = pytest.mark.service

APPROVED = "cn.zhicheng.committees.committee.approved.v1"
REJECTED = "cn.zhicheng.committees.committee.rejected.v1"


async def decision_events(svc: Service, committee_id: str) -> list[str]:
    return [e["type"] for e in await svc.events(committee_id) if e["type"] in (APPROVED, REJECTED)]


async def test_decided_twice_two_concurrent_approvals_of_one_filing_approve_it_once(svc: Service) -> None:
    filing = await apply(svc)
    first, second = await asyncio.gather(decide(svc, filing["id"]), decide(svc, filing["id"]))
    statuses = sorted([first.status_code, second.status_code])
    assert statuses == [200, 409], (first.text, second.text)
    loser = first if first.status_code == 409 else second
    body = assert_problem(loser, 409, "filing_already_decided")
    # Names the step it found already decided and its outcome, as the catalog names them (issue 13).
    assert "的核准步骤已处理（已核准）" in body["detail"]
    assert "filing_decision" not in body["detail"]
    assert "approved" not in body["detail"]
    assert await decision_events(svc, filing["committee_id"]) == [APPROVED]
    entries = [a for a, _, _ in await svc.journal(filing["id"]) if a.startswith("committee.filing.")]
    assert entries.count("committee.filing.approved") == 1


async def test_decided_twice_an_approval_and_a_rejection_at_once_leave_exactly_one_decision(svc: Service) -> None:
    filing = await apply(svc)
    approve, reject = await asyncio.gather(decide(svc, filing["id"]), decide(svc, filing["id"], approve=False))
    assert sorted([approve.status_code, reject.status_code]) == [200, 409], (approve.text, reject.text)
    winner = approve if approve.status_code == 200 else reject
    events = await decision_events(svc, filing["committee_id"])
    assert events == ([APPROVED] if winner is approve else [REJECTED])
    entries = [a for a, _, _ in await svc.journal(filing["id"])]
    decided = [a for a in entries if a in ("committee.filing.approved", "committee.filing.rejected")]
    assert len(decided) == 1
