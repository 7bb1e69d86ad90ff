"""Public verification through the gateway (CE-3, NA-15): the JSON API and the /verify page over the real
certificates service; answers cached per lookup and evicted by the certificates' status events."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys, assert_problem, run_sql, wait_until
from zhicheng_gateway.settings import GatewaySettings
from zhicheng_gateway.verify.page import CSS_HASH

from .conftest import ADMIN_PASSWORD, ADMIN_USERNAME, SHANXI, Gateway, running_gateway, token_for
from .feeds_helpers import issue_key
from .verify_helpers import (
    CertificatesProcess,
    certificates_scalar,
    china_date_of_today,
    issue_certificate,
    revoke,
)

pytestmark = pytest.mark.service

BY_NUMBER = "/api/v1/verify/by-number"
BY_TOKEN = "/api/v1/verify/by-token"
CHECKS = ["form", "signature_sm2", "signature_ed25519", "issuer_key_valid_at_issue", "status"]


@pytest.fixture
async def verifying(
    gateway_schema: CommonSettings,
    gateway_settings: Callable[..., GatewaySettings],
    certificates_service: CertificatesProcess,
) -> AsyncIterator[Gateway]:
    """The gateway in front of the real certificates service, evicting every 0.1 s, counting every 0.1 s."""
    settings = gateway_settings(
        certificates_url=certificates_service.url, verify_poll_seconds=0.1, verify_count_flush_seconds=0.1
    )
    async with running_gateway(gateway_schema, settings) as running:
        yield running


async def _by_number(gateway: Gateway, number: str, name: str, **headers: str) -> tuple[dict[str, Any], str]:
    response = await gateway.client.post(BY_NUMBER, json={"number": number, "holder_name": name}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body, response.headers["X-Verify-Cache"]


async def test_CE_3_a_valid_certificate_verifies_by_number_and_then_from_the_cache(
    verifying: Gateway, js: Any, zc_settings: CommonSettings
) -> None:
    issued = await issue_certificate(js, zc_settings, name="欧阳明华")
    body, cache = await _by_number(verifying, issued.number, "欧阳明华")
    assert (body["matched"], body["valid"], cache) == (True, True, "miss")
    assert [c["name"] for c in body["checks"]] == CHECKS
    assert {c["outcome"] for c in body["checks"]} == {"passed"}
    assert body["certificate"]["holderName"] == "欧阳明华"
    assert body["certificate"]["titleName"] == "正高级工程师"
    assert issued.resident_id not in str(body)
    # The same lookup again (the number typed another way): answered by the gateway alone.
    again, cache = await _by_number(verifying, issued.number.lower().replace("-", ""), " 欧阳明华 ")
    assert cache == "hit"
    assert again == body
    # Both anonymous checks counted for the certificate and the day, nothing else kept.
    counted = await wait_until(
        lambda: _count(zc_settings, issued.number, "number", at_least=2), timeout=10, what="anonymous checks counted"
    )
    assert counted == 2


async def _count(settings: CommonSettings, number: str, method: str, *, at_least: int) -> int | None:
    rows = await run_sql(
        settings,
        "gateway",
        "SELECT sum(count) FROM gateway.verify_counts WHERE number = :n AND method = :m",
        n=number,
        m=method,
    )
    total = int(rows[0][0] or 0)
    return total if total >= at_least else None


async def test_CE_3_a_wrong_name_with_a_right_number_is_no_match_and_says_nothing_of_the_holder(
    verifying: Gateway, js: Any, zc_settings: CommonSettings
) -> None:
    issued = await issue_certificate(js, zc_settings, name="司马相如")
    body, _ = await _by_number(verifying, issued.number, "司马光")
    assert body == {
        "matched": False,
        "valid": False,
        "kind": None,
        "checks": [],
        "certificate": None,
        "detail": "未找到与所填信息相符的证书",
    }
    # A malformed number is the certificates service's 400 problem, relayed.
    response = await verifying.client.post(BY_NUMBER, json={"number": "14-2026-0000001-X", "holder_name": "司马光"})
    assert_problem(response, 400, "certificate_number_check")


async def test_CE_3_a_revocation_evicts_the_cached_answer_and_the_next_check_says_revoked_with_its_date(
    verifying: Gateway,
    js: Any,
    zc_settings: CommonSettings,
    zc_keys: TestKeys,
    certificates_service: CertificatesProcess,
) -> None:
    issued = await issue_certificate(js, zc_settings, name="诸葛亮")
    await _by_number(verifying, issued.number, "诸葛亮")
    _, cache = await _by_number(verifying, issued.number, "诸葛亮")
    token = await verifying.client.post(BY_TOKEN, json={"token": issued.token})
    assert token.json()["valid"] is True
    assert cache == "hit"

    await revoke(certificates_service, zc_keys, issued.number)

    async def revoked() -> dict[str, Any] | None:
        body, _ = await _by_number(verifying, issued.number, "诸葛亮")
        return body if not body["valid"] else None

    body = await wait_until(revoked, timeout=10, what="the cached answer evicted by the revoked event")
    status = body["checks"][-1]
    assert (status["name"], status["outcome"], status["code"]) == ("status", "failed", "certificate_revocation")
    assert status["reason"] == f"证书已于 {china_date_of_today()} 撤销"
    # The token's answer was evicted too.
    by_token = (await verifying.client.post(BY_TOKEN, json={"token": issued.token})).json()
    assert by_token["checks"][-1]["code"] == "certificate_revocation"
    assert await run_sql(
        zc_settings, "gateway", "SELECT status FROM gateway.verify_invalidations WHERE number = :n", n=issued.number
    ) == [("revoked",)]


async def test_NA_15_an_api_key_verifier_is_recorded_for_the_holder_and_never_answered_from_the_cache(
    verifying: Gateway, js: Any, zc_settings: CommonSettings
) -> None:
    issued = await issue_certificate(js, zc_settings, name="王昭君")
    admin = {"Authorization": f"Bearer {await token_for(verifying.client, ADMIN_USERNAME, ADMIN_PASSWORD)}"}
    key = await issue_key(verifying, admin, region=SHANXI, scopes=["verify"])
    for _ in range(2):
        body, cache = await _by_number(verifying, issued.number, "王昭君", **key)
        assert (body["valid"], cache) == (True, "miss")
    recorded = await certificates_scalar(
        zc_settings,
        "SELECT count(*) FROM certificates.verifier_lookups l"
        " JOIN certificates.certificates c ON c.id = l.certificate_id WHERE c.number = :n",
        n=issued.number,
    )
    assert recorded == 2
    # A key without the scope is refused; a token that does not verify is a 401, never an anonymous answer.
    feed_key = await issue_key(verifying, admin, region=SHANXI, scopes=["query"])
    response = await verifying.client.post(
        BY_NUMBER, json={"number": issued.number, "holder_name": "王昭君"}, headers=feed_key
    )
    assert_problem(response, 403, "scope_required")
    response = await verifying.client.post(
        BY_NUMBER, json={"number": issued.number, "holder_name": "王昭君"}, headers={"Authorization": "Bearer x.y.z"}
    )
    assert response.status_code == 401


async def test_CE_3_the_page_opens_from_the_qr_url_and_shows_each_check_under_a_strict_policy(
    verifying: Gateway, js: Any, zc_settings: CommonSettings
) -> None:
    issued = await issue_certificate(js, zc_settings, name="李清照")
    response = await verifying.client.get("/verify", params={"t": issued.token})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert policy.startswith("default-src 'none'; ")
    assert f"style-src 'sha256-{CSS_HASH}'" in policy
    assert "form-action 'self'" in policy
    assert response.headers["referrer-policy"] == "no-referrer"
    html = response.text
    assert 'data-verdict="valid"' in html
    assert "证书有效" in html
    for check in CHECKS:
        assert f'data-check="{check}" data-outcome="passed"' in html
    assert "李**" in html  # a token carries the masked name only
    assert "李清照" not in html
    assert issued.resident_id not in html
    assert "<script" not in html
    assert "http://" not in html.split("</style>")[1]


async def test_CE_3_the_form_escapes_what_was_typed_and_a_wrong_name_shows_no_holder_data(
    verifying: Gateway, js: Any, zc_settings: CommonSettings
) -> None:
    issued = await issue_certificate(js, zc_settings, name="杜甫")
    attack = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    response = await verifying.client.post("/verify", data={"number": issued.number, "name": attack})
    assert response.status_code == 200
    html = response.text
    assert 'data-verdict="none"' in html
    assert "未找到与所填信息相符的证书" in html
    assert "<script" not in html
    assert "<img" not in html
    for shown in ("杜甫", "正高级工程师", "工程技术", "data-check"):
        assert shown not in html
    # A number that is an attack: refused by the certificates service, echoed escaped.
    response = await verifying.client.post("/verify", data={"number": attack[:32], "name": "杜甫"})
    assert response.status_code == 400
    assert "<script" not in response.text
    assert "&quot;&gt;&lt;script&gt;" in response.text
    # The right name: valid, the name in full (the verifier typed it).
    response = await verifying.client.post("/verify", data={"number": issued.number, "name": "杜甫"})
    assert 'data-verdict="valid"' in response.text
    assert '<dd data-field="holderName">杜甫</dd>' in response.text
