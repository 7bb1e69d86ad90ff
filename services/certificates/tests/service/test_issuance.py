"""Issuance on committees.results.confirmed: one certificate per passed applicant, exactly once; both
signatures verify with independent implementations; a changed byte fails both; keys and rotation."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from zhicheng_certificates.certificate.repository import CertificateRepository
from zhicheng_certificates.certificate.service import open_document
from zhicheng_certificates.signing.domain import parse_published_keys
from zhicheng_certificates.verification.domain import verify_document
from zhicheng_common.events.streams import dead_letter_subject
from zhicheng_common.testing import resident_id, wait_until

from .conftest import SHANXI, Certs, results_data
from .independent import ed25519_verifies, sm2_verifies

pytestmark = pytest.mark.service


async def _confirmed(certs: Certs, holders: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    data = results_data(holders, **changes)
    await certs.publish("committees.results.confirmed", data, subject=data["meeting_id"])
    return data


async def _certificate_of(certs: Certs, declaration_id: uuid.UUID) -> str:
    number: str = await certs.until(
        "SELECT number FROM certificates.certificates WHERE declaration_id = :d", "certificate issued", d=declaration_id
    )
    return number


async def _published_keys(certs: Certs) -> dict[str, Any]:
    response = await certs.client.get("/api/v1/certificates/public/keys")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_CE_1_NA_16_results_confirmed_issue_one_signed_certificate_per_passed_applicant(
    certs: Certs, tmp_path: Path
) -> None:
    first = await certs.submitted(name="欧阳明华")
    second = await certs.submitted(name="李华", gender="female")
    for holder in (first, second):
        await certs.holder_known(holder["declaration_id"])
    await _confirmed(certs, [first, second])
    numbers = [await _certificate_of(certs, h["declaration_id"]) for h in (first, second)]
    # Numbers PP-YYYY-SSSSSSS-C: Shanxi 14, issued in 2026, serials in order; the check characters
    # come from ISO 7064 MOD 37,36 over the 13 digits (worked in tests/unit/test_numbers.py).
    assert [n[:8] for n in numbers] == ["14-2026-", "14-2026-"]
    serials = [int(n[8:15]) for n in numbers]
    assert serials[1] == serials[0] + 1
    keys = await _published_keys(certs)
    jwk = keys["jwks"]["keys"][0]
    sm2 = keys["sm2"]["keys"][0]
    async with certs.database.unit_of_work() as session:
        rows = [await CertificateRepository(session).by_number(n) for n in numbers]
    for row, holder in zip(rows, (first, second), strict=True):
        assert row is not None
        document = open_document(certs.app.state.context, row)
        subject = document["credential"]["credentialSubject"]
        assert (subject["name"], subject["gender"], subject["residentId"]) == (
            holder["name"],
            holder["gender"],
            holder["resident_id"],
        )
        assert subject["title"]["name"] == "正高级工程师"
        assert subject["title"]["approval"]["documentNumber"] == "晋人社职字〔2026〕12号"
        assert document["credential"]["issuer"]["name"] == "山西省人力资源和社会保障厅"
        # Independent implementations: gmalg and openssl (SM2/SM3), openssl (Ed25519).
        assert sm2_verifies(tmp_path, document, sm2) == (True, True)
        assert ed25519_verifies(tmp_path, document, jwk)
        assert row.status_list_index >= 0
        assert row.resident_id_masked == holder["resident_id"][:6] + "********" + holder["resident_id"][-4:]
    # The event went out through the outbox, the holder sealed, the number as the subject.
    outbox = await certs.scalar(
        "SELECT count(*) FROM certificates.outbox"
        " WHERE envelope->>'type' = 'cn.zhicheng.certificates.certificate.issued.v1'"
        " AND envelope->>'subject' = ANY(:n) AND envelope->'data'->>'holder_name_sealed' IS NOT NULL",
        n=numbers,
    )
    assert outbox == 2


async def test_results_confirmed_twice_still_one_certificate_per_applicant(certs: Certs) -> None:
    holder = await certs.submitted()
    await certs.holder_known(holder["declaration_id"])
    confirmation = uuid.uuid4()
    first = await _confirmed(certs, [holder], confirmation_id=confirmation)
    await _certificate_of(certs, holder["declaration_id"])
    # Redelivered as a new message (another event id, same confirmation), and a later confirmation
    # (a re-examination) naming the same declaration again: nothing is issued twice.
    await certs.publish("committees.results.confirmed", first, subject=first["meeting_id"])
    later = await _confirmed(certs, [holder], reexamination_id=str(uuid.uuid4()))
    marker = await certs.submitted()
    await certs.holder_known(marker["declaration_id"])
    await _confirmed(certs, [marker], meeting_id=later["meeting_id"])
    await _certificate_of(certs, marker["declaration_id"])  # applied after the two repeats (same meeting)
    count = await certs.scalar(
        "SELECT count(*) FROM certificates.certificates WHERE declaration_id = :d", d=holder["declaration_id"]
    )
    assert count == 1


async def test_a_result_naming_an_unknown_declaration_is_parked_until_its_holder_is_known(certs: Certs) -> None:
    number = resident_id()
    declaration_id = uuid.uuid4()
    holder = {"declaration_id": declaration_id, "applicant_key": certs.cipher.keyed_hash(number)}
    await _confirmed(certs, [holder])
    parked = await certs.scalar(
        "SELECT count(*) FROM certificates.certificates WHERE declaration_id = :d", d=declaration_id
    )
    assert parked == 0
    data = {
        "declaration_id": str(declaration_id),
        "applicant_key": holder["applicant_key"],
        "applicant_name_sealed": certs.cipher.encrypt("王芳"),
        "holder_sealed": certs.cipher.encrypt(json.dumps({"name": "王芳", "gender": "female", "resident_id": number})),
        "region": SHANXI,
    }
    await certs.publish("intake.declaration.submitted", data, subject=str(declaration_id), version=2)
    await _certificate_of(certs, declaration_id)


async def test_one_byte_changed_in_a_stored_certificate_fails_both_signatures_and_says_which(certs: Certs) -> None:
    holder = await certs.submitted(name="张伟")
    await certs.holder_known(holder["declaration_id"])
    await _confirmed(certs, [holder])
    number = await _certificate_of(certs, holder["declaration_id"])
    context = certs.app.state.context
    sealed = await certs.scalar("SELECT document_sealed FROM certificates.certificates WHERE number = :n", n=number)
    document = json.loads(context.cipher.decrypt(sealed))
    text = json.dumps(document, ensure_ascii=False)
    assert text.count("正高级工程师") == 1
    changed = text.replace("正高级工程师", "正高级工程帅")  # 师 → 帅: one character of the title
    await certs.execute(
        "UPDATE certificates.certificates SET document_sealed = :d WHERE number = :n",
        d=context.cipher.encrypt(changed),
        n=number,
    )
    answer = await certs.client.post(
        "/api/v1/certificates/public/verifications/by-number", json={"number": number, "holder_name": "张伟"}
    )
    assert answer.status_code == 200, answer.text
    checks = {c["name"]: (c["outcome"], c["code"]) for c in answer.json()["checks"]}
    assert answer.json()["valid"] is False
    assert checks["signature_sm2"] == ("failed", "sm2_signature_invalid")
    assert checks["signature_ed25519"] == ("failed", "ed25519_signature_invalid")
    assert checks["status"] == ("passed", "")
    # The same verdict offline, from the stored bytes alone.
    keys, _ = parse_published_keys(await _published_keys(certs))
    offline = verify_document(json.loads(changed), keys=keys, status_lists=())
    assert [c.outcome.value for c in offline.checks][1:3] == ["failed", "failed"]


async def _dead_letter_of(certs: Certs, event_id: str) -> dict[str, str]:
    """The headers of ``event_id``'s dead letter on the committees durable's subject (bounded wait)."""
    runtime = certs.app.state.runtime
    consumer = next(c for c in runtime.consumers if c.durable.endswith("-committees"))
    parked = await certs.js.pull_subscribe(
        dead_letter_subject(certs.prefix, consumer.durable), stream=runtime.common.dead_letter_stream_name
    )
    found: dict[str, str] = {}

    async def dead_lettered() -> bool:
        try:
            messages = await parked.fetch(50, timeout=0.5)
        except TimeoutError:
            return False
        found.update(
            next((dict(m.headers or {}) for m in messages if (m.headers or {}).get("Zc-Event-Id") == event_id), {})
        )
        return bool(found)

    await wait_until(dead_lettered, timeout=10, what=f"the dead letter of {event_id}")
    await parked.unsubscribe()
    return found


@pytest.mark.parametrize("specialty", ["null", "absent", "empty"])
async def test_a_passed_entry_without_a_specialty_dead_letters_the_confirmation_saying_where_and_issues_nothing(
    certs: Certs, specialty: str
) -> None:
    """docs/event-contracts.md: ``specialty`` is required in every ``passed`` entry (a certificate states it)."""
    good, bad = await certs.submitted(name="张伟"), await certs.submitted(name="王芳", gender="female")
    for holder in (good, bad):
        await certs.holder_known(holder["declaration_id"])
    data = results_data([good, bad])
    if specialty == "absent":
        del data["passed"][1]["specialty"]
    else:
        data["passed"][1]["specialty"] = None if specialty == "null" else ""
    event_id = await certs.publish("committees.results.confirmed", data, subject=data["meeting_id"])
    headers = await _dead_letter_of(certs, event_id)
    assert "passed.1.specialty" in headers["Zc-Error"]
    assert "docs/event-contracts.md" in headers["Zc-Error"]
    issued = await certs.scalar(
        "SELECT count(*) FROM certificates.certificates WHERE declaration_id IN (:a, :b)",
        a=good["declaration_id"],
        b=bad["declaration_id"],
    )
    assert issued == 0
