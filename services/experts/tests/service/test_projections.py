"""Projections from committees', review's and integrity's events, and the frozen pool a draw reads:
recusal against the meeting's applicants (NA-9), integrity bars and disqualification (NA-13),
series and rank held (NA-2)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest

from zhicheng_common.policy import load_pack
from zhicheng_common.series import Rank
from zhicheng_experts.draw.domain import DrawParameters, eligibility
from zhicheng_experts.pool.repository import PoolSource, eligible_pool_snapshot

from .conftest import SHANXI, Experts, credit_code, problem, resident_id

pytestmark = pytest.mark.service

PARAMS = DrawParameters.from_pack(load_pack("shanxi-2024"))


async def _open_meeting(experts: Experts, committee: uuid.UUID, *, levels: list[str]) -> uuid.UUID:
    meeting_id, plan_id = uuid.uuid4(), uuid.uuid4()
    await experts.publish(
        "committees.plan.published",
        {"plan_id": str(plan_id), "committee_id": str(committee), "year": 2026, "meeting_dates": ["2026-06-18"]},
        subject=str(plan_id),
    )
    await experts.publish(
        "committees.meeting.pre_filed",
        {
            "committee_id": str(committee),
            "meeting_id": str(meeting_id),
            "plan_id": str(plan_id),
            "meeting_date": "2026-06-18",
            "filed_on": "2026-05-20",
            "region": SHANXI,
            "applicant_count": 2,
            "series": "engineering",
            "levels": levels,
            "policy_pack": "shanxi-2024",
        },
        subject=str(meeting_id),
    )
    await experts.until("SELECT 1 FROM experts.meeting_views WHERE meeting_id = :m", "meeting open", m=meeting_id)
    return meeting_id


async def _file_pool(
    experts: Experts, committee: uuid.UUID, expert_ids: list[str], *, valid_until: str = "2029-03-01"
) -> httpx.Response:
    """The province files the committee's pool of ``expert_ids`` from 2 March 2026; the answer as it comes."""
    body = {"committee_id": str(committee), "valid_from": "2026-03-02", "valid_until": valid_until}
    return await experts.client.post(
        "/api/v1/experts/pools", json={**body, "expert_ids": expert_ids}, headers=experts.headers(region=SHANXI)
    )


async def _filed_pool(experts: Experts, committee: uuid.UUID, expert_ids: list[str]) -> None:
    filed = await _file_pool(experts, committee, expert_ids)
    assert filed.status_code == 201, filed.text


async def _qualified(
    experts: Experts, committee: uuid.UUID, *, applicant_key: str, unit_key: str, year: int = 2026
) -> None:
    declaration_id = uuid.uuid4()
    await experts.publish(
        "review.declaration.qualified",
        {
            "declaration_id": str(declaration_id),
            "committee_id": str(committee),
            "applicant_key": applicant_key,
            "unit_key": unit_key,
            "applicant_name": "申报人",
            "year": year,
            "series": "engineering",
            "specialty": "electrical",
            "level": "senior",
            "rank": "senior",
            "kind": "normal",
            "employer_name": "某单位",
            "region": SHANXI,
        },
        subject=str(declaration_id),
    )
    await experts.until(
        "SELECT 1 FROM experts.applicant_views WHERE declaration_id = :d", "applicant projected", d=declaration_id
    )


def _decided(record_id: uuid.UUID, subject_key: str, *, kind: str, bars: bool = True) -> dict[str, Any]:
    return {
        "record_id": str(record_id),
        "subject_kind": "person",
        "subject_key": subject_key,
        "kind": kind,
        "effects": {
            "bar_declaring": False,
            "bar_expert_draws": bars,
            "revoke_certificate_number": None,
            "unit_sanction": None,
        },
        "valid_from": "2026-01-10",
        "valid_until": "2029-01-09",
        "rule_ids": ["IN-2", "NA-13"],
        "policy_pack": "shanxi-2024",
    }


