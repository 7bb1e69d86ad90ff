"""Issue 12, attachments: the bytes live in PostgreSQL (every replica reads them, a restart keeps
them), and an upload is accepted only for an allowed media type whose magic bytes it carries."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from zhicheng_common.clock import ManualClock
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import assert_problem, serving
from zhicheng_intake.app import create_app
from zhicheng_intake.settings import IntakeSettings

from .conftest import BASE, MAX_ATTACHMENT, START, Intake, applicant_body, draft, upload
from .test_submission import count_rows

pytestmark = pytest.mark.service

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00This program cannot be run in DOS mode."


@asynccontextmanager
async def replica(settings: CommonSettings, scratch: Path) -> AsyncIterator[httpx.AsyncClient]:
    """Another intake process: same database, its own scratch directory (its own pod's emptyDir)."""
    app = create_app(
        settings.model_copy(update={"data_dir": scratch}),
        IntakeSettings(attachment_max_bytes=MAX_ATTACHMENT, scheduler_enabled=False),
        clock=ManualClock(START),
    )
    async with serving(app, "http://replica.test") as client:
        yield client


async def _upload(
    intake: Intake, headers: dict[str, str], content: bytes, media_type: str, name: str
) -> tuple[str, httpx.Response]:
    committee_id = await intake.open_committee()
    declaration_id = await draft(intake, applicant_body(committee_id), headers)
    response = await upload(intake.client, declaration_id, headers, "achievement_proof", name, content, media_type)
    return declaration_id, response


async def test_an_upload_on_one_replica_downloads_on_another(
    intake: Intake, intake_schema: CommonSettings, tmp_path: Path
) -> None:
    owner = intake.headers()
    async with replica(intake_schema, tmp_path / "pod-b") as other:
        declaration_id, uploaded = await _upload(intake, owner, PDF, "application/pdf", "职称证书.pdf")
        assert uploaded.status_code == 201, uploaded.text
        url = f"{BASE}/{declaration_id}/attachments/{uploaded.json()['id']}"
        served = await other.get(url, headers=owner)
    assert served.status_code == 200, served.text
    assert served.content == PDF
    assert served.headers["content-type"] == "application/pdf"
    assert not any((tmp_path / "pod-b").rglob("*" + uploaded.json()["id"] + "*"))  # nothing on a pod's disk


async def test_a_restart_keeps_the_files(intake: Intake, intake_schema: CommonSettings, tmp_path: Path) -> None:
    owner = intake.headers()
    async with replica(intake_schema, tmp_path / "before") as first:
        committee_id = await intake.open_committee()
        declaration_id = await draft(intake, applicant_body(committee_id), owner)
        uploaded = await upload(
            first, declaration_id, owner, "achievement_proof", "学历证书.png", b"\x89PNG\r\n\x1a\n scan", "image/png"
        )
        assert uploaded.status_code == 201, uploaded.text
    async with replica(intake_schema, tmp_path / "after") as restarted:
        served = await restarted.get(f"{BASE}/{declaration_id}/attachments/{uploaded.json()['id']}", headers=owner)
    assert served.status_code == 200, served.text
    assert served.content == b"\x89PNG\r\n\x1a\n scan"


async def test_an_exe_renamed_pdf_is_refused_and_nothing_is_stored(
    intake: Intake, intake_schema: CommonSettings
) -> None:
    declaration_id, response = await _upload(intake, intake.headers(), EXE, "application/pdf", "业绩证明.pdf")
    refused = assert_problem(response, 422, "attachment_content_mismatch")
    assert refused["errors"][0]["field"] == "body"
    assert await count_rows(intake_schema, "attachments", declaration_id=uuid.UUID(declaration_id)) == 0


@pytest.mark.parametrize(
    "media_type", ["application/x-msdownload", "text/html", "application/octet-stream", "", "application/" + "x" * 200]
)
async def test_a_type_outside_the_allow_list_is_415_not_500(intake: Intake, media_type: str) -> None:
    _, response = await _upload(intake, intake.headers(), PDF, media_type, "证明.pdf")
    assert_problem(response, 415, "attachment_type_not_allowed")


@pytest.mark.parametrize(
    ("media_type", "content", "stored_as"),
    [
        ("application/pdf", PDF, "application/pdf"),
        ("Application/PDF; charset=binary", PDF, "application/pdf"),
        ("image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        ("image/png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        ("application/ofd", b"PK\x03\x04\x14\x00OFD.xml", "application/ofd"),
    ],
)
async def test_allowed_types_with_their_magic_bytes_pass(
    intake: Intake, media_type: str, content: bytes, stored_as: str
) -> None:
    _, response = await _upload(intake, intake.headers(), content, media_type, "证明")
    assert response.status_code == 201, response.text
    assert response.json()["media_type"] == stored_as


async def test_an_attachment_kind_outside_the_reference_catalog_is_refused_listing_the_valid_ones(
    intake: Intake, intake_schema: CommonSettings
) -> None:
    committee_id = await intake.open_committee()
    headers = intake.headers()
    declaration_id = await draft(intake, applicant_body(committee_id), headers)

    response = await upload(intake.client, declaration_id, headers, "selfie", "自拍.pdf", PDF, "application/pdf")

    refused = assert_problem(response, 422, "unknown_attachment_kind")
    assert refused["errors"][0]["field"] == "kind"
    # The fourteen kinds of the reference catalog, in its order (GET /api/v1/reference/attachment-kinds).
    assert refused["errors"][0]["facts"]["valid"] == [
        "achievement_proof",
        "degree_certificate",
        "title_certificate_copy",
        "qualification_certificate",
        "skill_certificate",
        "assessment_record",
        "continuing_education_record",
        "employer_recommendation",
        "identity_document",
        "household_registration",
        "education_verification",
        "social_insurance_record",
        "no_criminal_record",
        "other",
    ]
    assert refused["detail"].startswith("附件类别不在参考数据中，可选：业绩成果材料、学历学位证书、现职称证书")
    assert await count_rows(intake_schema, "attachments", declaration_id=uuid.UUID(declaration_id)) == 0
