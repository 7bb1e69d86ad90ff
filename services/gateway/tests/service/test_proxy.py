"""Forwarding to a real domain service (intake as a subprocess), system health and the merged API document."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from zhicheng_common.auth import Principal, TokenIssuer, key_id
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys, assert_problem, bearer
from zhicheng_common.topology import DOMAIN_SERVICES
from zhicheng_gateway.proxy import UPSTREAM_HEADER
from zhicheng_gateway.settings import GatewaySettings

from .conftest import ADMIN_PASSWORD, ADMIN_USERNAME, SHANXI, Gateway, IntakeProcess, running_gateway, token_for

pytestmark = pytest.mark.service

JOURNAL = "/api/v1/declarations/journal"
OTHERS = sorted(info.name for info in DOMAIN_SERVICES if info.name != "intake")


@pytest.fixture
async def fronted(
    gateway_schema: CommonSettings,
    gateway_settings: Callable[..., GatewaySettings],
    intake_service: IntakeProcess,
) -> AsyncIterator[Gateway]:
    """The gateway with intake running behind it and every other service down."""
    settings = gateway_settings(
        intake_url=intake_service.url, public_path_prefixes=["/api/v1/declarations/openapi.json"]
    )
    async with running_gateway(gateway_schema, settings) as running:
        yield running


@pytest.fixture
def auditor(zc_keys: TestKeys) -> dict[str, str]:
    return zc_keys.headers(roles=["auditor"], region=SHANXI)


def unknown_key_token() -> str:
    stranger = Ed25519PrivateKey.generate()
    forged = TokenIssuer(stranger, issuer="zhicheng-test", audience="zhicheng", kid=key_id(stranger))
    return forged.issue(Principal(subject="x", roles=frozenset({"auditor"}), region=SHANXI))


def upstream_refusals(intake: IntakeProcess, status: str) -> list[str]:
    """The intake process's own request metrics for its journal route with ``status``."""
    metrics = httpx.get(f"{intake.url}/metrics", timeout=5).text
    return [
        line
        for line in metrics.splitlines()
        if line.startswith("zc_http_requests_total{")
        and '/declarations/journal"' in line
        and f'status="{status}"' in line
    ]


async def test_a_request_with_a_valid_auditor_token_is_forwarded_and_answered_by_the_service(
    fronted: Gateway, auditor: dict[str, str]
) -> None:
    response = await fronted.client.get(JOURNAL, headers=auditor)
    assert response.status_code == 200, response.text
    assert response.headers[UPSTREAM_HEADER] == "intake"
    # The service's own journal page (the holder's-view tests journal a declaration in this session).
    assert isinstance(response.json()["items"], list)


