"""The sitting of a meeting: opening only with consent (CM-8), a drawn panel (EX-1), a quorum (MT-1,
NA-7) and a chair; review groups of at least 3 (MT-2, NA-8) whose opinions stay independent; recusal
(NA-9). The applicants and the panel come over NATS from review and experts."""

from __future__ import annotations

from typing import Any

import pytest

from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import assert_problem

from .conftest import Service
from .sitting import Sitting, sitting

pytestmark = pytest.mark.service


@pytest.fixture
def prefix(zc_settings: CommonSettings) -> str:
    return zc_settings.events_prefix


async def assert_still_scheduled(s: Sitting) -> None:
    """A refused opening stored nothing: still scheduled, no opened entry, no event."""
    assert (await s.read())["status"] == "scheduled"
    assert not [a for a, _, _ in await s.svc.journal(s.meeting_id) if a == "committee.meeting.opened"]
    assert await s.svc.events(s.meeting_id, "meeting.opened") == []


async def test_MT_1_a_panel_of_21_does_not_open_with_13_attending_and_opens_with_14(
    svc: Service, nats_js: Any, prefix: str
) -> None:
    s = await sitting(svc, nats_js, prefix, panel=21)
    await s.sign_in(*s.experts[:13])
    # 2/3 × 21 = 14 exactly: 13 is one short.
    body = assert_problem(await s.open(), 409, "quorum_not_met", "MT-1")
    assert "attending" in {e["field"] for e in body["errors"]}
    await assert_still_scheduled(s)
    assert (await s.read())["quorum"] == 14

    await s.sign_in(s.experts[13])
    response = await s.open()
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["members"]) == ("open", 21)
    [event] = await svc.events(s.meeting_id, "meeting.opened")
    assert (event["data"]["members"], event["data"]["attending"]) == (21, 14)
    assert event["data"]["plan_id"] == s.plan["id"]


async def test_CM_8_without_the_pre_meeting_consent_the_meeting_does_not_open(
    svc: Service, nats_js: Any, prefix: str
) -> None:
    s = await sitting(svc, nats_js, prefix, panel=9, consent=False)
    await s.sign_in(*s.experts)
    assert_problem(await s.open(), 409, "pre_meeting_consent_missing", "CM-8")
    await assert_still_scheduled(s)


async def test_EX_1_without_a_drawn_panel_the_meeting_does_not_open(svc: Service, nats_js: Any, prefix: str) -> None:
    s = await sitting(svc, nats_js, prefix, panel=9, drawn=False)
    assert_problem(await s.open("e-01"), 409, "panel_not_drawn", "EX-1")
    await assert_still_scheduled(s)


async def test_MT_1_only_a_drawn_member_signs_in_with_their_own_token(svc: Service, nats_js: Any, prefix: str) -> None:
    s = await sitting(svc, nats_js, prefix, panel=9)
    outsider = svc.keys.headers(roles=["expert"], region="140000", subject="acct-someone-else")
    assert_problem(await svc.client.post(f"{s.url}/sign-in", headers=outsider), 409, "not_a_member", "MT-1")
    # The office cannot sign an expert in: the route wants the expert's own token.
    response = await svc.client.post(f"{s.url}/sign-in", headers=s.office())
    assert response.status_code == 403
    await s.sign_in(s.experts[0], s.experts[0])  # twice: one row
    assert (await s.read())["attending"] == [s.experts[0]]


async def test_NA_1_the_chair_attends(svc: Service, nats_js: Any, prefix: str) -> None:
    s = await sitting(svc, nats_js, prefix, panel=9)
    await s.sign_in(*s.experts[:8])
    assert_problem(await s.open(s.experts[8]), 409, "chair_not_attending", "NA-1")
    await assert_still_scheduled(s)


