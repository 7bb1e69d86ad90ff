"""Inter-agency feeds, pulled: every event once and in order from a saved cursor, only the fields of
the subscription, personal identifiers only where it says so, every page signed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from zhicheng_common.pii import PiiCipher
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys, assert_problem, run_sql
from zhicheng_gateway.settings import GatewaySettings

from .conftest import SHANXI, TAIYUAN, Gateway, running_gateway
from .feeds_helpers import issue_key, logged, page_keys, publish, pull_all, signature_holds, subscribe

pytestmark = pytest.mark.service

# A county of Taiyuan no other test of the gateway writes events for.
XINGHUALING = "140107"
YUNCHENG_COUNTY = "140802"
SUBMITTED = "intake.declaration.submitted"
RESUBMITTED = "intake.declaration.resubmitted"
WITHDRAWN = "intake.declaration.withdrawn"
DECLARATION_FIELDS = ["declaration_id", "level", "series", "year"]


@pytest.fixture
def province_admin(zc_keys: TestKeys) -> dict[str, str]:
    return zc_keys.headers(roles=["province_admin"], region=SHANXI, subject="province-admin")


def submitted(declaration_id: str, region: str, cipher: PiiCipher, name: str = "王五") -> dict[str, Any]:
    return {
        "declaration_id": declaration_id,
        "applicant_key": cipher.keyed_hash("140105199001011234"),
        "applicant_name_sealed": cipher.encrypt(name),
        "year": 2026,
        "series": "engineering",
        "specialty": "civil",
        "level": "senior",
        "rank": "正高级",
        "committee_id": str(uuid.uuid4()),
        "kind": "normal",
        "channel": "regular",
        "employer_name": "太原重工",
        "region": region,
        "owner_subject": "applicant-1",
    }


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def test_restarting_from_a_saved_cursor_gives_every_event_once_in_order_with_only_its_fields(
    gateway: Gateway,
    province_admin: dict[str, str],
    nats_js: Any,
    gateway_schema: CommonSettings,
    gateway_settings: Callable[..., GatewaySettings],
) -> None:
    cipher = PiiCipher(gateway_schema.pii_key)
    name = unique_name("county-hr")
    subscription = (
        await subscribe(
            gateway,
            province_admin,
            name=name,
            agency="杏花岭区人社局",
            region=XINGHUALING,
            fields={
                SUBMITTED: DECLARATION_FIELDS,
                RESUBMITTED: ["corrected_fields", "declaration_id"],
                WITHDRAWN: ["declaration_id"],
            },
        )
    )["subscription"]
    # The key is the city's; the subscription narrows it to the county.
    key = await issue_key(gateway, province_admin, region=TAIYUAN, scopes=[f"feed:{name}"])
    a, b, elsewhere = (str(uuid.uuid4()) for _ in range(3))
    ids = [
        await publish(
            nats_js,
            gateway_schema,
            SUBMITTED,
            submitted(a, XINGHUALING, cipher),
            subject=a,
            region=XINGHUALING,
            version=2,
        ),
        await publish(
            nats_js,
            gateway_schema,
            SUBMITTED,
            submitted(b, XINGHUALING, cipher),
            subject=b,
            region=XINGHUALING,
            version=2,
        ),
        await publish(
            nats_js,
            gateway_schema,
            RESUBMITTED,
            {"declaration_id": a, "corrected_fields": ["series"]},
            subject=a,
            region=XINGHUALING,
        ),
        await publish(nats_js, gateway_schema, WITHDRAWN, {"declaration_id": b}, subject=b, region=XINGHUALING),
        await publish(nats_js, gateway_schema, WITHDRAWN, {"declaration_id": a}, subject=a, region=XINGHUALING),
    ]
    # Not for this subscription: another city's declaration, and a type it did not select.
    other = [
        await publish(
            nats_js,
            gateway_schema,
            SUBMITTED,
            submitted(elsewhere, YUNCHENG_COUNTY, cipher),
            subject=elsewhere,
            region=YUNCHENG_COUNTY,
            version=2,
        ),
        await publish(
            nats_js,
            gateway_schema,
            "intake.declaration.abandoned",
            {"declaration_id": a},
            subject=a,
            region=XINGHUALING,
        ),
    ]
    await logged(gateway_schema, ids + other)

    # The agency reads two pages of two, saves the cursor and stops.
    first: list[dict[str, Any]] = []
    cursor = "0"
    keys = await page_keys(gateway)
    for _ in range(2):
        response = await gateway.client.get(
            f"/api/v1/feeds/{subscription['id']}/events", params={"after": cursor, "limit": 2}, headers=key
        )
        assert response.status_code == 200, response.text
        page = response.json()
        assert signature_holds(page, keys)
        assert page["has_more"] is True
        first.extend(page["events"])
        cursor = page["next_cursor"]

    # It restarts (a new gateway process on the same database) from the saved cursor.
    async with running_gateway(gateway_schema, gateway_settings()) as restarted:
        rest, _ = await pull_all(restarted, subscription["id"], key, after=cursor, limit=2)

    received = first + rest
    assert [e["id"] for e in received] == ids  # every event once, in the order published
    assert [e["subject"] for e in received] == [a, b, a, b, a]
    assert [set(e["data"]) for e in received] == [
        set(DECLARATION_FIELDS),
        set(DECLARATION_FIELDS),
        {"corrected_fields", "declaration_id"},
        {"declaration_id"},
        {"declaration_id"},
    ]
    assert received[0]["data"] == {"declaration_id": a, "level": "senior", "series": "engineering", "year": 2026}
    assert received[0]["type"] == "cn.zhicheng.intake.declaration.submitted.v2"
    assert {e["region"] for e in received} == {XINGHUALING}
    # The feed's own durable read them, beside any other consumer of the gateway.
    info = await nats_js.consumer_info(gateway_schema.stream_name, "gateway-feeds-intake")
    assert info.config.filter_subject == f"{gateway_schema.events_prefix}.intake.>"


async def test_a_tampered_page_does_not_verify(gateway: Gateway, province_admin: dict[str, str]) -> None:
    name = unique_name("tamper")
    subscription = (
        await subscribe(
            gateway, province_admin, name=name, agency="x", region="140108", fields={WITHDRAWN: ["declaration_id"]}
        )
    )["subscription"]
    key = await issue_key(gateway, province_admin, region="140108", scopes=[f"feed:{name}"])
    page = (await gateway.client.get(f"/api/v1/feeds/{subscription['id']}/events", headers=key)).json()
    keys = await page_keys(gateway)
    assert signature_holds(page, keys)
    assert not signature_holds({**page, "next_cursor": str(int(page["next_cursor"]) + 1)}, keys)


async def test_personal_identifiers_only_where_the_subscription_says_so(
    gateway: Gateway, province_admin: dict[str, str], nats_js: Any, gateway_schema: CommonSettings
) -> None:
    cipher = PiiCipher(gateway_schema.pii_key)
    refused = await gateway.client.post(
        "/api/v1/feeds/subscriptions",
        json={
            "name": unique_name("p"),
            "agency": "x",
            "region": "140109",
            "fields": {SUBMITTED: ["applicant_name_sealed"]},
        },
        headers=province_admin,
    )
    assert_problem(refused, 400, "personal_field_not_granted")
    unknown = await gateway.client.post(
        "/api/v1/feeds/subscriptions",
        json={"name": unique_name("p"), "agency": "x", "region": "140109", "fields": {SUBMITTED: ["salary"]}},
        headers=province_admin,
    )
    assert_problem(unknown, 400, "unknown_field")
    no_type = await gateway.client.post(
        "/api/v1/feeds/subscriptions",
        json={"name": unique_name("p"), "agency": "x", "region": "140109", "fields": {"intake.nothing.happened": []}},
        headers=province_admin,
    )
    assert_problem(no_type, 400, "unknown_event_type")

    name = unique_name("personal")
    subscription = (
        await subscribe(
            gateway,
            province_admin,
            name=name,
            agency="省人社厅档案",
            region="140109",
            fields={SUBMITTED: ["applicant_key", "applicant_name_sealed", "declaration_id"]},
            personal_identifiers=True,
        )
    )["subscription"]
    key = await issue_key(gateway, province_admin, region=SHANXI, scopes=[f"feed:{name}"])
    declaration = str(uuid.uuid4())
    event_id = await publish(
        nats_js,
        gateway_schema,
        SUBMITTED,
        submitted(declaration, "140109", cipher, name="李四"),
        subject=declaration,
        region="140109",
        version=2,
    )
    await logged(gateway_schema, [event_id])
    events, _ = await pull_all(gateway, subscription["id"], key)
    assert [e["id"] for e in events] == [event_id]
    # The sealed name arrives opened, under its plain name.
    assert events[0]["data"] == {
        "applicant_key": cipher.keyed_hash("140105199001011234"),
        "applicant_name": "李四",
        "declaration_id": declaration,
    }
    reads = await run_sql(
        gateway_schema,
        "gateway",
        "SELECT count(*) FROM gateway.journal WHERE action = 'gateway.feed.pulled' AND record_region = '140109'"
        " AND actor = :actor",
        actor=f"apikey:{uuid.UUID(key['X-API-Key'][4:36])}",
    )
    assert reads[0][0] == 1  # one page read, with one event of one region


async def test_IN_2_NA_13_the_credit_platform_receives_fraud_records_with_their_identifiers(
    gateway: Gateway, province_admin: dict[str, str], nats_js: Any, gateway_schema: CommonSettings
) -> None:
    """The credit feed that integrity served itself is now this subscription (issue 17)."""
    cipher = PiiCipher(gateway_schema.pii_key)
    name = unique_name("credit-platform")
    subscription = (
        await subscribe(
            gateway,
            province_admin,
            name=name,
            agency="全国信用信息共享平台（山西）",
            region="140110",
            fields={
                "integrity.record.decided": [
                    "deciding_authority",
                    "decision_date",
                    "kind",
                    "record_id",
                    "subject_id_sealed",
                    "subject_name_sealed",
                    "valid_from",
                    "valid_until",
                ],
                "integrity.record.withdrawn": ["outcome", "record_id"],
            },
            where={"shared_with_credit_platform": [True]},
            personal_identifiers=True,
        )
    )["subscription"]
    key = await issue_key(gateway, province_admin, region=SHANXI, scopes=[f"feed:{name}"])
    fraud, misconduct = str(uuid.uuid4()), str(uuid.uuid4())
    number = "140105199001011234"

    def decided(record_id: str, kind: str, shared: bool) -> dict[str, Any]:
        return {
            "record_id": record_id,
            "subject_kind": "person",
            "subject_key": cipher.keyed_hash(number),
            "kind": kind,
            "effects": {
                "bar_declaring": shared,
                "bar_expert_draws": False,
                "revoke_certificate_number": None,
                "unit_sanction": None,
            },
            "valid_from": "2026-11-20",
            "valid_until": "2029-11-20",
            "rule_ids": ["IN-2"],
            "policy_pack": "shanxi-2024",
            "shared_with_credit_platform": shared,
            "subject_name_sealed": cipher.encrypt("赵六") if shared else None,
            "subject_id_sealed": cipher.encrypt(number) if shared else None,
            "deciding_authority": "小店区人社局" if shared else None,
            "decision_date": "2026-11-20" if shared else None,
        }

    ids = [
        await publish(
            nats_js,
            gateway_schema,
            "integrity.record.decided",
            decided(fraud, "falsified_materials", True),
            subject=fraud,
            region="140110",
        ),
        await publish(
            nats_js,
            gateway_schema,
            "integrity.record.decided",
            decided(misconduct, "staff_misconduct", False),
            subject=misconduct,
            region="140110",
        ),
        await publish(
            nats_js,
            gateway_schema,
            "integrity.record.withdrawn",
            {
                "record_id": fraud,
                "subject_kind": "person",
                "subject_key": cipher.keyed_hash(number),
                "outcome": "withdrawn",
                "kind": "falsified_materials",
                "shared_with_credit_platform": True,
            },
            subject=fraud,
            region="140110",
            version=2,
        ),
    ]
    await logged(gateway_schema, ids)
    events, _ = await pull_all(gateway, subscription["id"], key)
    assert [e["id"] for e in events] == [ids[0], ids[2]]  # the staff misconduct record is not shared
    assert events[0]["data"] == {
        "record_id": fraud,
        "kind": "falsified_materials",
        "subject_name": "赵六",
        "subject_id": number,
        "deciding_authority": "小店区人社局",
        "decision_date": "2026-11-20",
        "valid_from": "2026-11-20",
        "valid_until": "2029-11-20",
    }
    assert events[1]["data"] == {"record_id": fraud, "outcome": "withdrawn"}


async def test_a_key_without_the_feeds_scope_is_refused_and_bad_cursors_are_400(
    gateway: Gateway, province_admin: dict[str, str]
) -> None:
    name = unique_name("scoped")
    subscription = (
        await subscribe(
            gateway, province_admin, name=name, agency="x", region="140108", fields={WITHDRAWN: ["declaration_id"]}
        )
    )["subscription"]
    other = await issue_key(gateway, province_admin, region="140108", scopes=["feed:someone-else", "query"])
    path = f"/api/v1/feeds/{subscription['id']}/events"
    assert_problem(await gateway.client.get(path, headers=other), 403, "scope_required")
    assert_problem(await gateway.client.get(path), 401, "api_key_missing")
    key = await issue_key(gateway, province_admin, region="140108", scopes=[f"feed:{name}"])
    assert_problem(await gateway.client.get(path, params={"after": "abc"}, headers=key), 400, "bad_cursor")
    missing = f"/api/v1/feeds/{uuid.uuid4()}/events"
    assert_problem(await gateway.client.get(missing, headers=key), 404, "subscription_not_found")


async def test_the_event_catalog_is_served(gateway: Gateway) -> None:
    response = await gateway.client.get("/api/v1/feeds/catalog")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/yaml")
    document = yaml.safe_load(response.text)
    assert document["asyncapi"] == "3.0.0"
    assert "integrity_record_decided_v1" in document["components"]["messages"]
