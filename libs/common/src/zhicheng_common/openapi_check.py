"""Check a response against an OpenAPI document: status documented, content type, body schema.

Used by the tests that hold every service's document to what it really sends. The schema check
covers the JSON Schema keywords pydantic emits (``$ref``, ``anyOf``/``oneOf``, ``type``, ``enum``,
``const``, ``required``, ``properties``, ``additionalProperties``, ``items``).
"""

from __future__ import annotations

from typing import Any

import httpx


def resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` (``#/…`` within ``root``) to the schema it names."""
    while "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = target
    return schema


_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}


def violations(value: Any, schema: dict[str, Any], root: dict[str, Any], at: str = "$") -> list[str]:
    """What in ``value`` does not fit ``schema`` (empty when it fits)."""
    schema = resolve(schema, root)
    if "anyOf" in schema or "oneOf" in schema:
        options = schema.get("anyOf", schema.get("oneOf", []))
        if any(not violations(value, option, root, at) for option in options):
            return []
        return [f"{at}: fits none of {options}"]
    problems: list[str] = []
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        fits = any(
            isinstance(value, _TYPES[k]) and not (k in ("integer", "number") and isinstance(value, bool)) for k in kinds
        )
        if not fits:
            return [f"{at}: {value!r} is not {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{at}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        problems.append(f"{at}: {value!r} is not {schema['const']!r}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        problems += [f"{at}: missing {key}" for key in schema.get("required", []) if key not in value]
        for key, item in value.items():
            if key in properties:
                problems += violations(item, properties[key], root, f"{at}.{key}")
            elif schema.get("additionalProperties") is False:
                problems.append(f"{at}: unexpected {key}")
            elif isinstance(schema.get("additionalProperties"), dict):
                problems += violations(item, schema["additionalProperties"], root, f"{at}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += violations(item, schema["items"], root, f"{at}[{index}]")
    return problems


def check_documented(response: httpx.Response, operation: dict[str, Any], root: dict[str, Any]) -> list[str]:
    """What in the response the document does not say: status, content type, body."""
    documented = operation["responses"].get(str(response.status_code))
    if documented is None:
        return [f"status {response.status_code} is not documented: {response.text[:300]}"]
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    content = documented.get("content", {})
    key = next((k for k in (media_type, media_type.split("/")[0] + "/*", "*/*") if k in content), None)
    if key is None:
        return [f"{response.status_code} is sent as {media_type}, documented as {sorted(content)}"]
    schema = content[key].get("schema")
    if schema is None or "json" not in media_type:
        return []  # a file's bytes: the media type is what the document can say
    return violations(response.json(), schema, root)
