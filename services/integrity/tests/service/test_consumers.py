"""review.integrity.requested (IN-1) opens a proposed record; HR staff decide it and its effects go out."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from zhicheng_common.events.envelope import CloudEvent
from zhicheng_common.events.streams import dead_letter_subject
from zhicheng_common.ids import uuid7
from zhicheng_common.pii import PiiCipher
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import assert_problem, resident_id, wait_until

from .conftest import TAIYUAN, Integrity

pytestmark = pytest.mark.service

FACTS = "资格审查发现学历证书系伪造"
DECIDED = "cn.zhicheng.integrity.record.decided.v1"


async def publish_request(
    nats_js: Any,
    settings: CommonSettings,
    *,
    applicant_key: str,
    region: str = TAIYUAN,
    event_id: str | None = None,
    facts: dict[str, str] | None = None,
) -> tuple[str, str]:
    """Publish review's request as review does: v2, the facts sealed with the PII key (issue 12).

    ``facts`` replaces the sealed field: ``{"facts": ...}`` is a v1 event with the text in clear.
    """
    declaration_id = str(uuid.uuid4())
    facts = facts if facts is not None else {"facts_sealed": PiiCipher(settings.pii_key).encrypt(FACTS)}
    envelope = CloudEvent(
        id=event_id or str(uuid7()),
        source="/zhicheng/review",
        type=f"cn.zhicheng.review.integrity.requested.v{2 if 'facts_sealed' in facts else 1}",
        subject=declaration_id,
        time=datetime(2026, 11, 22, 2, 0, tzinfo=UTC),
        data={"declaration_id": declaration_id, "applicant_key": applicant_key, **facts, "rule_ids": ["IN-1"]},
        region=region,
    )
    await nats_js.publish(
        f"{settings.events_prefix}.review.integrity.requested",
        json.dumps(envelope.model_dump(mode="json")).encode(),
        headers={"Nats-Msg-Id": f"{envelope.id}-{uuid.uuid4().hex[:6]}"},
    )
    return envelope.id, declaration_id


async def wait_dead_lettered(integrity: Integrity, settings: CommonSettings, nats_js: Any, event_id: str) -> None:
    """Wait until the request ``event_id`` lands on the consumer's dead-letter subject."""
    consumer = integrity.app.state.runtime.consumers[0]
    parked = await nats_js.pull_subscribe(
        dead_letter_subject(settings.events_prefix, consumer.durable), stream=settings.dead_letter_stream_name
    )

    async def dead_lettered() -> bool:
        try:
            messages = await parked.fetch(50, timeout=0.5)
        except TimeoutError:
            return False
        return any((m.headers or {}).get("Zc-Event-Id") == event_id for m in messages)

    await wait_until(dead_lettered, timeout=10, what=f"the dead letter of {event_id}")
    await parked.unsubscribe()


async def test_IN_1_review_request_opens_a_proposed_record_once_and_staff_decide_it(
    integrity: Integrity, taiyuan_admin: dict[str, str], zc_settings: CommonSettings, nats_js: Any
) -> None:
    number = resident_id()
    key = integrity.cipher.keyed_hash(number)
    event_id, declaration_id = await publish_request(nats_js, zc_settings, applicant_key=key)
    # The same event delivered again (e.g. the producer's relay retried past the duplicate window).
    await publish_request(nats_js, zc_settings, applicant_key=key, event_id=event_id)

    async def proposed() -> Any:
        return await integrity.scalar(
            "SELECT id FROM integrity.records WHERE source_event_id = :e AND status = 'proposed'", e=event_id
        )

    record_id = str(await wait_until(proposed, timeout=10, what="a proposed record from review"))
    await wait_until(
        lambda: integrity.scalar("SELECT count(*) FROM integrity.inbox WHERE event_id = :e", e=event_id),
        timeout=10,
        what="the inbox row",
    )
    assert await integrity.scalar("SELECT count(*) FROM integrity.records WHERE subject_key = :k", k=key) == 1
    assert await integrity.outbox(record_id) == []  # proposed: nothing barred yet

    detail = (await integrity.client.get(f"/api/v1/integrity/records/{record_id}", headers=taiyuan_admin)).json()
    assert (detail["source"], detail["declaration_id"], detail["region"]) == ("event", declaration_id, TAIYUAN)
    assert "IN-1" in detail["rule_ids"]

    wrong = await integrity.client.post(
        f"/api/v1/integrity/records/{record_id}/decision",
        json={
            "deciding_authority": "太原市人力资源和社会保障局",
            "decision_date": "2026-11-21",
            "subject_id_number": resident_id(),
        },
        headers=taiyuan_admin,
    )
    assert_problem(wrong, 400, "subject_mismatch")

    response = await integrity.client.post(
        f"/api/v1/integrity/records/{record_id}/decision",
        json={
            "deciding_authority": "太原市人力资源和社会保障局",
            "decision_date": "2026-11-21",
            "effects": {"bar_declaring": True},
            "subject_id_number": number,
            "subject_name": "李四",
        },
        headers=taiyuan_admin,
    )
    assert response.status_code == 200, response.text
    decided = response.json()
    assert (decided["status"], decided["valid_until"], decided["subject_name"]) == ("decided", "2029-11-21", "李四")
    events = await integrity.outbox(record_id)
    assert [e["type"] for e in events] == [DECIDED]
    assert events[0]["envelope"]["data"]["subject_key"] == key
    assert events[0]["envelope"]["data"]["declaration_id"] == declaration_id

    again = await integrity.client.post(
        f"/api/v1/integrity/records/{record_id}/decision",
        json={"deciding_authority": "x", "decision_date": "2026-11-21"},
        headers=taiyuan_admin,
    )
    assert_problem(again, 409, "invalid_record_status")


