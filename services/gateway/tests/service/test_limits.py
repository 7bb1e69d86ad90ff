"""The gateway's request-size limit and its streamed forwarding (issue 11 §3), with intake behind it.

ZC_MAX_REQUEST_BYTES is 4096 and ZC_MAX_UPLOAD_BYTES 8192 for this gateway; the intake process
behind it runs with the defaults (1 MiB, 10 MiB), so a 413 here is the gateway's own.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys, asgi_call, assert_problem
from zhicheng_gateway.proxy import UPSTREAM_HEADER
from zhicheng_gateway.settings import GatewaySettings

from .conftest import SHANXI, Gateway, IntakeProcess, running_gateway

pytestmark = pytest.mark.service

LIMIT = 4096
UPLOAD_LIMIT = 8192
DECLARATIONS = "/api/v1/declarations"


@pytest.fixture
async def limited(
    gateway_schema: CommonSettings,
    gateway_settings: Callable[..., GatewaySettings],
    intake_service: IntakeProcess,
) -> AsyncIterator[Gateway]:
    common = gateway_schema.model_copy(update={"max_request_bytes": LIMIT, "max_upload_bytes": UPLOAD_LIMIT})
    async with running_gateway(common, gateway_settings(intake_url=intake_service.url)) as running:
        yield running


@pytest.fixture
def applicant(zc_keys: TestKeys) -> dict[str, str]:
    return zc_keys.headers(roles=["applicant"], region=SHANXI)


def json_of(size: int) -> bytes:
    """A JSON object of exactly ``size`` bytes."""
    return b'{"x":"' + b"a" * (size - 8) + b'"}'


async def chunked(body: bytes, size: int = 512) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def test_a_body_under_the_limit_is_forwarded_to_the_service(limited: Gateway, applicant: dict[str, str]) -> None:
    headers = {**applicant, "content-type": "application/json"}
    response = await limited.client.post(DECLARATIONS, content=json_of(LIMIT), headers=headers)
    # intake read the whole body and refused it as a declaration: it was forwarded in full.
    assert response.headers.get(UPSTREAM_HEADER) == "intake"
    assert_problem(response, 422, "validation_failed")


async def test_a_body_over_the_limit_is_refused_by_the_gateway_with_or_without_content_length(
    limited: Gateway, applicant: dict[str, str]
) -> None:
    headers = {**applicant, "content-type": "application/json"}
    declared = await limited.client.post(DECLARATIONS, content=json_of(LIMIT + 1), headers=headers)
    streamed = await limited.client.post(DECLARATIONS, content=chunked(json_of(LIMIT + 1)), headers=headers)
    assert "content-length" not in streamed.request.headers
    for response in (declared, streamed):
        body = assert_problem(response, 413, "payload_too_large")
        assert body["title"] == "请求内容过大"
        assert UPSTREAM_HEADER not in response.headers


async def test_an_attachment_upload_is_streamed_through_within_its_own_allowance(
    limited: Gateway, applicant: dict[str, str]
) -> None:
    url = f"{DECLARATIONS}/{uuid.uuid4()}/attachments?name=a.pdf&kind=achievement_proof"
    headers = {**applicant, "content-type": "application/pdf"}
    passes = await limited.client.post(url, content=chunked(b"%" * UPLOAD_LIMIT), headers=headers)
    refused = await limited.client.post(url, content=chunked(b"%" * (UPLOAD_LIMIT + 1)), headers=headers)
    # Over the general limit, within the upload allowance: intake answers (no such declaration).
    assert passes.headers.get(UPSTREAM_HEADER) == "intake"
    assert passes.status_code == 404, passes.text
    assert_problem(refused, 413, "payload_too_large")


@pytest.mark.parametrize(
    ("method", "path", "authorization"),
    [
        ("POST", DECLARATIONS, None),  # forwarded to intake
        ("POST", "/api/v1/users", None),  # the gateway's own route, whose body FastAPI reads first
        ("PUT", f"/api/v1/users/{uuid.uuid4()}/bindings", b"Bearer not-a-token"),
    ],
)
async def test_an_unauthenticated_large_body_is_refused_without_being_read(
    limited: Gateway, method: str, path: str, authorization: bytes | None
) -> None:
    headers = [(b"host", b"gateway.test"), (b"content-type", b"application/json")]  # chunked, no token
    if authorization is not None:
        headers.append((b"authorization", authorization))
    call = await asgi_call(limited.app, method, path, headers)
    assert call.status == 401
    assert call.pulled == 0  # not one chunk of the 1 MB body was read
