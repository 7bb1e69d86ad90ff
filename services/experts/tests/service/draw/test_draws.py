"""The draw over HTTP with real PostgreSQL: ask, seed, sign, read, replace, refuse (issue 14)."""

from __future__ import annotations

import asyncio
import copy
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhicheng_common.cli import app as cli
from zhicheng_experts.draw.domain import Relationship
from zhicheng_experts.draw.evidence import verify_pack

from .conftest import (
    CIVIL_11_3,
    PREFIX,
    SEED,
    SHANXI,
    YUNNAN,
    Service,
    Signer,
    applicant,
    assert_problem,
    civil_pool,
    committed,
    drawn,
    expert,
    expert_id,
    pem,
    seeded,
    sign,
    signed,
    signers,
)

pytestmark = pytest.mark.service


def members_of(draw: dict[str, object]) -> list[str]:
    lots = draw["lots"]
    assert isinstance(lots, list)
    return [m for lot in lots for m in lot["members"]]


def alternates_of(draw: dict[str, object]) -> list[str]:
    lots = draw["lots"]
    assert isinstance(lots, list)
    return [m for lot in lots for m in lot["alternates"]]


async def test_EX_1_a_draw_signed_by_three_is_published_and_its_pack_reruns_offline(svc: Service) -> None:
    # 20 civil experts; 100 same unit as applicant 1, 101 related to applicant 2, 102 barred (NA-13).
    barred = [
        expert(100, unit_credit_code="A0001"),
        expert(101, relationships=(Relationship("spouse", "applicant-0002"),)),
        expert(102, integrity_bars=("record-9",)),
    ]
    meeting = svc.open_meeting(civil_pool(20) + barred, [applicant(1), applicant(2)])
    draw = await committed(svc, meeting)
    assert draw["status"] == "committed"
    assert (draw["eligible_count"], draw["excluded_count"]) == (20, 3)
    assert draw["lots"] is None
    assert len(draw["commitment"]) == 64

    draw = await seeded(svc, draw["draw_id"])
    assert draw["status"] == "drawn"
    members, alternates = members_of(draw), alternates_of(draw)
    assert (len(members), len(alternates)) == (11, 3)
    assert not {expert_id(100), expert_id(101), expert_id(102)} & set(members + alternates)
    assert await svc.outbox(str(meeting.meeting_id)) == []  # nothing published before signing

    people = signers(svc, meeting)
    for count, person in enumerate(people, start=1):
        response = await sign(svc, draw["draw_id"], person)
        assert response.status_code == 201, response.text
        assert response.json()["status"] == ("signed" if count == 3 else "drawn")

    (event,) = await svc.outbox(str(meeting.meeting_id))
    assert event["type"] == "cn.zhicheng.experts.panel.drawn.v1"
    data = event["data"]
    assert data["committee_id"] == str(meeting.committee_id)
    assert [m["expert_id"] for m in data["members"]] == members
    assert {m["specialty"] for m in data["members"]} == {"civil"}
    # Issue 15: each seat names the account its expert signs in with (none linked in this pool).
    assert {m["account_subject"] for m in data["members"]} == {None}
    assert [(a["expert_id"], a["order"]) for a in data["alternates"]] == list(zip(alternates, [1, 2, 3], strict=True))
    assert set(data) == {
        "committee_id", "meeting_id", "draw_id", "meeting_date", "algorithm", "snapshot_sha256", "members", "alternates"
    }  # fmt: skip

    pack = (await svc.client.get(f"{PREFIX}/draws/{draw['draw_id']}/evidence", headers=svc.as_role("auditor"))).json()
    keys = [p.key.public_key() for p in people]
    assert verify_pack(pack, keys).ok, verify_pack(pack, keys).checks
    assert [lot["members"] for lot in pack["result"]["lots"]] == [members]
    reasons = {e["expert_id"]: [r["code"] for r in e["reasons"]] for e in pack["audit"]["exclusions"]}
    assert reasons == {
        expert_id(100): ["same_unit_as_applicant"],
        expert_id(101): ["relationship_with_applicant"],
        expert_id(102): ["integrity_bar"],
    }
    # One changed byte of the seed, the secret or the result fails and names the check.
    for where, check in (("external_seed", "result"), ("secret", "commitment")):
        tampered = copy.deepcopy(pack)
        value = tampered[where]
        tampered[where] = value[:-1] + ("0" if value[-1] != "0" else "1")
        assert check in verify_pack(tampered, keys).failed

    actions = [a for a, _, _ in await svc.journal(draw["draw_id"])]
    assert actions[:3] == ["draw.committed", "draw.drawn", "draw.signed"]
    assert actions.count("draw.signed") == 3
    assert actions[-1] == "draw.evidence_read"


