"""Users: creation within jurisdiction and grant rules, reads filtered by region, events and journal."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import text

from zhicheng_common.auth import Principal
from zhicheng_common.db import Database
from zhicheng_common.pii import PiiCipher
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys, assert_problem, bearer
from zhicheng_gateway import service
from zhicheng_gateway.app import bootstrap_admin
from zhicheng_gateway.schemas import UserCreate

from .conftest import ADMIN_PASSWORD, ADMIN_USERNAME, SHANXI, TAIYUAN, YUNCHENG, Gateway, token_for

pytestmark = pytest.mark.service

USER_CREATED = "cn.zhicheng.gateway.user.created.v1"


def unique(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}"


def new_user(region: str, roles: list[str] | None = None, **overrides: Any) -> dict[str, Any]:
    return {
        "username": unique("user"),
        "password": "Long-enough-1",
        "roles": roles or ["hr_reviewer"],
        "region": region,
        "name": "测试用户",
        **overrides,
    }


@pytest.fixture
async def admin(gateway: Gateway) -> dict[str, str]:
    """The bootstrap administrator's (province 140000) headers, with a token from the gateway."""
    return bearer(await token_for(gateway.client, ADMIN_USERNAME, ADMIN_PASSWORD))


@pytest.fixture
def taiyuan_hr_admin(zc_keys: TestKeys) -> dict[str, str]:
    return zc_keys.headers(roles=["hr_admin"], region=TAIYUAN, subject="taiyuan-hr-admin")


async def create(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/api/v1/users", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def outbox_rows(database: Database, username: str) -> list[dict[str, Any]]:
    async with database.engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT type, subject, envelope FROM gateway.outbox WHERE envelope->'data'->>'username' = :u"),
                {"u": username},
            )
        ).mappings()
        return [dict(row) for row in rows]


async def user_count(database: Database, username: str) -> int:
    async with database.engine.connect() as conn:
        value = await conn.scalar(text("SELECT count(*) FROM gateway.users WHERE username = :u"), {"u": username})
    return int(value or 0)


async def test_a_province_admin_creates_a_user_and_the_response_has_no_password(
    gateway: Gateway, admin: dict[str, str]
) -> None:
    body = new_user(TAIYUAN, ["hr_admin", "auditor"], username=f"  {unique('Taiyuan.HR')}  ")
    created = await create(gateway.client, admin, body)
    assert created["username"] == body["username"].strip().lower()
    assert created["roles"] == ["auditor", "hr_admin"]
    assert created["region"] == TAIYUAN
    assert created["active"] is True
    assert "password" not in created
    assert "password_hash" not in created
    assert body["password"] not in str(created)


async def test_the_new_user_can_sign_in_with_the_password_given_at_creation(
    gateway: Gateway, admin: dict[str, str]
) -> None:
    body = new_user(TAIYUAN)
    created = await create(gateway.client, admin, body)
    token = await token_for(gateway.client, body["username"], body["password"])
    me = await gateway.client.get("/api/v1/users/me", headers=bearer(token))
    assert me.json()["id"] == created["id"]


async def test_creating_a_user_leaves_a_user_created_event_in_the_outbox_without_credentials(
    gateway: Gateway, admin: dict[str, str]
) -> None:
    body = new_user(YUNCHENG, ["applicant"])
    created = await create(gateway.client, admin, body)
    (row,) = await outbox_rows(gateway.app.state.database, body["username"])
    assert row["type"] == USER_CREATED
    assert row["subject"] == "gateway.user.created"
    envelope = row["envelope"]
    assert envelope["subject"] == created["id"]
    assert envelope["region"] == YUNCHENG
    assert envelope["source"] == "/zhicheng/gateway"
    assert envelope["data"] == {
        "user_id": created["id"],
        "username": body["username"],
        "roles": ["applicant"],
        "region": YUNCHENG,
    }
    assert "password" not in str(envelope)
    assert body["password"] not in str(envelope)


async def test_creating_a_user_writes_a_journal_entry(gateway: Gateway, admin: dict[str, str]) -> None:
    created = await create(gateway.client, admin, new_user(TAIYUAN))
    response = await gateway.client.get("/api/v1/gateway/journal", params={"limit": 1000}, headers=admin)
    assert response.status_code == 200, response.text
    entries = [e for e in response.json()["items"] if e["record_id"] == created["id"]]
    assert [e["action"] for e in entries] == ["user.created"]
    assert entries[0]["data"]["region"] == TAIYUAN