async def _reasons(experts: Experts, committee: uuid.UUID, meeting: uuid.UUID) -> dict[str, set[str]]:
    async with experts.database.unit_of_work() as session:
        frozen = await eligible_pool_snapshot(session, committee, meeting, frozen_on=date(2026, 6, 1))
    assert frozen is not None
    sorted_pool = eligibility(
        meeting=frozen.meeting,
        filing=frozen.filing,
        experts=frozen.experts,
        applicants=frozen.applicants,
        frozen_on=date(2026, 6, 1),
        params=PARAMS,
    )
    out = {c.id: set() for c in sorted_pool.eligible}
    out.update({e.expert_id: {r.code for r in e.reasons} for e in sorted_pool.excluded})
    return out


async def test_NA_9_NA_13_NA_2_the_frozen_pool_carries_every_exclusion_fact(experts: Experts) -> None:
    committee = await experts.committee()
    applicant_number, applicant_unit = resident_id(), credit_code()
    applicant_key = experts.cipher.keyed_hash(applicant_number)
    clean = await experts.create()
    same_unit = await experts.create(unit_credit_code=applicant_unit)
    spouse = await experts.create(relationships=[{"kind": "spouse", "other_resident_id": applicant_number}])
    barred = await experts.create()
    misconduct = await experts.create()
    associate = await experts.create(rank_held="associate_senior")
    ids = [e["id"] for e in (clean, same_unit, spouse, barred, misconduct, associate)]
    await _filed_pool(experts, committee, ids)
    meeting = await _open_meeting(experts, committee, levels=["senior"])
    await _qualified(
        experts, committee, applicant_key=applicant_key, unit_key=experts.cipher.keyed_hash(applicant_unit)
    )
    bar_record, misconduct_record = uuid.uuid4(), uuid.uuid4()
    await experts.publish(
        "integrity.record.decided",
        _decided(bar_record, barred["resident_id_key"], kind="falsified_materials"),
        subject=str(bar_record),
    )
    await experts.publish(
        "integrity.record.decided",
        _decided(misconduct_record, misconduct["resident_id_key"], kind="expert_misconduct"),
        subject=str(misconduct_record),
    )
    await experts.until(
        "SELECT count(*) = 2 FROM experts.integrity_bars WHERE record_id IN (:a, :b)",
        "both bars projected",
        a=bar_record,
        b=misconduct_record,
    )
    reasons = await _reasons(experts, committee, meeting)
    assert reasons == {
        clean["id"]: set(),
        same_unit["id"]: {"same_unit_as_applicant"},
        spouse["id"]: {"relationship_with_applicant"},
        barred["id"]: {"integrity_bar"},
        misconduct["id"]: {"integrity_bar", "expert_disqualified"},
        associate["id"]: {"level_not_held"},  # a 正高 evaluation needs 正高 (NA-2)
    }
    read = await experts.client.get(f"/api/v1/experts/experts/{misconduct['id']}", headers=experts.headers())
    assert read.json()["status"] == "disqualified"
    assert (await experts.client.get(f"/api/v1/experts/experts/{barred['id']}", headers=experts.headers())).json()[
        "status"
    ] == "active"  # a bar without expert misconduct excludes from draws, status kept

    # Withdrawn on appeal: bar lifted and status given back; expired: bar lifted, status stays lost.
    await experts.publish(
        "integrity.record.withdrawn",
        {
            "record_id": str(misconduct_record),
            "subject_kind": "person",
            "subject_key": misconduct["resident_id_key"],
            "reason": "申诉成立",
            "outcome": "withdrawn",
        },
        subject=str(misconduct_record),
    )
    await experts.publish(
        "integrity.record.expired",
        {
            "record_id": str(bar_record),
            "subject_kind": "person",
            "subject_key": barred["resident_id_key"],
            "valid_until": "2029-01-09",
        },
        subject=str(bar_record),
    )
    await experts.until(
        "SELECT count(*) = 2 FROM experts.integrity_bars WHERE record_id IN (:a, :b) AND NOT in_force",
        "both bars ended",
        a=bar_record,
        b=misconduct_record,
    )
    reasons = await _reasons(experts, committee, meeting)
    assert reasons[barred["id"]] == set()
    assert reasons[misconduct["id"]] == set()


