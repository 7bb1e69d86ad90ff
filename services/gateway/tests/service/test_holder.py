"""The holder's view (NA-15) through the gateway, over the real intake and certificates services: my
declarations and their stage, my certificates, the units that verified them, anonymous checks counted."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from services.intake.tests.builders import declaration_body
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys, wait_until
from zhicheng_gateway.settings import GatewaySettings

from .conftest import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    SHANXI,
    TAIYUAN,
    Gateway,
    IntakeProcess,
    running_gateway,
    token_for,
)
from .feeds_helpers import issue_key
from .verify_helpers import CertificatesProcess, china_date_of_today, issue_certificate

pytestmark = pytest.mark.service

OVERVIEW = "/api/v1/holder/overview"


@pytest.fixture
async def fronting(
    gateway_schema: CommonSettings,
    gateway_settings: Callable[..., GatewaySettings],
    certificates_service: CertificatesProcess,
    intake_service: IntakeProcess,
) -> AsyncIterator[Gateway]:
    settings = gateway_settings(
        certificates_url=certificates_service.url, intake_url=intake_service.url, verify_count_flush_seconds=0.1
    )
    async with running_gateway(gateway_schema, settings) as running:
        yield running


def applicant(keys: TestKeys, person_key: str) -> dict[str, str]:
    return keys.headers(roles=["applicant"], region=TAIYUAN, subject=f"p-{uuid.uuid4().hex[:8]}", person_key=person_key)


async def _overview(gateway: Gateway, headers: dict[str, str]) -> dict[str, Any]:
    response = await gateway.client.get(OVERVIEW, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_NA_15_the_holder_sees_their_declarations_certificates_and_which_units_verified_them(
    fronting: Gateway, js: Any, zc_settings: CommonSettings, zc_keys: TestKeys
) -> None:
    issued = await issue_certificate(js, zc_settings, name="班昭")
    me = applicant(zc_keys, issued.applicant_key)
    drafted = await fronting.client.post("/api/v1/declarations", json=declaration_body(), headers=me)
    assert drafted.status_code == 201, drafted.text

    # Two anonymous checks by number and one by token; one by a unit's API key.
    for _ in range(2):
        response = await fronting.client.post(
            "/api/v1/verify/by-number", json={"number": issued.number, "holder_name": "班昭"}
        )
        assert response.json()["valid"] is True
    assert (await fronting.client.post("/api/v1/verify/by-token", json={"token": issued.token})).json()["valid"]
    admin = {"Authorization": f"Bearer {await token_for(fronting.client, ADMIN_USERNAME, ADMIN_PASSWORD)}"}
    key = await issue_key(fronting, admin, region=SHANXI, scopes=["verify"])
    response = await fronting.client.post(
        "/api/v1/verify/by-number", json={"number": issued.number, "holder_name": "班昭"}, headers=key
    )
    assert response.json()["valid"] is True

    async def counted() -> dict[str, Any] | None:
        body = await _overview(fronting, me)
        return body if body["certificates"] and body["certificates"][0]["anonymous_total"] == 3 else None

    view = await wait_until(counted, timeout=10, what="the anonymous checks counted")
    assert view["unavailable"] == []
    [declaration] = view["declarations"]
    assert (declaration["id"], declaration["status"], declaration["stage"]) == (
        drafted.json()["id"],
        "draft",
        "草稿（未提交）",
    )
    [certificate] = view["certificates"]
    assert (certificate["number"], certificate["status"], certificate["title_name"]) == (
        issued.number,
        "valid",
        "正高级工程师",
    )
    # The unit that used its key is named; the anonymous checks are only counted, per day and method.
    [lookup] = certificate["verified_by"]
    assert (lookup["verifier_name"], lookup["method"]) == ("机构", "number")
    assert lookup["verifier_id"].startswith("apikey:")
    today = china_date_of_today()
    assert certificate["anonymous_checks"] == [
        {"day": today, "method": "number", "count": 2},
        {"day": today, "method": "token", "count": 1},
    ]

    # Another person sees none of it.
    other = await _overview(fronting, applicant(zc_keys, "someone-else"))
    assert (other["declarations"], other["certificates"]) == ([], [])
    # Only an applicant has a holder's view.
    response = await fronting.client.get(OVERVIEW, headers=zc_keys.headers(roles=["hr_admin"], region=SHANXI))
    assert response.status_code == 403


async def test_NA_15_a_service_that_does_not_answer_is_named_and_the_rest_still_shows(
    gateway_schema: CommonSettings,
    gateway_settings: Callable[..., GatewaySettings],
    certificates_service: CertificatesProcess,
    js: Any,
    zc_settings: CommonSettings,
    zc_keys: TestKeys,
) -> None:
    issued = await issue_certificate(js, zc_settings, name="蔡文姬")
    settings = gateway_settings(certificates_url=certificates_service.url)  # intake unreachable
    async with running_gateway(gateway_schema, settings) as gateway:
        view = await _overview(gateway, applicant(zc_keys, issued.applicant_key))
    assert view["unavailable"] == ["intake"]
    assert view["declarations"] == []
    assert [c["number"] for c in view["certificates"]] == [issued.number]
