"""Across services, over the gateway: HR recognizes a title (certificates issues and signs it), HR
decides an integrity record that revokes it (IN-1), and within one second the next verification and
the published status list both say revoked — certificates never calls integrity."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest

from zhicheng_common.testing import resident_id

from .test_intake_integrity_bar import GATEWAY, token

pytestmark = pytest.mark.integration

CERTIFICATES = f"{GATEWAY}/api/v1/certificates"


def _status(headers: dict[str, str], number: str, name: str) -> tuple[str, str]:
    answer = httpx.post(
        f"{CERTIFICATES}/public/verifications/by-number", json={"number": number, "holder_name": name}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    check = next(c for c in answer.json()["checks"] if c["name"] == "status")
    return check["outcome"], check["code"]


def _revocation_bit(headers: dict[str, str], index: int) -> bool:
    from zhicheng_certificates.status.domain import decode_status_list

    listed = httpx.get(f"{CERTIFICATES}/public/status/revocation", headers=headers)
    assert listed.status_code == 200, listed.text
    bits = decode_status_list(listed.json()["credentialSubject"]["encodedList"])
    assert not hasattr(bits, "code"), bits
    return bits.get(index)  # type: ignore[union-attr]


async def test_IN_1_a_revoking_integrity_record_is_seen_online_and_in_the_status_list_within_a_second(
    system: Any,
) -> None:
    admin = system.admin_headers()
    password = "Hr-Staff-2026!"
    hr = f"hr.{uuid.uuid4().hex[:8]}"
    system.create_user(admin, username=hr, password=password, roles=["hr_admin"], region="140000", name="省人社厅")
    hr_headers = token(hr, password)
    person = resident_id()
    recognized = httpx.post(
        f"{CERTIFICATES}/recognitions",
        json={
            "basis": "qualification_correspondence",
            "holder": {"name": "李华", "gender": "female", "resident_id": person},
            "qualification": "first_class_constructor",
            "obtained_on": "2026-10-15",
            "approving_authority": "山西省人力资源和社会保障厅",
            "document_number": "晋人社职字〔2026〕31号",
        },
        headers=hr_headers,
    )
    assert recognized.status_code == 201, recognized.text
    number, index = recognized.json()["number"], recognized.json()["status_list_index"]
    assert _status(hr_headers, number, "李华") == ("passed", "")
    assert _revocation_bit(hr_headers, index) is False

    system.decide_integrity_record(
        hr_headers,
        person=person,
        name="李华",
        kind="falsified_materials",
        facts="以伪造的资格证书取得职称",
        effects={"bar_declaring": True, "revoke_certificate_number": number},  # type: ignore[dict-item]
    )
    decided = time.monotonic()
    while _status(hr_headers, number, "李华") != ("failed", "certificate_revocation"):
        assert time.monotonic() - decided < 1.0, "not revoked online within one second"
        time.sleep(0.02)
    while not _revocation_bit(hr_headers, index):
        assert time.monotonic() - decided < 1.0, "not revoked in the status list within one second"
        time.sleep(0.02)
