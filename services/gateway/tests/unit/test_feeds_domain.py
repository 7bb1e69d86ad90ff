"""Pure rules of the feeds and the keys: selections, projection, cursors, back-off, quota windows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from zhicheng_gateway.feeds.domain import (
    backoff_seconds,
    catalog_fields,
    event_name,
    is_disabled_after,
    parse_cursor,
    project,
    selection_refusals,
)
from zhicheng_gateway.keys.domain import (
    KeyState,
    hash_secret,
    key_id_of,
    new_secret,
    quota_refusal,
    retry_after_seconds,
    scope_refusals,
    secret_refusal,
)

CATALOG: dict[str, Any] = {
    "components": {
        "schemas": {"Passed": {"properties": {"applicant_key": {"type": "string"}, "level": {"type": "string"}}}},
        "messages": {
            "m1": {
                "name": "cn.zhicheng.committees.results.confirmed.v1",
                "payload": {
                    "allOf": [
                        {"$ref": "#/components/schemas/CloudEvent"},
                        {
                            "properties": {
                                "data": {
                                    "properties": {
                                        "meeting_id": {"type": "string"},
                                        "passed": {"type": "array", "items": {"$ref": "#/components/schemas/Passed"}},
                                        "owner_subject": {"type": "string"},
                                    }
                                }
                            }
                        },
                    ]
                },
            }
        },
    }
}


def test_a_field_holding_personal_fields_below_it_is_personal() -> None:
    assert catalog_fields(CATALOG) == {
        "committees.results.confirmed": {"meeting_id": False, "passed": True, "owner_subject": True}
    }


def test_personal_fields_need_the_subscriptions_leave() -> None:
    catalog = catalog_fields(CATALOG)
    fields = {"committees.results.confirmed": ["meeting_id", "passed"]}
    refused = selection_refusals(fields, {}, personal_identifiers=False, catalog=catalog)
    assert [r.code for r in refused] == ["personal_field_not_granted"]
    assert selection_refusals(fields, {}, personal_identifiers=True, catalog=catalog) == []
    assert [r.code for r in selection_refusals({"x.y.z": []}, {}, personal_identifiers=True, catalog=catalog)] == [
        "unknown_event_type"
    ]
    where = {"owner_subject": ["a"]}
    assert [r.code for r in selection_refusals(fields, where, personal_identifiers=True, catalog=catalog)] == [
        "personal_filter"
    ]


def test_projection_keeps_the_envelope_and_only_the_selected_fields_opening_sealed_ones() -> None:
    envelope = {
        "specversion": "1.0",
        "id": "e1",
        "source": "/zhicheng/intake",
        "type": "cn.zhicheng.intake.declaration.submitted.v2",
        "subject": "d1",
        "time": "2026-12-03T01:00:00Z",
        "region": "140105",
        "traceparent": "00-abc",
        "data": {"declaration_id": "d1", "applicant_name_sealed": "SEALED", "series": "engineering"},
    }
    plain = project(envelope, ["declaration_id"], opener=None)
    assert plain == {
        "specversion": "1.0",
        "id": "e1",
        "source": "/zhicheng/intake",
        "type": "cn.zhicheng.intake.declaration.submitted.v2",
        "subject": "d1",
        "time": "2026-12-03T01:00:00Z",
        "region": "140105",
        "data": {"declaration_id": "d1"},
    }
    opened = project(envelope, ["applicant_name_sealed"], opener={"SEALED": "王五"}.get)
    assert opened["data"] == {"applicant_name": "王五"}


def test_cursors_back_off_and_disabling() -> None:
    assert event_name("cn.zhicheng.intake.declaration.submitted.v2") == "intake.declaration.submitted"
    assert parse_cursor(None) == 0
    assert parse_cursor("1041") == 1041
    refused = parse_cursor("-1")
    assert not isinstance(refused, int)
    assert refused.code == "bad_cursor"
    # 10 s, then doubled: 20, 40, 80; capped at 60 here.
    assert [backoff_seconds(n, base=10, cap=60) for n in (1, 2, 3, 4)] == [10.0, 20.0, 40.0, 60.0]
    assert (is_disabled_after(2, max_failures=3), is_disabled_after(3, max_failures=3)) == (False, True)


def test_key_secrets_name_their_key_and_open_it_only_while_valid() -> None:
    key_id = uuid.UUID("01938f3c-7a1e-7c44-9d3b-2a6f0c1d5e00")
    secret = new_secret(key_id)
    assert key_id_of(secret) == key_id
    assert key_id_of("zck_nothex_x") is None
    now = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    old = new_secret(key_id)
    state = KeyState(hash_secret(secret), hash_secret(old), now + timedelta(hours=1), None)
    assert secret_refusal(state, secret, now=now) is None
    assert secret_refusal(state, old, now=now + timedelta(minutes=59)) is None
    late = secret_refusal(state, old, now=now + timedelta(hours=1))
    assert late is not None
    assert late.code == "api_key_rotated"
    revoked = KeyState(hash_secret(secret), None, None, now)
    refused = secret_refusal(revoked, secret, now=now)
    assert refused is not None
    assert refused.code == "api_key_revoked"
    assert [r.code for r in scope_refusals(["verify", "query", "feed:taiyuan-hr", "feed:", "admin"])] == [
        "unknown_scope",
        "unknown_scope",
    ]


def test_the_quota_window_and_retry_after() -> None:
    at = datetime(2026, 12, 3, 1, 0, 10, tzinfo=UTC)
    assert retry_after_seconds(at, 60) == 50  # the window 01:00:00-01:01:00
    assert retry_after_seconds(at + timedelta(seconds=49, microseconds=500_000), 60) == 1  # rounded up
    assert quota_refusal(3, quota=3, now=at, window_seconds=60) is None
    over = quota_refusal(4, quota=3, now=at, window_seconds=60)
    assert over is not None
    assert over.facts == {"quota": 3, "window_seconds": 60, "retry_after": 50}
