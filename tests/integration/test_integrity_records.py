"""Integrity records over the gateway: entered, published at once, read only within jurisdiction and
journaled, refused when malformed, and withdrawn on appeal with the history kept."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import nats
import pytest

from zhicheng_common.testing import wait_until

pytestmark = pytest.mark.integration

GATEWAY = "http://127.0.0.1:8000"
RECORDS = f"{GATEWAY}/api/v1/integrity/records"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id() -> str:
    noise = uuid.uuid4().int
    first17 = (
        f"140105{1960 + noise % 40}{1 + (noise >> 8) % 12:02d}{1 + (noise >> 16) % 28:02d}{(noise >> 24) % 1000:03d}"
    )
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def login(username: str, password: str) -> dict[str, str]:
    response = httpx.post(f"{GATEWAY}/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def clerk(
    system: Any, admin: dict[str, str], region: str, roles: list[str], *, id_number: str | None = None
) -> dict[str, str]:
    """A signed-in account; with ``id_number``, first bound by staff to that checked identity (issue 12)."""
    username = f"integrity-{region}-{uuid.uuid4().hex[:8]}"
    user = system.create_user(
        admin, username=username, password="Integrity-2026!", roles=roles, region=region, name=f"{region} 诚信管理"
    )
    if id_number is not None:
        bound = httpx.put(
            f"{GATEWAY}/api/v1/users/{user['id']}/bindings",
            json={"id_number": id_number, "reason": "本人持身份证到窗口核验"},
            headers=admin,
        )
        assert bound.status_code == 200, bound.text
    return login(username, "Integrity-2026!")


def record_body(number: str, **overrides: Any) -> dict[str, Any]:
    return {
        "subject_kind": "person",
        "subject_id_number": number,
        "subject_name": "王五",
        "kind": "falsified_materials",
        "facts": "申报材料中的获奖证书系伪造",
        "evidence": [],
        "deciding_authority": "太原市人力资源和社会保障局",
        "decision_date": "2026-11-20",
        "effects": {
            "bar_declaring": True,
            "bar_expert_draws": False,
            "revoke_certificate_number": None,
            "unit_sanction": None,
        },
        **overrides,
    }


async def test_a_decided_record_is_published_at_once_and_read_only_within_its_city(system: Any) -> None:
    admin = system.admin_headers()
    taiyuan = clerk(system, admin, "140100", ["hr_admin"])
    yuncheng = clerk(system, admin, "140800", ["hr_admin"])
    number = resident_id()

    nc = await nats.connect(system.env["ZC_NATS_URL"])
    try:
        js = nc.jetstream()
        prefix = system.env["ZC_EVENTS_PREFIX"]
        subscription = await js.pull_subscribe(f"{prefix}.integrity.record.decided", stream=prefix.upper())
        created = httpx.post(RECORDS, json=record_body(number), headers=taiyuan)
        assert created.status_code == 201, created.text
        record = created.json()

        async def published() -> dict[str, Any] | None:
            try:
                messages = await subscription.fetch(50, timeout=0.2)
            except TimeoutError:
                return None
            for message in messages:
                await message.ack()
                event: dict[str, Any] = json.loads(message.data)
                if event["data"]["record_id"] == record["id"]:
                    return event
            return None

        event = await wait_until(published, timeout=2.0, what="integrity.record.decided within a second or two")
        await subscription.unsubscribe()
    finally:
        await nc.close()
    assert event["data"]["effects"]["bar_declaring"] is True
    assert event["data"]["valid_until"] == "2029-11-20"
    assert event["region"] == "140100"
    assert number not in json.dumps(event)

    assert httpx.get(f"{RECORDS}/{record['id']}", headers=taiyuan).status_code == 200
    refused = httpx.get(f"{RECORDS}/{record['id']}", headers=yuncheng)
    assert refused.status_code == 403
    assert refused.json()["code"] == "outside_jurisdiction"
    listed = httpx.get(RECORDS, params={"limit": 200}, headers=yuncheng).json()
    assert record["id"] not in {item["id"] for item in listed["items"]}

    journal = httpx.get(f"{GATEWAY}/api/v1/integrity/journal", params={"limit": 1000}, headers=admin)
    assert journal.status_code == 200, journal.text
    actions = [(e["action"], e["region"]) for e in journal.json()["items"] if e["record_id"] in (record["id"], "*")]
    assert ("integrity.record.decided", "140100") in actions
    assert ("integrity.record.read", "140100") in actions
    assert ("integrity.record.listed", "140800") in actions


def test_bad_input_is_a_problem_over_the_gateway_and_nothing_is_stored(system: Any) -> None:
    admin = system.admin_headers()
    taiyuan = clerk(system, admin, "140100", ["hr_admin"])
    number = resident_id()
    cases = [
        (record_body(number, subject_kind="household"), "subject_kind"),
        (record_body(number[:-1] + ("0" if number[-1] != "0" else "1")), "subject_id_number"),
        (record_body(number, valid_until="2026-01-01"), "valid_until"),
    ]
    for body, field in cases:
        response = httpx.post(RECORDS, json=body, headers=taiyuan)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in response.json()["errors"]] == [field]
    found = httpx.post(f"{RECORDS}/search", json={"subject_id_number": number}, headers=taiyuan)
    assert found.status_code == 200
    assert found.json() == []


def test_an_appeal_withdrawn_record_keeps_its_history(system: Any) -> None:
    admin = system.admin_headers()
    taiyuan = clerk(system, admin, "140100", ["hr_admin"])
    number = resident_id()
    applicant = clerk(system, admin, "140100", ["applicant"], id_number=number)
    record = httpx.post(RECORDS, json=record_body(number), headers=taiyuan).json()

    appeal = httpx.post(
        f"{RECORDS}/{record['id']}/appeals",
        json={"grounds": "证书真实，附颁发单位证明", "subject_id_number": number},
        headers=applicant,
    )
    assert appeal.status_code == 201, appeal.text
    decided = httpx.post(
        f"{RECORDS}/{record['id']}/appeals/{appeal.json()['id']}/decision",
        json={"outcome": "withdrawn", "reason": "经核实证书真实"},
        headers=taiyuan,
    )
    assert decided.status_code == 200, decided.text

    mine = httpx.post(f"{GATEWAY}/api/v1/integrity/my-records", json={"subject_id_number": number}, headers=applicant)
    assert mine.status_code == 200, mine.text
    assert [(r["id"], r["status"], r["in_force"]) for r in mine.json()] == [(record["id"], "withdrawn", False)]
    detail = httpx.get(f"{RECORDS}/{record['id']}", headers=taiyuan).json()
    assert [h["action"] for h in detail["history"]] == ["decide", "appeal", "withdraw"]
