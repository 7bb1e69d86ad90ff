"""Intake and certificates (issue 16): the holder's identity sealed in the submitted event, and the
titles-held projection built from certificates' events (issued, revoked, superseded)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from zhicheng_common.pii import PiiCipher
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import assert_problem, publish_event, run_sql, wait_until

from .conftest import SHANXI, Intake, applicant_body, draft, submit

pytestmark = pytest.mark.service


async def test_the_submitted_event_carries_the_holder_sealed_for_the_certificate(
    intake: Intake, intake_schema: CommonSettings
) -> None:
    headers = intake.headers()
    committee = await intake.open_committee()
    body = applicant_body(committee)
    created = await intake.client.post("/api/v1/declarations", json=body, headers=headers)
    assert created.status_code == 201, created.text
    declaration_id = created.json()["id"]
    assert (await submit(intake, declaration_id, headers)).status_code == 200
    [(sealed, in_clear)] = await run_sql(
        intake_schema,
        "intake",
        "SELECT envelope->'data'->>'holder_sealed', envelope::text FROM intake.outbox WHERE envelope->>'subject' = :id",
        id=declaration_id,
    )
    holder = json.loads(PiiCipher(intake_schema.pii_key).decrypt(sealed))
    applicant = body["applicant"]
    assert holder == {"name": applicant["name"], "gender": applicant["gender"], "resident_id": applicant["id_number"]}
    assert applicant["id_number"] not in in_clear
    assert applicant["name"] not in in_clear


def _issued(number: str, holder_key: str) -> dict[str, Any]:
    return {
        "certificate_number": number,
        "licence_identifier": "1.2.156.3005.2.ZCZS001.11140000012345678E.1420260000001.001.L",
        "declaration_id": None,
        "holder_key": holder_key,
        "holder_name_sealed": "x",
        "series": "engineering",
        "specialty": "electrical",
        "level": "intermediate",
        "title_name": "工程师",
        "committee_id": None,
        "region": SHANXI,
        "year": 2026,
        "obtained_on": "2026-10-15",
        "issued_at": "2026-12-03T02:00:00Z",
        "status_list_index": 7,
        "basis": "qualification_correspondence",
    }


async def test_EL_9_titles_held_follow_the_certificates_issued_revoked_and_superseded(
    intake: Intake, intake_schema: CommonSettings
) -> None:
    holder_key = uuid.uuid4().hex + uuid.uuid4().hex
    first, second = "14-2026-0000001-6", "14-2026-0000002-4"

    async def statuses() -> dict[str, str]:
        rows = await run_sql(
            intake_schema,
            "intake",
            "SELECT certificate_number, status FROM intake.titles_held WHERE holder_key = :k",
            k=holder_key,
        )
        return dict(rows)

    for number in (first, second):
        await publish_event(
            intake.js, intake.prefix, "certificates.certificate.issued", _issued(number, holder_key),
            subject=number, region=SHANXI,
        )  # fmt: skip
    await wait_until(lambda: _both(statuses), timeout=10, what="titles projected")
    await publish_event(
        intake.js, intake.prefix, "certificates.certificate.revoked",
        {"certificate_number": first, "holder_key": holder_key, "region": SHANXI,
         "reason_category": "integrity_record", "record_id": str(uuid.uuid4()), "at": "2026-12-03T03:00:00Z"},
        subject=first, region=SHANXI,
    )  # fmt: skip
    await publish_event(
        intake.js, intake.prefix, "certificates.certificate.superseded",
        {"certificate_number": second, "holder_key": holder_key, "region": SHANXI,
         "superseded_by": "14-2026-0000003-2", "at": "2026-12-03T03:00:00Z"},
        subject=second, region=SHANXI,
    )  # fmt: skip

    async def moved() -> bool:
        return await statuses() == {first: "revoked", second: "superseded"}

    await wait_until(moved, timeout=10, what="titles revoked and superseded")


async def _both(statuses: Any) -> bool:
    return len(await statuses()) == 2


async def test_EL_9_submission_counts_levels_from_the_title_held_by_certificate_and_not_from_a_revoked_one(
    intake: Intake, intake_schema: CommonSettings
) -> None:
    """Declared 工程师 (intermediate), applying for 高级工程师 (associate_senior): one level up. The
    applicant already holds 高级工程师 by certificate: not a promotion (EL-9). Once that certificate
    is revoked it no longer counts, and the same declaration is accepted."""
    committee = await intake.open_committee()
    headers = intake.headers()
    body = applicant_body(committee)
    holder_key = PiiCipher(intake_schema.pii_key).keyed_hash(body["applicant"]["id_number"])
    number = "14-2023-0000005-8"
    title = _issued(number, holder_key) | {
        "level": "associate_senior",
        "title_name": "高级工程师",
        "obtained_on": "2023-06-01",
    }
    await publish_event(
        intake.js, intake.prefix, "certificates.certificate.issued", title, subject=number, region=SHANXI
    )

    async def projected() -> bool:
        rows = await run_sql(
            intake_schema, "intake", "SELECT status FROM intake.titles_held WHERE certificate_number = :n", n=number
        )
        return bool(rows)

    await wait_until(projected, timeout=10, what="title projected")
    declaration_id = await draft(intake, body, headers)
    refused = assert_problem(await submit(intake, declaration_id, headers), 409, "not_eligible")
    assert [(e["rule"], e["code"]) for e in refused["errors"]] == [("EL-9", "not_a_promotion")]
    assert refused["errors"][0]["facts"]["certificate_number"] == number

    await publish_event(
        intake.js, intake.prefix, "certificates.certificate.revoked",
        {"certificate_number": number, "holder_key": holder_key, "region": SHANXI,
         "reason_category": "integrity_record", "record_id": str(uuid.uuid4()), "at": "2026-12-03T03:00:00Z"},
        subject=number, region=SHANXI,
    )  # fmt: skip

    async def revoked() -> bool:
        rows = await run_sql(
            intake_schema, "intake", "SELECT status FROM intake.titles_held WHERE certificate_number = :n", n=number
        )
        return rows == [("revoked",)]

    await wait_until(revoked, timeout=10, what="title revoked")
    response = await submit(intake, declaration_id, headers)
    assert response.status_code == 200, response.text