async def test_MT_2_each_applicant_needs_three_readers_and_opinions_stay_hidden_until_all_wrote(
    svc: Service, nats_js: Any, prefix: str
) -> None:
    s = await sitting(svc, nats_js, prefix, panel=9, applicants=1)
    await s.sign_in(*s.experts)
    assert (await s.open()).status_code == 200
    [applicant] = s.applicants
    a, b, c = s.experts[:3]
    body = assert_problem(
        await svc.client.put(f"{s.url}/groups", json={"groups": {applicant: [a, b]}}, headers=s.office()),
        409,
        "group_too_small",
        "MT-2",
    )
    assert "3" in body["detail"]
    assert (await s.read())["groups"] == {}

    response = await svc.client.put(f"{s.url}/groups", json={"groups": {applicant: [a, b, c]}}, headers=s.office())
    assert response.status_code == 200, response.text
    for expert, score in ((a, 81), (b, 72)):
        response = await svc.client.post(
            f"{s.url}/opinions",
            json={"declaration_id": applicant, "score": score, "text": f"意见{score}"},
            headers=s.expert(expert),
        )
        assert response.status_code == 201, response.text
    # b wrote; c has not: b sees only their own opinion, and so does the office (nothing of a's).
    seen = (await svc.client.get(f"{s.url}/opinions/{applicant}", headers=s.expert(b))).json()
    assert (seen["complete"], [o["score"] for o in seen["items"]]) == (False, [72])
    office = (await svc.client.get(f"{s.url}/opinions/{applicant}", headers=s.office())).json()
    assert office["items"] == []
    # A second opinion of b, and one by an expert outside the group, are refused.
    assert_problem(
        await svc.client.post(
            f"{s.url}/opinions", json={"declaration_id": applicant, "score": 1, "text": "改"}, headers=s.expert(b)
        ),
        409,
        "opinion_already_written",
        "MT-2",
    )
    assert_problem(
        await svc.client.post(
            f"{s.url}/opinions",
            json={"declaration_id": applicant, "score": 1, "text": "x"},
            headers=s.expert(s.experts[5]),
        ),
        409,
        "not_in_group",
        "MT-2",
    )
    response = await svc.client.post(
        f"{s.url}/opinions", json={"declaration_id": applicant, "score": 90, "text": "意见90"}, headers=s.expert(c)
    )
    assert response.status_code == 201
    seen = (await svc.client.get(f"{s.url}/opinions/{applicant}", headers=s.expert(b))).json()
    assert (seen["complete"], sorted(o["score"] for o in seen["items"])) == (True, [72, 81, 90])


async def test_NA_8_no_round_opens_before_every_group_wrote(svc: Service, nats_js: Any, prefix: str) -> None:
    s = await sitting(svc, nats_js, prefix, panel=9, applicants=1)
    await s.sign_in(*s.experts)
    assert (await s.open()).status_code == 200
    assert_problem(await s.open_round(), 409, "opinions_incomplete", "NA-8")
    assert (await s.read())["rounds"] == []


async def test_NA_9_a_recusal_is_recorded_and_its_expert_writes_no_opinion(
    svc: Service, nats_js: Any, prefix: str
) -> None:
    s = await sitting(svc, nats_js, prefix, panel=9, applicants=1)
    await s.sign_in(*s.experts)
    assert (await s.open()).status_code == 200
    [applicant] = s.applicants
    e = s.experts[2]
    response = await s.recuse(e, applicant, "与申报人同一单位")
    assert response.status_code == 200, response.text
    assert response.json()["recusals"] == [{"declaration_id": applicant, "expert_id": e}]
    assert ("committee.meeting.recused", account(e)) in [(a, who) for a, who, _ in await svc.journal(s.meeting_id)]
    # A group holding the recused expert is refused (NA-9).
    assert_problem(
        await svc.client.put(f"{s.url}/groups", json={"groups": {applicant: s.experts[:3]}}, headers=s.office()),
        409,
        "recused_in_group",
        "NA-9",
    )


def account(expert_id: str) -> str:
    return f"acct-{expert_id}"