async def test_EX_1_a_seed_after_the_commitment_was_revealed_is_refused_and_journaled(svc: Service) -> None:
    meeting = svc.open_meeting(civil_pool(15))
    draw = await drawn(svc, meeting)
    again = await svc.client.post(
        f"{PREFIX}/draws/{draw['draw_id']}/seed",
        json={"external_seed": "another seed"},
        headers=svc.as_role("supervisor"),
    )
    body = assert_problem(again, 409, "commitment_revealed")
    assert body["rule"] == "EX-1"
    entries = await svc.journal(draw["draw_id"])
    assert entries[-1][:2] == ("draw.refused", ["EX-1"])
    assert entries[-1][2]["code"] == "commitment_revealed"
    # The result stayed as drawn.
    read = await svc.client.get(f"{PREFIX}/draws/{draw['draw_id']}", headers=svc.as_role("supervisor"))
    assert read.json()["external_seed"] == SEED


async def test_EX_1_a_second_draw_needs_a_recorded_reason_and_voids_the_first(svc: Service) -> None:
    meeting = svc.open_meeting(civil_pool(15))
    first = await drawn(svc, meeting)
    refused = await svc.client.post(meeting.path, json=CIVIL_11_3, headers=svc.office(meeting))
    body = assert_problem(refused, 409, "redraw_needs_reason")
    assert body["rule"] == "EX-1"
    entries = await svc.journal(str(meeting.meeting_id))
    facts = {"codes": ["redraw_needs_reason"], "meeting_id": str(meeting.meeting_id), "code": "redraw_needs_reason"}
    assert entries == [("draw.refused", ["EX-1"], facts)]

    second = await committed(svc, meeting, {**CIVIL_11_3, "reason": "两名抽中专家同日出差，经监督人员同意重新抽取"})
    listed = (
        await svc.client.get(f"{PREFIX}/meetings/{meeting.meeting_id}/draws", headers=svc.as_role("auditor"))
    ).json()
    assert [(d["draw_id"], d["status"], d["voided_by"]) for d in listed["items"]] == [
        (first["draw_id"], "voided", second["draw_id"]),
        (second["draw_id"], "committed", None),
    ]
    assert "draw.voided" in [a for a, _, _ in await svc.journal(first["draw_id"])]
    # A voided draw draws no more.
    late = await svc.client.post(
        f"{PREFIX}/draws/{first['draw_id']}/signatures",
        json={"public_key_pem": "x", "signature": "00" * 64},
        headers=svc.office(meeting),
    )
    assert_problem(late, 409, "not_drawn")


async def test_a_draw_larger_than_the_eligible_pool_is_pool_too_small_naming_the_shortfall(svc: Service) -> None:
    # 17 eligible civil experts; 11 members and 10 alternates need 21: 4 missing.
    meeting = svc.open_meeting([*civil_pool(17), expert(50, status="suspended")])
    response = await svc.client.post(
        meeting.path,
        json={"size": 11, "quotas": [{"specialty": "civil", "members": 11, "alternates": 10}]},
        headers=svc.office(meeting),
    )
    body = assert_problem(response, 409, "pool_too_small")
    assert "专业 civil 需21人，可抽取17人，缺4人" in body["detail"]
    assert [a for a, _, _ in await svc.journal(str(meeting.meeting_id))] == ["draw.refused"]


