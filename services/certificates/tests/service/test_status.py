"""Status: revocation through an integrity record (IN-1) seen at once online and in the status list;
HR decisions (revoke, suspend, reinstate) with a reason category; the public list with its ETag."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from zhicheng_certificates.signing.domain import parse_published_keys
from zhicheng_certificates.verification.domain import CheckName, Outcome, verify_document
from zhicheng_common.testing import assert_problem

from .conftest import SHANXI, Certs, results_data

pytestmark = pytest.mark.service


async def issued(certs: Certs, name: str = "赵敏") -> tuple[str, dict[str, Any]]:
    holder = await certs.submitted(name=name, gender="female")
    await certs.holder_known(holder["declaration_id"])
    data = results_data([holder])
    await certs.publish("committees.results.confirmed", data, subject=data["meeting_id"])
    number: str = await certs.until(
        "SELECT number FROM certificates.certificates WHERE declaration_id = :d",
        "certificate issued",
        d=holder["declaration_id"],
    )
    return number, holder


def decided(record_id: uuid.UUID, subject_key: str, number: str) -> dict[str, Any]:
    return {
        "record_id": str(record_id),
        "subject_kind": "person",
        "subject_key": subject_key,
        "kind": "falsified_materials",
        "effects": {
            "bar_declaring": True,
            "bar_expert_draws": False,
            "revoke_certificate_number": number,
            "unit_sanction": None,
        },
        "valid_from": "2026-12-03",
        "valid_until": "2029-12-02",
        "rule_ids": ["IN-1", "IN-2"],
        "policy_pack": "shanxi-2024",
    }


async def _verify(certs: Certs, number: str, name: str) -> dict[str, Any]:
    response = await certs.client.post(
        "/api/v1/certificates/public/verifications/by-number", json={"number": number, "holder_name": name}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _status(body: dict[str, Any]) -> tuple[str, str]:
    check = next(c for c in body["checks"] if c["name"] == "status")
    return check["outcome"], check["code"]


async def _lists(certs: Certs) -> list[dict[str, Any]]:
    out = []
    for purpose in ("revocation", "suspension"):
        response = await certs.client.get(f"/api/v1/certificates/public/status/{purpose}")
        assert response.status_code == 200
        out.append(response.json())
    return out


async def test_IN_1_revocation_through_an_integrity_record_is_seen_online_and_in_the_status_list(certs: Certs) -> None:
    number, holder = await issued(certs)
    assert await _status(await _verify(certs, number, "赵敏")) == ("passed", "")
    record_id = uuid.uuid4()
    await certs.publish(
        "integrity.record.decided", decided(record_id, holder["applicant_key"], number), subject=str(record_id)
    )
    await certs.until("SELECT status = 'revoked' FROM certificates.certificates WHERE number = :n", "revoked", n=number)
    # Online: the very next verification.
    assert await _status(await _verify(certs, number, "赵敏")) == ("failed", "certificate_revocation")
    # Through the status list: the published, signed list says revoked at the certificate's index.
    keys, _ = parse_published_keys((await certs.client.get("/api/v1/certificates/public/keys")).json())
    sealed = await certs.scalar("SELECT document_sealed FROM certificates.certificates WHERE number = :n", n=number)
    import json

    document = json.loads(certs.cipher.decrypt(sealed))
    offline = verify_document(document, keys=keys, status_lists=await _lists(certs))
    assert offline.check(CheckName.STATUS).outcome is Outcome.FAILED
    assert offline.check(CheckName.STATUS).code == "certificate_revocation"
    assert offline.check(CheckName.SIGNATURE_SM2).outcome is Outcome.PASSED
    # The change is journaled and published with the record that decided it.
    event = await certs.scalar(
        "SELECT envelope->'data'->>'record_id' FROM certificates.outbox"
        " WHERE envelope->>'type' = 'cn.zhicheng.certificates.certificate.revoked.v1' AND envelope->>'subject' = :n",
        n=number,
    )
    assert event == str(record_id)
    category = await certs.scalar(
        "SELECT reason_category FROM certificates.status_changes c JOIN certificates.certificates x"
        " ON x.id = c.certificate_id WHERE x.number = :n",
        n=number,
    )
    assert category == "integrity_record"


async def test_status_list_is_cacheable_with_an_etag_that_changes_with_a_revocation(certs: Certs) -> None:
    number, _ = await issued(certs, name="钱进")
    first = await certs.client.get("/api/v1/certificates/public/status/revocation")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, no-cache"
    assert first.headers["content-type"].startswith("application/vc+json")
    unchanged = await certs.client.get("/api/v1/certificates/public/status/revocation", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    revoked = await certs.client.post(
        f"/api/v1/certificates/certificates/{number}/revocation",
        json={"reason_category": "falsification", "reason": "经查申报材料系伪造"},
        headers=certs.headers(),
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"
    changed = await certs.client.get("/api/v1/certificates/public/status/revocation", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    # A revoked certificate cannot be revoked again, suspended or reinstated: 409, nothing changes.
    again = await certs.client.post(
        f"/api/v1/certificates/certificates/{number}/suspension",
        json={"reason_category": "under_investigation", "reason": "调查"},
        headers=certs.headers(),
    )
    assert_problem(again, 409, "status_transition")


async def test_suspension_and_reinstatement_by_hr_decision(certs: Certs) -> None:
    number, _ = await issued(certs, name="孙立")
    suspended = await certs.client.post(
        f"/api/v1/certificates/certificates/{number}/suspension",
        json={"reason_category": "under_investigation", "reason": "收到举报，调查期间暂停"},
        headers=certs.headers(),
    )
    assert suspended.json()["status"] == "suspended"
    assert await _status(await _verify(certs, number, "孙立")) == ("failed", "certificate_suspension")
    reinstated = await certs.client.post(
        f"/api/v1/certificates/certificates/{number}/reinstatement",
        json={"reason_category": "investigation_closed", "reason": "调查结束"},
        headers=certs.headers(),
    )
    assert reinstated.json()["status"] == "valid"
    assert await _status(await _verify(certs, number, "孙立")) == ("passed", "")
    history = await certs.client.get(f"/api/v1/certificates/certificates/{number}", headers=certs.headers())
    assert [(h["action"], h["reason_category"]) for h in history.json()["history"]] == [
        ("suspend", "under_investigation"),
        ("reinstate", "investigation_closed"),
    ]


async def test_staff_outside_the_region_cannot_change_a_status_and_a_bad_category_is_refused(certs: Certs) -> None:
    number, _ = await issued(certs, name="周正")
    outside = await certs.client.post(
        f"/api/v1/certificates/certificates/{number}/revocation",
        json={"reason_category": "falsification", "reason": "x"},
        headers=certs.headers(region="530000"),
    )
    assert_problem(outside, 404, "certificate_not_found")
    wrong = await certs.client.post(
        f"/api/v1/certificates/certificates/{number}/revocation",
        json={"reason_category": "dislike", "reason": "x"},
        headers=certs.headers(),
    )
    assert_problem(wrong, 422, "validation_failed")
    applicant = await certs.client.post(
        f"/api/v1/certificates/certificates/{number}/revocation",
        json={"reason_category": "falsification", "reason": "x"},
        headers=certs.headers("applicant"),
    )
    assert_problem(applicant, 403, "role_required")
    assert await certs.scalar("SELECT status FROM certificates.certificates WHERE number = :n", n=number) == "valid"


async def test_a_not_passed_declaration_after_a_reexamination_loses_its_certificate(certs: Certs) -> None:
    number, holder = await issued(certs, name="吴凡")
    data = results_data([], not_passed=[str(holder["declaration_id"])], reexamination_id=str(uuid.uuid4()))
    await certs.publish("committees.results.confirmed", data, subject=data["meeting_id"], region=SHANXI)
    await certs.until(
        "SELECT status_reason_category = 'reexamination' FROM certificates.certificates WHERE number = :n",
        "revoked after re-examination",
        n=number,
    )


async def _revoked_on_a_record(certs: Certs, name: str) -> tuple[str, dict[str, Any], uuid.UUID]:
    number, holder = await issued(certs, name)
    record_id = uuid.uuid4()
    await certs.publish(
        "integrity.record.decided", decided(record_id, holder["applicant_key"], number), subject=str(record_id)
    )
    await certs.until("SELECT status = 'revoked' FROM certificates.certificates WHERE number = :n", "revoked", n=number)
    return number, holder, record_id


def withdrawn(record_id: uuid.UUID, subject_key: str, **changes: Any) -> dict[str, Any]:
    """``integrity.record.withdrawn`` v2 (docs/event-contracts.md)."""
    return {
        "record_id": str(record_id),
        "subject_kind": "person",
        "subject_key": subject_key,
        "outcome": "withdrawn",
        **changes,
    }


async def _reissued_as(certs: Certs, number: str) -> str:
    new: str = await certs.until(
        "SELECT superseded_by FROM certificates.certificates WHERE number = :n", "reissued", n=number
    )
    return new


async def test_IN_1_a_withdrawn_record_gives_the_title_back_as_a_new_certificate_the_revoked_number_stays_revoked(
    certs: Certs,
) -> None:
    number, holder, record_id = await _revoked_on_a_record(certs, "孙丽")
    await certs.publish(
        "integrity.record.withdrawn",
        withdrawn(record_id, holder["applicant_key"]),
        subject=str(record_id),
        version=2,
    )
    new = await _reissued_as(certs, number)
    assert new != number
    # The revoked number stays revoked (the W3C revocation list never clears a bit) and says where the title went.
    old_answer = await _verify(certs, number, "孙丽")
    assert await _status(old_answer) == ("failed", "certificate_revocation")
    status = next(c for c in old_answer["checks"] if c["name"] == "status")
    assert status["reason"] == f"证书已撤销，已换发新证书 {new}"
    # The new certificate: valid, both signatures, the same title, holder, committee and date obtained.
    new_answer = await _verify(certs, new, "孙丽")
    assert new_answer["valid"] is True, new_answer
    rows = {
        n: await certs.scalar(
            "SELECT json_build_object('series', series, 'specialty', specialty, 'level', level, 'title', title_name,"
            " 'committee', committee_id::text, 'obtained', obtained_on::text, 'holder', holder_key, 'basis', basis,"
            " 'supersedes', supersedes, 'status', status, 'declaration', declaration_id::text)"
            " FROM certificates.certificates WHERE number = :n",
            n=n,
        )
        for n in (number, new)
    }
    assert rows[new] == {
        "series": "engineering",
        "specialty": "electrical",
        "level": "senior",
        "title": "正高级工程师",
        "committee": "5b0e9f3c-1c1d-4b7e-9a51-0c7f2d6e8a01",
        "obtained": "2026-11-20",
        "holder": holder["applicant_key"],
        "basis": "evaluation",
        "supersedes": number,
        "status": "valid",
        "declaration": None,  # the declaration keeps its first certificate (one per declaration)
    }
    assert rows[number]["status"] == "revoked"
    # The revoked one's history says why, with the record; the new one was published as issued.
    history = await certs.scalar(
        "SELECT json_agg(json_build_object('action', c.action, 'to', c.to_status, 'why', c.reason_category,"
        " 'record', c.record_id::text) ORDER BY c.at, c.action DESC) FROM certificates.status_changes c"
        " JOIN certificates.certificates x ON x.id = c.certificate_id WHERE x.number = :n",
        n=number,
    )
    assert history == [
        {"action": "revoke", "to": "revoked", "why": "integrity_record", "record": str(record_id)},
        {"action": "reissued", "to": "revoked", "why": "integrity_record_withdrawn", "record": str(record_id)},
    ]
    published = await certs.scalar(
        "SELECT count(*) FROM certificates.outbox"
        " WHERE envelope->>'type' = 'cn.zhicheng.certificates.certificate.issued.v1' AND envelope->>'subject' = :n",
        n=new,
    )
    assert published == 1
    # Withdrawn again (a redelivery under another id): nothing more is issued.
    await certs.publish(
        "integrity.record.withdrawn", withdrawn(record_id, holder["applicant_key"]), subject=str(record_id), version=2
    )
    await _revoked_on_a_record(certs, "周强")  # a later event of the same stream has been applied
    again = await certs.scalar("SELECT count(*) FROM certificates.certificates WHERE supersedes = :n", n=number)
    assert again == 1


async def test_IN_1_a_record_changed_on_appeal_keeps_the_revocation_when_the_new_record_revokes_too(
    certs: Certs,
) -> None:
    kept, kept_holder, kept_record = await _revoked_on_a_record(certs, "吴刚")
    lifted, lifted_holder, lifted_record = await _revoked_on_a_record(certs, "郑爽")
    for record_id, holder, revokes in (
        (kept_record, kept_holder, kept),
        (lifted_record, lifted_holder, None),
    ):
        replacement = uuid.uuid4()
        await certs.publish(
            "integrity.record.withdrawn",
            withdrawn(record_id, holder["applicant_key"], outcome="changed", superseded_by=str(replacement)),
            subject=str(record_id),
            version=2,
        )
        data = decided(replacement, holder["applicant_key"], revokes or "")
        data["effects"]["revoke_certificate_number"] = revokes
        data["supersedes"] = str(record_id)
        await certs.publish("integrity.record.decided", data, subject=str(replacement))
    # The replacement that revokes nothing gives the title back; the one that revokes it too keeps it revoked.
    await _reissued_as(certs, lifted)
    assert await certs.scalar("SELECT superseded_by FROM certificates.certificates WHERE number = :n", n=kept) is None
    assert await _status(await _verify(certs, kept, "吴刚")) == ("failed", "certificate_revocation")
