"""The event envelope (DESIGN.md §3): CloudEvents naming, UUIDv7 ids, the event type registry."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel

from zhicheng_common.events.envelope import EVENT_TYPES, CloudEvent, event_type, make_envelope, spec_of
from zhicheng_common.ids import uuid7


@pytest.fixture(autouse=True)
def clean_registry() -> Iterator[None]:
    """The registry is global (the event catalog reads it): leave it as the test found it."""
    before = dict(EVENT_TYPES)
    yield
    EVENT_TYPES.clear()
    EVENT_TYPES.update(before)


class DeclarationSubmitted(BaseModel):
    """Test only: a declaration was submitted."""

    declaration_id: str
    series: str


def test_type_source_and_subject_follow_the_naming_rules() -> None:
    event_type("unittest.declaration.submitted", version=2)(DeclarationSubmitted)
    spec = spec_of(DeclarationSubmitted(declaration_id="d1", series="engineering"))
    assert spec.type == "cn.zhicheng.unittest.declaration.submitted.v2"
    assert spec.source == "/zhicheng/unittest"
    assert spec.service == "unittest"
    assert spec.subject("zc") == "zc.unittest.declaration.submitted"
    assert spec.description == "Test only: a declaration was submitted."


def test_an_envelope_is_cloudevents_json_with_the_zhicheng_extensions() -> None:
    event_type("unittest.declaration.submitted")(DeclarationSubmitted)
    before = datetime.now(UTC)
    envelope = make_envelope(
        DeclarationSubmitted(declaration_id="d1", series="engineering"),
        subject="d1",
        region="140100",
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    )
    body = envelope.model_dump(mode="json")
    assert body["specversion"] == "1.0"
    assert body["type"] == "cn.zhicheng.unittest.declaration.submitted.v1"
    assert body["source"] == "/zhicheng/unittest"
    assert body["subject"] == "d1"
    assert body["datacontenttype"] == "application/json"
    assert body["data"] == {"declaration_id": "d1", "series": "engineering"}
    assert body["region"] == "140100"
    assert body["traceparent"].startswith("00-0af7651916cd43dd8448eb211c80319c-")
    assert envelope.time.tzinfo is not None
    assert envelope.time >= before
    assert uuid.UUID(envelope.id).version == 7
    assert envelope.service == "unittest"
    assert CloudEvent.model_validate_json(envelope.model_dump_json()) == envelope


def test_uuid7_ids_are_version_7_and_sort_by_time() -> None:
    ids: list[uuid.UUID] = []
    deadline = datetime.now(UTC).timestamp() + 2
    # Collect ids over at least three distinct milliseconds (bounded: no sleeping).
    while len({i.int >> 80 for i in ids}) < 3 and datetime.now(UTC).timestamp() < deadline:
        ids.append(uuid7())
    assert len({i.int >> 80 for i in ids}) >= 3
    for value in ids:
        assert value.version == 7
        assert value.variant == uuid.RFC_4122
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    assert 0 <= now_ms - (ids[0].int >> 80) < 5000  # the first 48 bits are Unix milliseconds
    # Sorting the ids (as UUIDs or as their text) sorts them by the millisecond they were made in.
    millis = [i.int >> 80 for i in ids]
    assert [i.int >> 80 for i in sorted(ids)] == sorted(millis)
    assert [i.int >> 80 for i in sorted(ids, key=str)] == sorted(millis)
    earlier, later = ids[0], ids[-1]
    assert (earlier.int >> 80) < (later.int >> 80)
    assert earlier < later
    assert str(earlier) < str(later)


def test_the_registry_refuses_a_type_name_registered_twice() -> None:
    event_type("unittest.declaration.submitted")(DeclarationSubmitted)

    class Impostor(BaseModel):
        declaration_id: str

    with pytest.raises(ValueError, match=r"cn\.zhicheng\.unittest\.declaration\.submitted\.v1"):
        event_type("unittest.declaration.submitted")(Impostor)
    assert Impostor not in EVENT_TYPES
    # Registering the same model again (a re-import) is harmless, and a new version is a new type.
    event_type("unittest.declaration.submitted")(DeclarationSubmitted)
    event_type("unittest.declaration.submitted", version=2)(Impostor)
    assert spec_of(Impostor(declaration_id="d")).type == "cn.zhicheng.unittest.declaration.submitted.v2"


@pytest.mark.parametrize("name", ["declaration.submitted", "unittest.declaration.submitted.now", "submitted"])
def test_an_event_name_is_service_entity_fact(name: str) -> None:
    with pytest.raises(ValueError, match=r"<service>\.<entity>\.<fact>"):
        event_type(name)


def test_an_unregistered_model_cannot_be_wrapped() -> None:
    class Unregistered(BaseModel):
        x: int

    with pytest.raises(LookupError):
        make_envelope(Unregistered(x=1), subject="s")
