"""Helpers of the sitting and ballot tests: a pre-filed meeting with its qualified applicants and its
panel learnt over NATS (as review and experts send them), experts with their own tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from zhicheng_common.testing import publish_event, wait_until

from .conftest import PREFIX, SHANXI, Service
from .test_meetings import FIVE_BEFORE, MEETING, at, planned_meeting, pre_file


@dataclass
class Sitting:
    svc: Service
    js: Any
    prefix: str
    plan: dict[str, Any]
    meeting_id: str
    committee_id: str
    applicants: list[str] = field(default_factory=list)
    experts: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"{PREFIX}/meetings/{self.meeting_id}"

    def office(self) -> dict[str, str]:
        return self.svc.headers(["committee_office"], SHANXI)

    def expert(self, expert_id: str) -> dict[str, str]:
        """The expert's own token: its subject is the account the draw event names for the seat."""
        return self.svc.keys.headers(roles=["expert"], region=SHANXI, subject=account(expert_id))

    async def read(self) -> dict[str, Any]:
        response = await self.svc.client.get(f"{self.url}/sitting", headers=self.office())
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def sign_in(self, *experts: str) -> None:
        for e in experts:
            response = await self.svc.client.post(f"{self.url}/sign-in", headers=self.expert(e))
            assert response.status_code == 200, response.text

    async def open(self, chair: str | None = None) -> httpx.Response:
        return await self.svc.client.post(
            f"{self.url}/opening", json={"chair": chair or self.experts[0]}, headers=self.office()
        )

    async def groups_and_opinions(self, groups: dict[str, list[str]] | None = None) -> None:
        """Each applicant read by the first three experts (MT-2), who all write their opinion."""
        groups = groups or {a: self.experts[:3] for a in self.applicants}
        response = await self.svc.client.put(f"{self.url}/groups", json={"groups": groups}, headers=self.office())
        assert response.status_code == 200, response.text
        for applicant, members in groups.items():
            for e in members:
                response = await self.svc.client.post(
                    f"{self.url}/opinions",
                    json={"declaration_id": applicant, "score": 80, "text": f"{e}的评审意见"},
                    headers=self.expert(e),
                )
                assert response.status_code == 201, response.text

    async def recuse(self, expert_id: str, declaration_id: str, reason: str) -> httpx.Response:
        """The expert declares a recusal from the applicant (NA-9), with their own token."""
        return await self.svc.client.post(
            f"{self.url}/recusals",
            json={"declaration_id": declaration_id, "reason": reason},
            headers=self.expert(expert_id),
        )

    async def open_round(self, applicants: list[str] | None = None) -> httpx.Response:
        body = {"applicants": applicants} if applicants is not None else {}
        return await self.svc.client.post(f"{self.url}/rounds", json=body, headers=self.office())

    async def cast(self, number: int, expert_id: str, choices: dict[str, str], **extra: Any) -> httpx.Response:
        return await self.svc.client.post(
            f"{self.url}/rounds/{number}/ballots", json={"choices": choices, **extra}, headers=self.expert(expert_id)
        )

    async def close_round(self, number: int) -> httpx.Response:
        return await self.svc.client.post(f"{self.url}/rounds/{number}/closing", headers=self.office())

    async def tally(self, number: int) -> dict[str, Any]:
        response = await self.svc.client.get(f"{self.url}/rounds/{number}/tally", headers=self.office())
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def account(expert_id: str) -> str:
    return f"acct-{expert_id}"


def qualified_event(committee_id: str, declaration_id: str) -> dict[str, Any]:
    return {
        "declaration_id": declaration_id,
        "committee_id": committee_id,
        "applicant_key": "k" * 64,
        "applicant_name_sealed": "sealed",
        "year": 2024,
        "series": "engineering",
        "specialty": "electrical",
        "level": "senior",
        "rank": "senior",
        "kind": "normal",
        "employer_name": "某单位",
        "unit_key": "u" * 64,
        "region": SHANXI,
    }


async def sitting(
    svc: Service, js: Any, prefix: str, *, panel: int, applicants: int = 2, consent: bool = True, drawn: bool = True
) -> Sitting:
    """A 2024 meeting (11 Oct) pre-filed on 29 Sep unless ``consent`` is False, with ``applicants``
    qualified declarations from review and a panel of ``panel`` experts from experts, arranged on the
    meeting day."""
    plan, meeting_id = await planned_meeting(svc)
    committee_id = plan["committee_id"]
    s = Sitting(svc, js, prefix, plan, meeting_id, committee_id)
    if consent:
        svc.clock.set(at(FIVE_BEFORE))
        response = await pre_file(svc, meeting_id, FIVE_BEFORE)
        assert response.status_code == 200, response.text
    s.applicants = sorted(str(uuid.uuid4()) for _ in range(applicants))
    for declaration_id in s.applicants:
        await publish_event(
            js,
            prefix,
            "review.declaration.qualified",
            qualified_event(committee_id, declaration_id),
            subject=declaration_id,
            region=SHANXI,
            version=2,
        )
    s.experts = [f"e-{i:02d}-{uuid.uuid4().hex[:6]}" for i in range(1, panel + 1)]
    if drawn:
        await publish_event(
            js,
            prefix,
            "experts.panel.drawn",
            {
                "committee_id": committee_id,
                "meeting_id": meeting_id,
                "draw_id": str(uuid.uuid4()),
                "meeting_date": MEETING.isoformat(),
                "algorithm": "zc-draw-v1",
                "snapshot_sha256": "0" * 64,
                "members": [
                    {"expert_id": e, "specialty": "electrical", "account_subject": account(e)} for e in s.experts
                ],
                "alternates": [],
            },
            subject=meeting_id,
            region=SHANXI,
        )
    svc.clock.set(at(MEETING))

    async def arranged() -> bool:
        response = await svc.client.put(
            f"{s.url}/arrangement",
            json={"venue": "太原市小店区长风街1号", "remote": False, "forms": ["material_review", "defence"]},
            headers=s.office(),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return bool(body["applicants"] == s.applicants and len(body["panel"]) == (panel if drawn else 0))

    await wait_until(arranged, timeout=20, what="qualified applicants and panel in committees")
    return s


async def voting(svc: Service, js: Any, prefix: str, *, panel: int, applicants: int = 2) -> Sitting:
    """A sitting whose whole panel signed in, opened, with groups that wrote, ready for a round."""
    s = await sitting(svc, js, prefix, panel=panel, applicants=applicants)
    await s.sign_in(*s.experts)
    response = await s.open()
    assert response.status_code == 200, response.text
    await s.groups_and_opinions()
    return s


def day(d: date) -> str:
    return d.isoformat()