async def test_a_creation_that_fails_after_writing_leaves_no_user_and_no_outbox_row(gateway: Gateway) -> None:
    database: Database = gateway.app.state.database
    actor = Principal(subject="p-admin", roles=frozenset({"province_admin"}), region=SHANXI)
    user_in = UserCreate.model_validate(new_user(TAIYUAN))

    class FailedAfterWritingError(Exception):
        pass

    async def create_then_fail() -> None:
        async with database.unit_of_work() as session:
            await service.create_user(session, actor=actor, user_in=user_in, passwords=gateway.app.state.passwords)
            assert await outbox_rows_in(session, user_in.username) == 1  # written, not yet committed
            raise FailedAfterWritingError

    with pytest.raises(FailedAfterWritingError):
        await create_then_fail()

    assert await user_count(database, user_in.username) == 0
    assert await outbox_rows(database, user_in.username) == []


async def outbox_rows_in(session: Any, username: str) -> int:
    value = await session.scalar(
        text("SELECT count(*) FROM gateway.outbox WHERE envelope->'data'->>'username' = :u"), {"u": username}
    )
    return int(value or 0)


async def test_a_duplicate_username_is_a_409_username_taken_problem_and_changes_nothing(
    gateway: Gateway, admin: dict[str, str]
) -> None:
    body = new_user(TAIYUAN)
    await create(gateway.client, admin, body)
    again = await gateway.client.post(
        "/api/v1/users", json={**body, "username": body["username"].upper()}, headers=admin
    )
    assert_problem(again, 409, "username_taken")
    assert await user_count(gateway.app.state.database, body["username"]) == 1
    assert len(await outbox_rows(gateway.app.state.database, body["username"])) == 1


