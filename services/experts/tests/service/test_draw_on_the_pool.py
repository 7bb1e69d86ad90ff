"""The draw wired to the pool: experts entered and filed over HTTP, the meeting, its applicants and
an integrity record arriving as events, then a draw for the meeting (NA-9, NA-13 in the pack)."""

from __future__ import annotations

import uuid

import pytest

from .conftest import SHANXI, Experts, credit_code, resident_id
from .test_projections import _decided, _open_meeting, _qualified

pytestmark = pytest.mark.service


async def test_NA_9_NA_13_a_draw_on_the_filed_pool_leaves_out_the_applicants_unit_and_the_barred(
    experts: Experts,
) -> None:
    committee = await experts.committee()
    applicant_unit = credit_code()
    # 29 filed experts: one of the applicant's unit, one under an integrity bar; 27 eligible for a
    # per-series panel of 25 with 2 alternates.
    same_unit = await experts.create(unit_credit_code=applicant_unit)
    barred = await experts.create()
    others = [await experts.create() for _ in range(27)]
    ids = [e["id"] for e in (same_unit, barred, *others)]
    filed = await experts.client.post(
        "/api/v1/experts/pools",
        json={
            "committee_id": str(committee),
            "valid_from": "2026-03-02",
            "valid_until": "2029-03-01",
            "expert_ids": ids,
        },
        headers=experts.headers(region=SHANXI),
    )
    assert filed.status_code == 201, filed.text
    meeting = await _open_meeting(experts, committee, levels=["senior"])
    await _qualified(
        experts,
        committee,
        applicant_key=experts.cipher.keyed_hash(resident_id()),
        unit_key=experts.cipher.keyed_hash(applicant_unit),
    )
    record = uuid.uuid4()
    await experts.publish(
        "integrity.record.decided",
        _decided(record, barred["resident_id_key"], kind="falsified_materials"),
        subject=str(record),
    )
    await experts.until("SELECT 1 FROM experts.integrity_bars WHERE record_id = :r", "bar projected", r=record)

    office = experts.keys.headers(roles=["committee_office"], region=SHANXI, subject="office", committees=[committee])
    body = {"size": 25, "quotas": [{"specialty": "electrical", "members": 25, "alternates": 2}]}
    asked = await experts.client.post(
        f"/api/v1/experts/committees/{committee}/meetings/{meeting}/draws", json=body, headers=office
    )
    assert asked.status_code == 201, asked.text
    assert (asked.json()["eligible_count"], asked.json()["excluded_count"]) == (27, 2)
    supervisor = experts.keys.headers(roles=["supervisor"], region=SHANXI, subject="supervisor")
    drawn = await experts.client.post(
        f"/api/v1/experts/draws/{asked.json()['draw_id']}/seed",
        json={"external_seed": "2026-03-01 01 02 03"},
        headers=supervisor,
    )
    assert drawn.status_code == 200, drawn.text
    (lot,) = drawn.json()["lots"]
    assert set(lot["members"]) | set(lot["alternates"]) == {e["id"] for e in others}
    pack = (
        await experts.client.get(f"/api/v1/experts/draws/{asked.json()['draw_id']}/evidence", headers=supervisor)
    ).json()
    reasons = {e["expert_id"]: [r["code"] for r in e["reasons"]] for e in pack["audit"]["exclusions"]}
    assert reasons == {same_unit["id"]: ["same_unit_as_applicant"], barred["id"]: ["integrity_bar"]}
