"""The national credit platform (NA-13, IN-2) is fed through the gateway's subscriptions (issue 17):
integrity's events say which records it shares and carry, sealed, what the platform needs."""

from __future__ import annotations

import pytest

from zhicheng_common.testing import resident_id

from .conftest import Integrity, create_record

pytestmark = pytest.mark.service


async def test_NA_13_a_fraud_record_is_marked_shared_and_carries_the_sealed_identifiers(
    integrity: Integrity, taiyuan_admin: dict[str, str]
) -> None:
    number = resident_id()
    fraud = await create_record(integrity.client, taiyuan_admin, subject_id_number=number, subject_name="赵六")
    decided = (await integrity.outbox(fraud["id"]))[0]["envelope"]["data"]
    assert decided["shared_with_credit_platform"] is True
    assert integrity.cipher.decrypt(decided["subject_name_sealed"]) == "赵六"
    assert integrity.cipher.decrypt(decided["subject_id_sealed"]) == number
    assert (decided["deciding_authority"], decided["decision_date"]) == ("太原市人力资源和社会保障局", "2026-11-20")
    # Neither the name nor the number travels in clear.
    assert "赵六" not in str(decided)
    assert number not in str(decided)


async def test_NA_13_other_records_are_not_shared_and_carry_no_identifiers(
    integrity: Integrity, taiyuan_admin: dict[str, str]
) -> None:
    misconduct = await create_record(integrity.client, taiyuan_admin, kind="staff_misconduct", effects={})
    decided = (await integrity.outbox(misconduct["id"]))[0]["envelope"]["data"]
    assert decided["shared_with_credit_platform"] is False
    assert decided["subject_name_sealed"] is None
    assert decided["subject_id_sealed"] is None


async def test_NA_13_withdrawing_a_fraud_record_tells_the_platform_with_its_kind(
    integrity: Integrity, taiyuan_admin: dict[str, str]
) -> None:
    fraud = await create_record(integrity.client, taiyuan_admin)
    appeal = await integrity.client.post(
        f"/api/v1/integrity/records/{fraud['id']}/appeals", json={"grounds": "申诉"}, headers=taiyuan_admin
    )
    decision = await integrity.client.post(
        f"/api/v1/integrity/records/{fraud['id']}/appeals/{appeal.json()['id']}/decision",
        json={"outcome": "withdrawn", "reason": "撤销"},
        headers=taiyuan_admin,
    )
    assert decision.status_code == 200, decision.text
    withdrawn = (await integrity.outbox(fraud["id"]))[-1]["envelope"]["data"]
    assert (withdrawn["kind"], withdrawn["shared_with_credit_platform"], withdrawn["outcome"]) == (
        "falsified_materials",
        True,
        "withdrawn",
    )