async def test_a_bad_region_code_is_a_422_problem_naming_the_region_field(
    gateway: Gateway, admin: dict[str, str]
) -> None:
    response = await gateway.client.post("/api/v1/users", json=new_user("999999"), headers=admin)
    body = assert_problem(response, 422, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["region"]
    assert "GB/T 2260" in body["errors"][0]["message"]


async def test_a_short_password_and_an_unknown_role_are_422_problems_naming_their_fields(
    gateway: Gateway, admin: dict[str, str]
) -> None:
    response = await gateway.client.post(
        "/api/v1/users", json=new_user(TAIYUAN, ["superuser"], password="short"), headers=admin
    )
    body = assert_problem(response, 422, "validation_failed")
    assert sorted(e["field"] for e in body["errors"]) == ["password", "roles.0"]


async def test_a_city_hr_admin_creates_a_user_in_a_county_of_their_city(
    gateway: Gateway, taiyuan_hr_admin: dict[str, str]
) -> None:
    created = await create(gateway.client, taiyuan_hr_admin, new_user("140105", ["unit_reviewer"]))
    assert created["created_by"] == "taiyuan-hr-admin"


async def test_a_city_hr_admin_creating_a_user_in_another_city_is_a_403_problem(
    gateway: Gateway, taiyuan_hr_admin: dict[str, str]
) -> None:
    body = new_user(YUNCHENG)
    response = await gateway.client.post("/api/v1/users", json=body, headers=taiyuan_hr_admin)
    assert_problem(response, 403, "outside_jurisdiction")
    assert await user_count(gateway.app.state.database, body["username"]) == 0


@pytest.mark.parametrize("role", ["province_admin", "auditor"])
async def test_an_hr_admin_granting_province_admin_or_auditor_is_a_403_problem(
    gateway: Gateway, taiyuan_hr_admin: dict[str, str], role: str
) -> None:
    response = await gateway.client.post("/api/v1/users", json=new_user(TAIYUAN, [role]), headers=taiyuan_hr_admin)
    body = assert_problem(response, 403, "role_not_grantable")
    assert role in body["detail"]


async def test_a_caller_without_an_admin_role_creating_a_user_is_a_403_problem(
    gateway: Gateway, zc_keys: TestKeys
) -> None:
    headers = zc_keys.headers(roles=["hr_reviewer"], region=SHANXI)
    response = await gateway.client.post("/api/v1/users", json=new_user(TAIYUAN), headers=headers)
    assert_problem(response, 403, "role_required")


async def test_a_city_hr_admin_reading_a_user_of_another_city_is_a_403_problem(
    gateway: Gateway, admin: dict[str, str], taiyuan_hr_admin: dict[str, str]
) -> None:
    yuncheng_user = await create(gateway.client, admin, new_user(YUNCHENG))
    response = await gateway.client.get(f"/api/v1/users/{yuncheng_user['id']}", headers=taiyuan_hr_admin)
    assert_problem(response, 403, "outside_jurisdiction")


async def test_a_city_hr_admin_reads_a_user_of_their_own_city(
    gateway: Gateway, admin: dict[str, str], taiyuan_hr_admin: dict[str, str]
) -> None:
    taiyuan_user = await create(gateway.client, admin, new_user("140105"))
    response = await gateway.client.get(f"/api/v1/users/{taiyuan_user['id']}", headers=taiyuan_hr_admin)
    assert response.status_code == 200, response.text
    assert response.json() == taiyuan_user


async def test_reading_a_missing_user_is_a_404_problem(gateway: Gateway, admin: dict[str, str]) -> None:
    assert_problem(await gateway.client.get(f"/api/v1/users/{uuid.uuid4()}", headers=admin), 404, "user_not_found")


async def test_the_user_list_holds_only_users_within_the_callers_jurisdiction(
    gateway: Gateway, admin: dict[str, str], taiyuan_hr_admin: dict[str, str]
) -> None:
    await create(gateway.client, admin, new_user(TAIYUAN))
    await create(gateway.client, admin, new_user(YUNCHENG))
    city = (await gateway.client.get("/api/v1/users", params={"limit": 200}, headers=taiyuan_hr_admin)).json()
    assert city["items"], city
    assert {u["region"][:4] for u in city["items"]} == {"1401"}
    assert city["total"] == len(city["items"])
    province = (await gateway.client.get("/api/v1/users", params={"limit": 200}, headers=admin)).json()
    assert {"1401", "1408"} <= {u["region"][:4] for u in province["items"]}
    assert province["total"] > city["total"]
    assert all("password_hash" not in u for u in province["items"])


async def test_the_user_list_is_paginated_with_total_limit_and_offset(gateway: Gateway, admin: dict[str, str]) -> None:
    for _ in range(3):
        await create(gateway.client, admin, new_user("140203"))
    first = (await gateway.client.get("/api/v1/users", params={"limit": 2, "offset": 0}, headers=admin)).json()
    second = (await gateway.client.get("/api/v1/users", params={"limit": 2, "offset": 2}, headers=admin)).json()
    assert (first["limit"], first["offset"], second["offset"]) == (2, 0, 2)
    assert first["total"] == second["total"] >= 4  # the three above and the admin
    assert len(first["items"]) == 2
    assert not {u["id"] for u in first["items"]} & {u["id"] for u in second["items"]}


async def test_the_bootstrap_is_idempotent_and_safe_when_two_gateways_start_together(
    gateway: Gateway, gateway_settings: Any, zc_settings: CommonSettings
) -> None:
    settings = gateway_settings(admin_username=unique("second.admin"), admin_region=YUNCHENG)
    database: Database = gateway.app.state.database
    passwords = gateway.app.state.passwords
    await asyncio.gather(bootstrap_admin(database, settings, passwords), bootstrap_admin(database, settings, passwords))
    await bootstrap_admin(database, settings, passwords)
    assert await user_count(database, settings.admin_username) == 1
    (row,) = await outbox_rows(database, settings.admin_username)
    assert sorted(row["envelope"]["data"]["roles"]) == ["hr_admin", "province_admin"]


async def test_the_bootstrap_admins_creation_is_journaled_in_the_admin_region(
    gateway: Gateway, admin: dict[str, str]
) -> None:
    response = await gateway.client.get("/api/v1/gateway/journal", params={"limit": 1000}, headers=admin)
    created = [e for e in response.json()["items"] if e["action"] == "user.created"]
    (entry,) = [e for e in created if e["data"]["username"] == ADMIN_USERNAME]
    assert (entry["actor"], entry["region"]) == ("system", SHANXI)


async def test_issue12_staff_bind_an_account_to_a_checked_identity_and_its_tokens_carry_only_keyed_hashes(
    gateway: Gateway, admin: dict[str, str], zc_settings: CommonSettings, zc_keys: TestKeys
) -> None:
    """Issue 12: the subject of "my records" is the identity staff checked, carried as a token claim."""
    body = new_user(TAIYUAN, ["applicant"])
    created = await create(gateway.client, admin, body)
    number, unit = "11010519491231002X", "91350100M000100Y43"
    response = await gateway.client.put(
        f"/api/v1/users/{created['id']}/bindings",
        json={"id_number": number, "unit_credit_code": unit, "reason": "本人持身份证到窗口核验"},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    assert (response.json()["identity_verified"], response.json()["unit_bound"]) == (True, True)
    assert number not in response.text

    token = await token_for(gateway.client, body["username"], body["password"])
    claims = jwt.decode(token, options={"verify_signature": False})
    cipher = PiiCipher(zc_settings.pii_key)
    assert claims["zc_person_key"] == cipher.keyed_hash(number)
    assert claims["zc_unit_key"] == cipher.keyed_hash(unit)
    assert number not in token
    assert unit not in token
    async with gateway.app.state.database.engine.connect() as conn:
        journaled = (
            await conn.execute(
                text("SELECT data::text FROM gateway.journal WHERE action = 'user.bound' AND record_id = :id"),
                {"id": created["id"]},
            )
        ).scalar_one()
    assert number not in journaled
    assert unit not in journaled

    # Staff of another city cannot bind a Taiyuan account.
    yuncheng = zc_keys.headers(roles=["hr_admin"], region=YUNCHENG, subject="yuncheng-hr")
    response = await gateway.client.put(
        f"/api/v1/users/{created['id']}/bindings", json={"id_number": number, "reason": "x"}, headers=yuncheng
    )
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "outside_jurisdiction"
