"""Intake's own request-size limit (issue 11 §3): ZC_MAX_REQUEST_BYTES for every route,
ZC_MAX_UPLOAD_BYTES for the attachment upload; 413 ``payload_too_large`` before the route runs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys, assert_problem, serving
from zhicheng_intake.app import create_app
from zhicheng_intake.settings import IntakeSettings

from .conftest import TAIYUAN

pytestmark = pytest.mark.service

LIMIT = 2048
UPLOAD_LIMIT = 4096


@pytest.fixture
async def limited(
    intake_schema: CommonSettings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    common = intake_schema.model_copy(update={"max_request_bytes": LIMIT, "max_upload_bytes": UPLOAD_LIMIT})
    settings = IntakeSettings(scheduler_enabled=False)
    app = create_app(common, settings)
    async with serving(app, "http://t") as client:
        yield client


async def chunked(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 256):
        yield body[start : start + 256]


def json_of(size: int) -> bytes:
    return b'{"x":"' + b"a" * (size - 8) + b'"}'


async def test_a_declaration_body_over_the_limit_is_refused_with_413(
    limited: httpx.AsyncClient, zc_keys: TestKeys
) -> None:
    headers = {**zc_keys.headers(roles=["applicant"], region=TAIYUAN), "content-type": "application/json"}
    under = await limited.post("/api/v1/declarations", content=json_of(LIMIT), headers=headers)
    assert_problem(under, 422, "validation_failed")  # read in full and validated
    for content in (json_of(LIMIT + 1), chunked(json_of(LIMIT + 1))):
        response = await limited.post("/api/v1/declarations", content=content, headers=headers)
        assert assert_problem(response, 413, "payload_too_large")["detail"] == f"请求内容超过上限 {LIMIT} 字节"


async def test_an_attachment_gets_the_upload_allowance(limited: httpx.AsyncClient, zc_keys: TestKeys) -> None:
    headers = zc_keys.headers(roles=["applicant"], region=TAIYUAN)
    url = f"/api/v1/declarations/{uuid.uuid4()}/attachments?name=a.pdf&kind=achievement_proof"
    passes = await limited.post(url, content=chunked(b"%" * UPLOAD_LIMIT), headers=headers)
    assert_problem(passes, 404, "not_found")  # read in full; no such declaration
    refused = await limited.post(url, content=chunked(b"%" * (UPLOAD_LIMIT + 1)), headers=headers)
    assert assert_problem(refused, 413, "payload_too_large")["detail"] == f"请求内容超过上限 {UPLOAD_LIMIT} 字节"
