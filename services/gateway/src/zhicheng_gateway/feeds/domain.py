"""Pure rules of the feeds: which fields an agency may select, what an event looks like once
projected for a subscription, cursors, the canonical bytes a page is signed over, and the
webhook's back-off. No I/O here.

Personal identifiers (keyed hashes ``*_key``, sealed text ``*_sealed``, the declaring account
``owner_subject``) are sent only to a subscription that says ``personal_identifiers``; there a
sealed field is delivered opened, under its name without ``_sealed`` (``applicant_name_sealed``
arrives as ``applicant_name``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from zhicheng_common.paging import MAX_BIGINT
from zhicheng_common.refusals import Refusal

SEALED_SUFFIX = "_sealed"
PERSONAL_SUFFIXES = ("_key", SEALED_SUFFIX)
PERSONAL_NAMES = frozenset({"owner_subject"})
#: The envelope attributes every projected event keeps (CloudEvents 1.0 plus ``region`` and ``aggregateversion``).
ENVELOPE_KEYS = (
    "specversion",
    "id",
    "source",
    "type",
    "subject",
    "time",
    "datacontenttype",
    "region",
    "aggregateversion",
)
_TYPE = re.compile(r"^cn\.zhicheng\.([a-z_]+\.[a-z_]+\.[a-z_]+)\.v[0-9]+$")

Opener = Callable[[str], str | None]


def is_personal(field: str) -> bool:
    return field in PERSONAL_NAMES or field.endswith(PERSONAL_SUFFIXES)


def event_name(event_type: str) -> str | None:
    """``cn.zhicheng.intake.declaration.submitted.v2`` → ``intake.declaration.submitted``."""
    match = _TYPE.match(event_type)
    return match.group(1) if match else None


def _holds_personal(schema: Any, schemas: Mapping[str, Any], seen: frozenset[str] = frozenset()) -> bool:
    """Whether a JSON schema holds a personal field anywhere below it (following ``$ref``)."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            return name not in seen and _holds_personal(schemas.get(name), schemas, seen | {name})
        properties = schema.get("properties")
        if isinstance(properties, dict) and any(is_personal(str(key)) for key in properties):
            return True
        return any(_holds_personal(value, schemas, seen) for value in schema.values())
    if isinstance(schema, list):
        return any(_holds_personal(value, schemas, seen) for value in schema)
    return False


def catalog_fields(document: Mapping[str, Any]) -> dict[str, dict[str, bool]]:
    """From the AsyncAPI catalog: each event name's data fields (every version), personal or not."""
    schemas = document.get("components", {}).get("schemas", {})
    out: dict[str, dict[str, bool]] = {}
    for message in document.get("components", {}).get("messages", {}).values():
        name = event_name(str(message.get("name", "")))
        if name is None:
            continue
        parts = message.get("payload", {}).get("allOf", [])
        data: dict[str, Any] = next((p["properties"]["data"] for p in parts if "data" in p.get("properties", {})), {})
        fields = out.setdefault(name, {})
        for field, schema in data.get("properties", {}).items():
            fields[field] = fields.get(field, False) or is_personal(field) or _holds_personal(schema, schemas)
    return out


def selection_refusals(
    fields: Mapping[str, list[str]],
    where: Mapping[str, list[Any]],
    *,
    personal_identifiers: bool,
    catalog: Mapping[str, Mapping[str, bool]],
) -> list[Refusal]:
    """Every reason a selection cannot be granted: unknown types or fields, personal ones without leave."""
    refusals: list[Refusal] = []
    for name, selected in fields.items():
        known = catalog.get(name)
        if known is None:
            refusals.append(Refusal(None, "unknown_event_type", f"事件目录中没有事件类型 {name}", ("fields",)))
            continue
        for field in selected:
            if field not in known:
                refusals.append(Refusal(None, "unknown_field", f"事件 {name} 没有字段 {field}", ("fields",)))
            elif known[field] and not personal_identifiers:
                refusals.append(
                    Refusal(
                        None,
                        "personal_field_not_granted",
                        f"字段 {field} 含个人身份信息，仅在订阅明确授权（personal_identifiers）时可选",
                        ("fields",),
                    )
                )
    for field in where:
        if not any(field in catalog.get(name, {}) for name in fields):
            refusals.append(Refusal(None, "unknown_field", f"筛选条件的字段 {field} 不在所选事件中", ("where",)))
        elif is_personal(field):
            refusals.append(Refusal(None, "personal_filter", f"不能按个人身份信息字段 {field} 筛选", ("where",)))
    return refusals


def open_sealed(value: Any, opener: Opener) -> Any:
    """``value`` with every ``*_sealed`` member opened under its plain name (nested lists and objects too)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key.endswith(SEALED_SUFFIX) and isinstance(item, str):
                out[key.removesuffix(SEALED_SUFFIX)] = opener(item)
            else:
                out[key] = open_sealed(item, opener)
        return out
    if isinstance(value, list):
        return [open_sealed(item, opener) for item in value]
    return value


def project(envelope: Mapping[str, Any], selected: list[str], *, opener: Opener | None) -> dict[str, Any]:
    """The event as the subscription receives it: the envelope, and only the selected data fields.

    ``opener`` (given only for a subscription with personal identifiers) opens sealed fields.
    """
    data = envelope.get("data") or {}
    chosen = {field: data[field] for field in selected if field in data}
    event = {key: envelope[key] for key in ENVELOPE_KEYS if envelope.get(key) is not None}
    event["data"] = open_sealed(chosen, opener) if opener is not None else chosen
    return event


def parse_cursor(cursor: str | None) -> int | Refusal:
    """A cursor is the decimal position of the last event received (``0`` or none: from the start)."""
    if cursor is None or cursor == "":
        return 0
    if not cursor.isascii() or not cursor.isdigit() or int(cursor) > MAX_BIGINT:
        return Refusal(None, "bad_cursor", f"游标无效：{cursor[:40]}（应为上一页返回的 next_cursor）", ("after",))
    return int(cursor)


def canonical_json(value: Any) -> bytes:
    """The bytes a page is signed over: sorted keys, no spaces, UTF-8 (re-serialize the parsed page to check)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def backoff_seconds(failures: int, *, base: float, cap: float) -> float:
    """Wait before the next try after ``failures`` failed ones in a row: base, 2·base, 4·base … up to ``cap``."""
    return float(min(cap, base * 2 ** max(0, failures - 1)))


def is_disabled_after(failures: int, *, max_failures: int) -> bool:
    """A webhook that failed ``max_failures`` times in a row is disabled until an operator replays it."""
    return failures >= max_failures