@pytest.mark.parametrize(
    ("applicant_key", "region"),
    [
        pytest.param("k" * 64, "nowhere", id="without_a_region"),
        # Beijing (110105): no shipped pack covers it in 2026 (the clock's year); Shanxi's must not be used.
        pytest.param("b" * 64, "110105", id="a_region_no_pack_covers"),
    ],
)
async def test_a_review_request_without_a_covered_region_is_dead_lettered_not_stored_under_another_pack(
    integrity: Integrity, zc_settings: CommonSettings, nats_js: Any, applicant_key: str, region: str
) -> None:
    event_id, _ = await publish_request(nats_js, zc_settings, applicant_key=applicant_key, region=region)
    await wait_dead_lettered(integrity, zc_settings, nats_js, event_id)
    assert await integrity.scalar("SELECT count(*) FROM integrity.records WHERE source_event_id = :e", e=event_id) == 0


async def test_unknown_pack_is_refused_when_a_proposed_record_is_decided(
    integrity: Integrity, taiyuan_admin: dict[str, str], zc_settings: CommonSettings, nats_js: Any
) -> None:
    number = resident_id()
    event_id, _ = await publish_request(nats_js, zc_settings, applicant_key=integrity.cipher.keyed_hash(number))

    async def proposed() -> Any:
        return await integrity.scalar(
            "SELECT id FROM integrity.records WHERE source_event_id = :e AND status = 'proposed'", e=event_id
        )

    record_id = str(await wait_until(proposed, timeout=10, what="a proposed record from review"))
    # Bound, when proposed, to the pack of its region (Taiyuan, 140100) for the year it arrived (2026).
    assert await integrity.scalar("SELECT policy_pack FROM integrity.records WHERE id = :id", id=record_id) == (
        "shanxi-2024"
    )
    async with integrity.database.engine.begin() as conn:
        await conn.execute(
            text("UPDATE integrity.records SET policy_pack = 'atlantis-2024' WHERE id = :id"), {"id": record_id}
        )

    response = await integrity.client.post(
        f"/api/v1/integrity/records/{record_id}/decision",
        json={"deciding_authority": "太原市人力资源和社会保障局", "decision_date": "2026-11-21"},
        headers=taiyuan_admin,
    )

    assert_problem(response, 422, "unknown_policy_pack")
    assert await integrity.scalar("SELECT status FROM integrity.records WHERE id = :id", id=record_id) == "proposed"
    assert await integrity.outbox(record_id) == []


async def _proposed_facts(integrity: Integrity, event_id: str) -> Any:
    async def facts() -> Any:
        return await integrity.scalar(
            "SELECT facts FROM integrity.records WHERE source_event_id = :e AND status = 'proposed'", e=event_id
        )

    return await wait_until(facts, timeout=10, what="a proposed record from review")


async def test_personal_data_sealed_facts_of_a_v2_request_are_opened_into_the_proposed_record(
    integrity: Integrity, zc_settings: CommonSettings, nats_js: Any
) -> None:
    event_id, _ = await publish_request(nats_js, zc_settings, applicant_key="c" * 64)
    assert await _proposed_facts(integrity, event_id) == FACTS


async def test_personal_data_a_v1_request_with_the_facts_in_clear_is_still_accepted(
    integrity: Integrity, zc_settings: CommonSettings, nats_js: Any
) -> None:
    event_id, _ = await publish_request(
        nats_js, zc_settings, applicant_key="d" * 64, facts={"facts": "业绩证明系他人代签"}
    )
    assert await _proposed_facts(integrity, event_id) == "业绩证明系他人代签"


async def test_personal_data_facts_sealed_under_another_key_are_dead_lettered_not_stored(
    integrity: Integrity, zc_settings: CommonSettings, nats_js: Any
) -> None:
    sealed = PiiCipher("another-deployment-key").encrypt(FACTS)
    event_id, _ = await publish_request(nats_js, zc_settings, applicant_key="e" * 64, facts={"facts_sealed": sealed})
    await wait_dead_lettered(integrity, zc_settings, nats_js, event_id)
    assert await integrity.scalar("SELECT count(*) FROM integrity.records WHERE source_event_id = :e", e=event_id) == 0