async def test_EX_2_a_draw_closer_to_the_meeting_than_five_working_days_is_refused(svc: Service) -> None:
    # Today Friday 1 November; a meeting on Thursday 7 November leaves 4 working days (4-7 Nov).
    meeting = svc.open_meeting(civil_pool(15), meeting_day=date(2024, 11, 7))
    body = assert_problem(
        await svc.client.post(meeting.path, json=CIVIL_11_3, headers=svc.office(meeting)), 409, "draw_too_late"
    )
    assert body["rule"] == "EX-2"
    assert [(a, r) for a, r, _ in await svc.journal(str(meeting.meeting_id))] == [("draw.refused", ["EX-2"])]
    # Friday 8 November: 5 working days (4-8 Nov) is enough.
    ok = svc.open_meeting(civil_pool(15), meeting_day=date(2024, 11, 8))
    draw = await committed(svc, ok)
    # The seed is entered too: a draw whose seed comes on Monday 4 November is late (EX-2).
    svc.clock.advance(timedelta(days=3))
    late = await svc.client.post(
        f"{PREFIX}/draws/{draw['draw_id']}/seed", json={"external_seed": SEED}, headers=svc.as_role("supervisor")
    )
    assert assert_problem(late, 409, "draw_too_late")["rule"] == "EX-2"


@pytest.mark.parametrize(
    ("size", "quota", "code", "rule"), [(12, 12, "members_not_odd", "NA-1"), (9, 9, "too_few_members", "NA-1")]
)
async def test_NA_1_the_panel_is_odd_and_at_least_the_packs_minimum(
    svc: Service, size: int, quota: int, code: str, rule: str
) -> None:
    # A senior committee formed per specialty: at least 11 (shanxi-2024), odd.
    meeting = svc.open_meeting(civil_pool(20))
    body = {"size": size, "quotas": [{"specialty": "civil", "members": quota, "alternates": 0}]}
    problem = assert_problem(await svc.client.post(meeting.path, json=body, headers=svc.office(meeting)), 409, code)
    assert problem["rule"] == rule
    assert [(a, r) for a, r, _ in await svc.journal(str(meeting.meeting_id))] == [("draw.refused", [rule])]


async def test_NA_2_only_the_office_supervisors_and_auditors_read_the_panel(svc: Service) -> None:
    meeting = svc.open_meeting(civil_pool(15))
    draw, _ = await signed(svc, meeting)
    path = f"{PREFIX}/draws/{draw['draw_id']}"
    other_office = svc.keys.headers(roles=["committee_office"], region=SHANXI, subject="o2", committees=[uuid.uuid4()])
    for headers in (
        svc.as_role("applicant"),
        svc.as_role("expert"),
        svc.as_role("hr_reviewer"),
        svc.as_role("hr_admin"),
        other_office,
        svc.as_role("auditor", YUNNAN),
        svc.as_role("supervisor", YUNNAN),
    ):
        for suffix in ("", "/evidence"):
            assert_problem(await svc.client.get(path + suffix, headers=headers), 403, "panel_not_readable")
        assert_problem(
            await svc.client.get(f"{PREFIX}/meetings/{meeting.meeting_id}/draws", headers=headers),
            403,
            "panel_not_readable",
        )
    for headers in (svc.office(meeting), svc.as_role("supervisor"), svc.as_role("auditor")):
        assert members_of((await svc.client.get(path, headers=headers)).json()) == members_of(draw)
    # The published commitment names no expert, whoever reads it.
    public = await svc.client.get(path + "/commitment", headers=svc.as_role("applicant"))
    assert public.status_code == 200
    assert "xp-" not in public.text
    assert public.json()["commitment"] == draw["commitment"]


async def test_NA_2_no_log_line_names_a_drawn_expert(svc_logging: Service, capsys: pytest.CaptureFixture[str]) -> None:
    svc = svc_logging
    meeting = svc.open_meeting(civil_pool(15))
    capsys.readouterr()
    draw, _ = await signed(svc, meeting)
    await svc.client.post(
        f"{PREFIX}/draws/{draw['draw_id']}/replacements",
        json={"expert_id": members_of(draw)[0], "reason": "declined", "note": "出差"},
        headers=svc.office(meeting),
    )
    captured = capsys.readouterr()
    logs = captured.out + captured.err
    assert "experts.draw.committed" in logs
    assert "experts.panel.drawn" in logs
    assert "xp-" not in logs