async def test_NA_13_an_expert_entered_after_a_misconduct_record_starts_disqualified(experts: Experts) -> None:
    number = resident_id()
    record_id = uuid.uuid4()
    await experts.publish(
        "integrity.record.decided",
        _decided(record_id, experts.cipher.keyed_hash(number), kind="expert_misconduct"),
        subject=str(record_id),
    )
    await experts.until("SELECT 1 FROM experts.integrity_bars WHERE record_id = :r", "bar projected", r=record_id)
    created = await experts.create(resident_id=number)
    assert created["status"] == "disqualified"
    committee = await experts.committee()
    refused = await _file_pool(experts, committee, [created["id"]], valid_until="2027-03-01")
    assert problem(refused, 409, "member_disqualified")["rule"] == "NA-13"


async def test_the_end_of_a_record_never_decided_here_is_parked_not_dropped(experts: Experts) -> None:
    record_id = uuid.uuid4()
    number = resident_id()
    # The withdrawal arrives first (e.g. replayed out of order): parked, then applied once the
    # decision arrives, so the bar does not stay in force.
    await experts.publish(
        "integrity.record.withdrawn",
        {
            "record_id": str(record_id),
            "subject_kind": "person",
            "subject_key": "x",
            "reason": "撤销",
            "outcome": "withdrawn",
        },
        subject=str(record_id),
    )
    await experts.publish(
        "integrity.record.decided",
        _decided(record_id, experts.cipher.keyed_hash(number), kind="falsified_materials"),
        subject=str(record_id),
    )
    await experts.until(
        "SELECT 1 FROM experts.integrity_bars WHERE record_id = :r AND NOT in_force",
        "the parked end applied",
        r=record_id,
    )


async def test_the_snapshot_is_none_for_a_meeting_not_open_for_a_draw(experts: Experts) -> None:
    committee = await experts.committee()
    async with experts.database.unit_of_work() as session:
        assert await eligible_pool_snapshot(session, committee, uuid.uuid4(), frozen_on=date(2026, 6, 1)) is None


async def test_the_draw_reads_the_meetings_jurisdiction_pack_and_the_drawn_experts_addresses(experts: Experts) -> None:
    committee = await experts.committee()
    with_mail = await experts.create(email="wang@example.cn")
    without = await experts.create()
    await _filed_pool(experts, committee, [with_mail["id"], without["id"]])
    meeting = await _open_meeting(experts, committee, levels=["associate_senior"])
    source = PoolSource()
    async with experts.database.unit_of_work() as session:
        frozen = await source.eligible_pool_snapshot(session, committee, meeting, frozen_on=date(2026, 6, 1))
        emails = await source.contact_emails(session, [with_mail["id"], without["id"]])
    assert frozen is not None
    assert (frozen.region, frozen.policy_pack) == (SHANXI, "shanxi-2024")
    assert frozen.meeting.evaluation_ranks == (Rank.ASSOCIATE_SENIOR,)
    assert frozen.meeting.committee_level == "senior"
    assert sorted(e.id for e in frozen.experts) == sorted([with_mail["id"], without["id"]])
    assert emails == {with_mail["id"]: "wang@example.cn"}


async def test_NA_9_a_relationship_declared_by_keyed_hash_recuses_only_for_the_meetings_year(experts: Experts) -> None:
    committee = await experts.committee()
    this_year, last_year = resident_id(), resident_id()
    co_author = await experts.create(
        relationships=[{"kind": "co_author", "other_key": experts.cipher.keyed_hash(this_year)}]
    )
    old_colleague = await experts.create(relationships=[{"kind": "teacher_student", "other_resident_id": last_year}])
    await _filed_pool(experts, committee, [co_author["id"], old_colleague["id"]])
    meeting = await _open_meeting(experts, committee, levels=["senior"])
    await _qualified(experts, committee, applicant_key=experts.cipher.keyed_hash(this_year), unit_key="")
    # An applicant of the committee's 2025 evaluation is not one of this meeting's (its plan is 2026).
    await _qualified(experts, committee, applicant_key=experts.cipher.keyed_hash(last_year), unit_key="", year=2025)
    reasons = await _reasons(experts, committee, meeting)
    assert reasons == {co_author["id"]: {"relationship_with_applicant"}, old_colleague["id"]: set()}