async def test_a_token_issued_by_the_gateway_is_accepted_by_the_service_behind_it(fronted: Gateway) -> None:
    token = await token_for(fronted.client, ADMIN_USERNAME, ADMIN_PASSWORD)
    response = await fronted.client.get(JOURNAL, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.headers[UPSTREAM_HEADER] == "intake"


async def test_a_token_signed_by_an_unknown_key_is_refused_at_the_gateway_and_never_reaches_the_service(
    fronted: Gateway, intake_service: IntakeProcess, auditor: dict[str, str]
) -> None:
    assert (await fronted.client.get(JOURNAL, headers=auditor)).status_code == 200
    assert upstream_refusals(intake_service, "200")  # the service counts what reaches it
    response = await fronted.client.get(JOURNAL, headers=bearer(unknown_key_token()))
    assert_problem(response, 401, "token_unknown_key")
    assert UPSTREAM_HEADER not in response.headers  # the gateway answered itself
    assert upstream_refusals(intake_service, "401") == []


async def test_a_request_without_a_token_is_refused_at_the_gateway(
    fronted: Gateway, intake_service: IntakeProcess
) -> None:
    response = await fronted.client.get(JOURNAL)
    assert_problem(response, 401, "token_missing")
    assert UPSTREAM_HEADER not in response.headers
    assert upstream_refusals(intake_service, "401") == []


async def test_the_request_id_follows_the_request_into_the_service_and_back(
    fronted: Gateway, auditor: dict[str, str]
) -> None:
    request_id = uuid.uuid4().hex  # a W3C trace id, so it can travel on into events
    response = await fronted.client.get(f"{JOURNAL}/987654321", headers={**auditor, "X-Request-ID": request_id})
    body = assert_problem(response, 404, "not_found")  # the service's own refusal …
    assert response.headers[UPSTREAM_HEADER] == "intake"
    assert body["trace_id"] == request_id  # … carrying the id the client sent
    assert response.headers["x-request-id"] == request_id


async def test_a_traceparent_gives_the_service_the_same_trace_id(fronted: Gateway, auditor: dict[str, str]) -> None:
    trace_id = uuid.uuid4().hex
    traceparent = f"00-{trace_id}-00f067aa0ba902b7-01"
    response = await fronted.client.get(f"{JOURNAL}/987654321", headers={**auditor, "traceparent": traceparent})
    assert response.json()["trace_id"] == trace_id
    assert response.headers["x-request-id"] == trace_id


async def test_a_request_without_correlation_headers_gets_one_id_shared_with_the_service(
    fronted: Gateway, auditor: dict[str, str]
) -> None:
    response = await fronted.client.get(f"{JOURNAL}/987654321", headers=auditor)
    assert response.json()["trace_id"] == response.headers["x-request-id"]


async def test_the_query_string_is_forwarded_to_the_service(fronted: Gateway, auditor: dict[str, str]) -> None:
    response = await fronted.client.get(JOURNAL, params={"limit": 0}, headers=auditor)
    body = assert_problem(response, 422, "validation_failed")  # intake's own validation of ?limit
    assert response.headers[UPSTREAM_HEADER] == "intake"
    assert [e["field"] for e in body["errors"]] == ["limit"]


async def test_a_configured_public_prefix_is_forwarded_without_a_token(fronted: Gateway) -> None:
    response = await fronted.client.get("/api/v1/declarations/openapi.json")
    assert response.status_code == 200, response.text
    assert response.headers[UPSTREAM_HEADER] == "intake"
    assert JOURNAL in response.json()["paths"]


async def test_an_unreachable_service_is_a_503_upstream_unavailable_problem(
    fronted: Gateway, auditor: dict[str, str]
) -> None:
    response = await fronted.client.get("/api/v1/reviews/journal", headers=auditor)
    assert_problem(response, 503, "upstream_unavailable")


async def test_an_unknown_area_is_a_404_problem(fronted: Gateway, auditor: dict[str, str]) -> None:
    assert_problem(await fronted.client.get("/api/v1/nowhere/at/all", headers=auditor), 404, "unknown_area")


async def test_healthz_is_public_and_reports_degraded_with_503_when_services_are_down(fronted: Gateway) -> None:
    response = await fronted.client.get("/api/v1/healthz")
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["status"] == "degraded"
    assert body["services"]["gateway"] == "ready"
    assert body["services"]["intake"] == "ready"
    for name in OTHERS:
        assert body["services"][name].startswith("not ready: unreachable"), body


async def test_healthz_reports_all_services_ready_with_200_when_every_service_answers(
    gateway_schema: CommonSettings,
    gateway_settings: Callable[..., GatewaySettings],
    intake_service: IntakeProcess,
) -> None:
    # Every upstream points at the one running service: each is asked for its readiness.
    urls = {f"{info.name}_url": intake_service.url for info in DOMAIN_SERVICES}
    async with running_gateway(gateway_schema, gateway_settings(**urls)) as running:
        response = await running.client.get("/api/v1/healthz")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "all services ready",
        "services": {"gateway": "ready", **{info.name: "ready" for info in DOMAIN_SERVICES}},
    }


async def test_one_public_openapi_document_merges_the_gateway_and_every_reachable_service(fronted: Gateway) -> None:
    response = await fronted.client.get("/api/v1/openapi.json")
    assert response.status_code == 200, response.text
    document = response.json()
    paths = document["paths"]
    assert {"/api/v1/auth/token", "/api/v1/users", "/api/v1/users/{user_id}", JOURNAL} <= set(paths)
    assert "/api/v1/gateway/journal" in paths
    assert not any(path.startswith("/api/v1/{area}") for path in paths)  # the catch-all is not documented
    assert document["x-unavailable"] == OTHERS
    assert document["security"] == [{"bearer": []}]  # authenticated by default …
    assert paths["/api/v1/auth/token"]["post"]["security"] == []  # … public routes say so
    assert paths["/api/v1/healthz"]["get"]["security"] == []
    schemas = document["components"]["schemas"]
    assert {"Problem", "UserCreate", "UserRead", "JournalPage"} <= set(schemas)
    assert "password_hash" not in str(schemas["UserRead"])
    assert schemas["UserCreate"]["examples"]


async def test_the_docs_ui_is_public_and_loads_the_merged_document(fronted: Gateway) -> None:
    response = await fronted.client.get("/api/v1/docs")
    assert response.status_code == 200
    assert "/api/v1/openapi.json" in response.text