async def test_EX_1_signatures_are_verified_one_per_signer_and_key(svc: Service) -> None:
    meeting = svc.open_meeting(civil_pool(15))
    draw = await drawn(svc, meeting)
    path = f"{PREFIX}/draws/{draw['draw_id']}"
    first = Signer(svc.office(meeting, "drawer-1"))
    # A signature over something else is refused.
    wrong = first.key.sign(b"not the result").hex()
    response = await svc.client.post(
        path + "/signatures", json={"public_key_pem": pem(first.key), "signature": wrong}, headers=first.headers
    )
    assert assert_problem(response, 400, "signature_invalid")["rule"] == "EX-1"
    assert (await sign(svc, draw["draw_id"], first)).status_code == 201
    assert_problem(await sign(svc, draw["draw_id"], first), 409, "already_signed")
    # Another drawer with the first one's key adds nobody (the pack counts a key once).
    borrowed = Signer(svc.office(meeting, "drawer-2"), first.key)
    assert_problem(await sign(svc, draw["draw_id"], borrowed), 409, "key_already_used")
    # Who is neither the office nor a supervisor of the region does not sign.
    payload = await svc.client.get(path + "/signing-payload", headers=svc.as_role("auditor"))
    assert_problem(payload, 403, "not_committee_office")
    read = (await svc.client.get(path, headers=svc.as_role("auditor"))).json()
    assert (read["status"], len(read["signatures"]), read["signatures_needed"]) == ("drawn", 1, 3)


async def test_EX_1_a_declined_member_is_replaced_by_the_next_alternate_with_the_reason(svc: Service) -> None:
    meeting = svc.open_meeting(civil_pool(15))
    draw, _ = await signed(svc, meeting)
    members, alternates = members_of(draw), alternates_of(draw)
    path = f"{PREFIX}/draws/{draw['draw_id']}/replacements"
    response = await svc.client.post(
        path, json={"expert_id": members[3], "reason": "declined", "note": "住院"}, headers=svc.office(meeting)
    )
    assert response.status_code == 201, response.text
    after = response.json()
    assert members_of(after) == [*members[:3], alternates[0], *members[4:]]
    assert alternates_of(after) == alternates[1:]
    assert [(r["replaced"], r["replacement"], r["reason"], r["note"]) for r in after["replacements"]] == [
        (members[3], alternates[0], "declined", "住院")
    ]
    # A conflict needs its reason written (NA-9).
    unexplained = await svc.client.post(
        path, json={"expert_id": members[0], "reason": "conflicted"}, headers=svc.office(meeting)
    )
    assert assert_problem(unexplained, 409, "conflict_needs_note")["rule"] == "NA-9"
    conflicted = await svc.client.post(
        path,
        json={"expert_id": members[0], "reason": "conflicted", "note": "与申报人为师生关系"},
        headers=svc.office(meeting),
    )
    assert members_of(conflicted.json())[0] == alternates[1]
    events = await svc.outbox(str(meeting.meeting_id))
    assert [e["type"].split(".")[-2] for e in events] == ["drawn", "member_replaced", "member_replaced"]
    assert (events[1]["data"]["replaced"], events[1]["data"]["replacement"]) == (members[3], alternates[0])
    # Only the office of the committee replaces.
    assert_problem(
        await svc.client.post(
            path, json={"expert_id": members[1], "reason": "declined"}, headers=svc.as_role("supervisor")
        ),
        403,
        "not_committee_office",
    )


async def test_a_meeting_the_pool_does_not_know_is_not_open_for_a_draw(svc: Service) -> None:
    meeting = svc.open_meeting(civil_pool(15))
    unknown = f"{PREFIX}/committees/{meeting.committee_id}/meetings/{uuid.uuid4()}/draws"
    assert_problem(
        await svc.client.post(unknown, json=CIVIL_11_3, headers=svc.office(meeting)), 404, "meeting_not_open"
    )
    other = svc.keys.headers(roles=["committee_office"], region=SHANXI, subject="o3", committees=[uuid.uuid4()])
    assert_problem(await svc.client.post(meeting.path, json=CIVIL_11_3, headers=other), 403, "not_committee_office")