async def test_EX_1_a_replacement_updates_the_panel_and_one_of_a_superseded_draw_is_ignored(
    svc: Service, nats_js: Any, prefix: str
) -> None:
    from zhicheng_common.testing import publish_event, wait_until

    s = await sitting(svc, nats_js, prefix, panel=9)
    draw_id = await svc.scalar(
        "SELECT draw_id::text FROM committees.meeting_panels WHERE meeting_id = :m", m=s.meeting_id
    )
    newcomer = "e-newcomer"
    members = [{"expert_id": e, "specialty": "electrical"} for e in [*s.experts[:8], newcomer]]

    def replaced(draw: str, seats: list[dict[str, str]]) -> dict[str, Any]:
        return {
            "committee_id": s.committee_id,
            "meeting_id": s.meeting_id,
            "draw_id": draw,
            "specialty": "electrical",
            "replaced": s.experts[8],
            "replacement": newcomer,
            "reason": "declined",
            "members": seats,
        }

    stale = [{"expert_id": "e-stale", "specialty": "electrical"}]
    await publish_event(
        nats_js, prefix, "experts.panel.member_replaced", replaced("00000000-0000-4000-8000-000000000000", stale),
        subject=s.meeting_id, region="140000",
    )  # fmt: skip
    await publish_event(
        nats_js, prefix, "experts.panel.member_replaced", replaced(str(draw_id), members),
        subject=s.meeting_id, region="140000",
    )  # fmt: skip

    async def panel_now() -> bool:
        return bool((await s.read())["panel"] == [*s.experts[:8], newcomer])

    await wait_until(panel_now, timeout=20, what="the replacement in the panel")
    # A seat without an account is held by the token whose subject is the expert id itself.
    response = await svc.client.post(
        f"{s.url}/sign-in", headers=svc.keys.headers(roles=["expert"], region="140000", subject=newcomer)
    )
    assert response.status_code == 200, response.text
    assert newcomer in response.json()["attending"]


async def test_MT_4_a_meeting_on_site_names_its_venue_and_its_forms_are_the_rule_s(
    svc: Service, nats_js: Any, prefix: str
) -> None:
    s = await sitting(svc, nats_js, prefix, panel=9)
    no_venue = await svc.client.put(
        f"{s.url}/arrangement", json={"remote": False, "forms": ["defence"]}, headers=s.office()
    )
    assert_problem(no_venue, 422, "validation_failed")
    unknown_form = await svc.client.put(
        f"{s.url}/arrangement", json={"venue": "会议室", "forms": ["karaoke"]}, headers=s.office()
    )
    assert unknown_form.status_code == 422
    remote = await svc.client.put(
        f"{s.url}/arrangement", json={"remote": True, "forms": ["personal_report", "defence"]}, headers=s.office()
    )
    assert remote.status_code == 200, remote.text
    assert (remote.json()["remote"], remote.json()["forms"]) == (True, ["personal_report", "defence"])


async def test_NA_7_the_meeting_closes_only_with_no_round_open_and_says_so(
    svc: Service, nats_js: Any, prefix: str
) -> None:
    from .sitting import voting

    s = await voting(svc, nats_js, prefix, panel=9, applicants=1)
    assert (await s.open_round()).status_code == 201
    assert_problem(await svc.client.post(f"{s.url}/closing", headers=s.office()), 409, "round_still_open", "NA-7")
    for e in s.experts:
        assert (await s.cast(1, e, {s.applicants[0]: "yes"})).status_code == 201
    assert (await s.close_round(1)).status_code == 200
    response = await svc.client.post(f"{s.url}/closing", headers=s.office())
    assert response.status_code == 200, response.text
    [event] = await svc.events(s.meeting_id, "meeting.closed")
    assert (event["data"]["members"], event["data"]["attending"]) == (9, 9)
    assert_problem(await svc.client.post(f"{s.url}/sign-in", headers=s.expert(s.experts[0])), 409, "meeting_closed")
