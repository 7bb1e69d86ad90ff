"""Every service verifies tokens itself; refusals are RFC 9457 problems."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from zhicheng_common.audit import append_entry
from zhicheng_common.auth import Principal, TokenIssuer, key_id
from zhicheng_common.migrations import upgrade
from zhicheng_common.problems import PROBLEM_MEDIA_TYPE
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys
from zhicheng_common.validators import CreditCode, ResidentIdNumber
from zhicheng_review.app import create_app
from zhicheng_review.settings import MIGRATIONS_DIR

pytestmark = pytest.mark.service

TAIYUAN = "140100"
YUNCHENG = "140800"


@pytest.fixture(scope="module")
async def review_app(zc_settings: CommonSettings) -> AsyncIterator[FastAPI]:
    upgrade(MIGRATIONS_DIR, zc_settings.database_url)
    app = create_app(zc_settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(review_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=review_app), base_url="http://review") as c:
        yield c


@pytest.fixture(scope="module")
async def yuncheng_entry(review_app: FastAPI) -> int:
    """A journal entry recorded in Yuncheng (140800)."""
    actor = Principal(subject="u-yc", roles=frozenset({"hr_reviewer"}), region=YUNCHENG)
    async with review_app.state.database.unit_of_work() as session:
        entry = await append_entry(
            session, actor=actor, action="review.passed", record_type="review", record_id="r1", record_region=YUNCHENG
        )
    return int(entry["id"])


def _assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["title"]  # Chinese title for display
    assert body["trace_id"]
    return body


async def test_no_token_is_a_401_problem_at_the_service(client: httpx.AsyncClient) -> None:
    _assert_problem(await client.get("/api/v1/reviews/journal"), 401, "token_missing")


async def test_token_signed_by_an_unknown_key_is_a_401_problem_at_the_service(client: httpx.AsyncClient) -> None:
    stranger = Ed25519PrivateKey.generate()
    forged = TokenIssuer(stranger, issuer="zhicheng-test", audience="zhicheng", kid=key_id(stranger))
    token = forged.issue(Principal(subject="x", roles=frozenset({"auditor"}), region="140000"))
    response = await client.get("/api/v1/reviews/journal", headers={"Authorization": f"Bearer {token}"})
    _assert_problem(response, 401, "token_unknown_key")


async def test_token_with_a_known_kid_but_a_foreign_signature_is_a_401_problem(
    client: httpx.AsyncClient, zc_keys: TestKeys
) -> None:
    stranger = Ed25519PrivateKey.generate()
    forged = TokenIssuer(stranger, issuer="zhicheng-test", audience="zhicheng", kid=zc_keys.issuer.kid)
    token = forged.issue(Principal(subject="x", roles=frozenset({"auditor"}), region="140000"))
    response = await client.get("/api/v1/reviews/journal", headers={"Authorization": f"Bearer {token}"})
    _assert_problem(response, 401, "token_invalid")


async def test_expired_token_is_a_401_problem(client: httpx.AsyncClient, zc_keys: TestKeys) -> None:
    token = zc_keys.token(roles=["auditor"], region="140000", ttl=-10)
    response = await client.get("/api/v1/reviews/journal", headers={"Authorization": f"Bearer {token}"})
    _assert_problem(response, 401, "token_expired")


async def test_city_user_on_another_citys_record_is_a_403_problem(
    client: httpx.AsyncClient, zc_keys: TestKeys, yuncheng_entry: int
) -> None:
    headers = zc_keys.headers(roles=["auditor"], region=TAIYUAN)
    response = await client.get(f"/api/v1/reviews/journal/{yuncheng_entry}", headers=headers)
    _assert_problem(response, 403, "outside_jurisdiction")


async def test_province_user_reads_a_record_of_its_city(
    client: httpx.AsyncClient, zc_keys: TestKeys, yuncheng_entry: int
) -> None:
    headers = zc_keys.headers(roles=["auditor"], region="140000")
    response = await client.get(f"/api/v1/reviews/journal/{yuncheng_entry}", headers=headers)
    assert response.status_code == 200
    assert response.json()["region"] == YUNCHENG


async def test_wrong_role_is_a_403_problem(client: httpx.AsyncClient, zc_keys: TestKeys) -> None:
    headers = zc_keys.headers(roles=["applicant"], region=TAIYUAN)
    _assert_problem(await client.get("/api/v1/reviews/journal", headers=headers), 403, "role_required")


async def test_city_list_hides_other_cities_entries(
    client: httpx.AsyncClient, zc_keys: TestKeys, yuncheng_entry: int
) -> None:
    headers = zc_keys.headers(roles=["auditor"], region=TAIYUAN)
    response = await client.get("/api/v1/reviews/journal", headers=headers)
    assert response.status_code == 200
    items = response.json()["items"]
    assert all(
        item["action"] == "journal.sealed"
        or (item["record_region"] or item["region"]).startswith("1401")
        or item["region"].startswith("1401")
        for item in items
    )
    assert not [item for item in items if item["record_id"] == "r1"]


class ApplicantIn(BaseModel):
    resident_id_number: ResidentIdNumber
    employer_credit_code: CreditCode


def _validation_app(settings: CommonSettings) -> FastAPI:
    from zhicheng_common.app import create_service_app
    from zhicheng_common.settings import ServiceSettings

    router = APIRouter()

    @router.post("/probe/applicants")
    async def create_applicant(applicant: ApplicantIn) -> dict[str, str]:
        return {"ok": applicant.resident_id_number}

    return create_service_app(
        name="review", area="probe", title="probe", common=settings, settings=ServiceSettings(), routers=[router]
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (
            {"resident_id_number": "110105194912310021", "employer_credit_code": "91350100M000100Y43"},
            "resident_id_number",
        ),
        (
            {"resident_id_number": "11010519491231002X", "employer_credit_code": "91350100M000100Y44"},
            "employer_credit_code",
        ),
    ],
)
async def test_wrong_check_digit_is_a_422_problem_naming_the_field(
    zc_settings: CommonSettings, payload: dict[str, str], field: str
) -> None:
    app = _validation_app(zc_settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe") as c:
        response = await c.post("/api/v1/probe/applicants", json=payload)
    body = _assert_problem(response, 422, "validation_failed")
    errors = body["errors"]
    assert isinstance(errors, list)
    assert [e["field"] for e in errors] == [field]
    assert "校验" in errors[0]["message"]


async def test_valid_identifiers_pass(zc_settings: CommonSettings) -> None:
    app = _validation_app(zc_settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe") as c:
        response = await c.post(
            "/api/v1/probe/applicants",
            json={"resident_id_number": "11010519491231002x", "employer_credit_code": "91350100M000100Y43"},
        )
    assert response.status_code == 200
    assert response.json() == {"ok": "11010519491231002X"}