async def test_an_office_of_the_committee_acting_for_another_region_is_refused_as_outside_its_jurisdiction(
    svc: Service,
) -> None:
    meeting = svc.open_meeting(civil_pool(15))  # a meeting of Taiyuan (140100)
    yuncheng = svc.keys.headers(
        roles=["committee_office"], region="140800", subject="office-yc", committees=[meeting.committee_id]
    )
    refused = await svc.client.post(meeting.path, json=CIVIL_11_3, headers=yuncheng)
    assert_problem(refused, 403, "outside_jurisdiction")
    listed = await svc.client.get(f"{PREFIX}/meetings/{meeting.meeting_id}/draws", headers=svc.office(meeting))
    assert listed.json()["items"] == []  # no draw was asked for
    draw, _ = await signed(svc, meeting)
    path = f"{PREFIX}/draws/{draw['draw_id']}/replacements"
    replacing = {"expert_id": members_of(draw)[0], "reason": "declined"}
    assert_problem(await svc.client.post(path, json=replacing, headers=yuncheng), 403, "outside_jurisdiction")
    read = await svc.client.get(f"{PREFIX}/draws/{draw['draw_id']}", headers=svc.office(meeting))
    assert members_of(read.json()) == members_of(draw)
    assert read.json()["replacements"] == []


async def test_EX_1_two_offices_asking_at_once_get_one_draw_and_one_refusal(svc: Service) -> None:
    meeting = svc.open_meeting(civil_pool(15))
    first, second = await asyncio.gather(
        svc.client.post(meeting.path, json=CIVIL_11_3, headers=svc.office(meeting, "office-a")),
        svc.client.post(meeting.path, json=CIVIL_11_3, headers=svc.office(meeting, "office-b")),
    )
    assert sorted([first.status_code, second.status_code]) == [201, 409]
    refused = first if first.status_code == 409 else second
    assert_problem(refused, 409, "redraw_needs_reason")
    listed = (
        await svc.client.get(f"{PREFIX}/meetings/{meeting.meeting_id}/draws", headers=svc.as_role("auditor"))
    ).json()
    assert [d["status"] for d in listed["items"]] == ["committed"]


async def test_EX_1_zhicheng_draw_verify_reruns_the_served_pack_with_the_served_keys(
    svc: Service, tmp_path: Path
) -> None:
    meeting = svc.open_meeting(civil_pool(15), [applicant(1)])
    draw, _ = await signed(svc, meeting)
    auditor = svc.as_role("auditor")
    pack = await svc.client.get(f"{PREFIX}/draws/{draw['draw_id']}/evidence", headers=auditor)
    (tmp_path / "pack.json").write_bytes(pack.content)
    key_args: list[str] = []
    for n, signature in enumerate(
        (await svc.client.get(f"{PREFIX}/draws/{draw['draw_id']}", headers=auditor)).json()["signatures"]
    ):
        (tmp_path / f"k{n}.pem").write_text(signature["public_key_pem"])
        key_args += ["--key", str(tmp_path / f"k{n}.pem")]
    result = CliRunner().invoke(cli, ["draw", "verify", str(tmp_path / "pack.json"), *key_args])
    assert result.exit_code == 0, result.output
    assert f"civil: members {', '.join(members_of(draw))}" in result.output

    # One byte of an eligible expert's id in the snapshot changed: the snapshot's hash fails.
    text = pack.content.decode()
    first = members_of(draw)[0]
    tampered = text.replace(f'"id":"{first}"', f'"id":"{first[:-1]}x"', 1).replace(
        f'"id": "{first}"', f'"id": "{first[:-1]}x"', 1
    )
    assert sum(a != b for a, b in zip(tampered.encode(), text.encode(), strict=True)) == 1
    (tmp_path / "pack.json").write_text(tampered)
    result = CliRunner().invoke(cli, ["draw", "verify", str(tmp_path / "pack.json"), *key_args])
    assert result.exit_code == 1
    assert "FAILED  snapshot_hash" in result.output
