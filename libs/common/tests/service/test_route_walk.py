"""Every route of every service, walked with bad input, answers a 4xx problem, never a 5xx (issue 11 §3).

Each service's app runs in-process on a database of its own (real PostgreSQL, its migrations) and
the session's NATS. From the app's own OpenAPI document a valid-looking request is built per route
(path and query parameters, and a JSON body from the schema or its example); then one value at a
time is replaced by a bad one: a string with ``\\u0000`` (PostgreSQL refuses NUL in text), a very
long string, a date or year of 9999; every route is also called with a token whose header says
RS256 over the Ed25519 key's id. Any answer of 500 or more fails the test, naming the request.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key

from zhicheng_common.auth import Role
from zhicheng_common.cli import migrations_dir
from zhicheng_common.migrations import upgrade
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys, TestStack, build_app, create_database, in_thread
from zhicheng_common.topology import ALL_SERVICES, ServiceInfo

pytestmark = pytest.mark.service

NUL = "a\u0000b"
LONG = "长" * 5000
FAR_DATE = "9999-12-31"
FAR_DATETIME = "9999-12-31T23:59:59+00:00"
YEAR = 9999
SHANXI = "140000"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: dict[str, Any]
    body: Any
    content_type: str | None
    what: str = "baseline"


class Schemas:
    """Valid-looking values from an OpenAPI document's schemas (``$ref`` resolved)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.components: dict[str, Any] = document.get("components", {}).get("schemas", {})

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def value(self, schema: dict[str, Any], name: str = "", depth: int = 0) -> Any:
        schema = self.resolve(schema)
        for key in ("example", "default"):
            if key in schema and schema[key] is not None:
                return copy.deepcopy(schema[key])
        if schema.get("examples"):
            return copy.deepcopy(schema["examples"][0])
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][0]
        for key in ("anyOf", "oneOf", "allOf"):
            if key in schema:
                options = [s for s in schema[key] if self.resolve(s).get("type") != "null"]
                return self.value(options[0] if options else schema[key][0], name, depth)
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            if depth > 6:
                return {}
            required = set(schema.get("required", ()))
            return {
                prop: self.value(sub, prop, depth + 1)
                for prop, sub in schema.get("properties", {}).items()
                if prop in required
            }
        if kind == "array":
            count = max(1, int(schema.get("minItems", 1)))
            return [self.value(schema.get("items", {}), name, depth + 1) for _ in range(count)]
        if kind == "integer":
            if "year" in name:
                return 2024
            return int(schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1))
        if kind == "number":
            return float(schema.get("minimum", 1))
        if kind == "boolean":
            return False
        if kind == "null":
            return None
        return self.string(schema, name)

    def string(self, schema: dict[str, Any], name: str) -> str:
        fmt = schema.get("format")
        if fmt == "uuid":
            return str(uuid.uuid4())
        if fmt == "date":
            return "2024-05-01"
        if fmt == "date-time":
            return "2024-05-01T10:00:00+08:00"
        if "region" in name or "[0-9]{6}" in schema.get("pattern", ""):
            return "140100"
        return "x" * max(1, int(schema.get("minLength", 1)))


def string_leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Paths to every string or year-named integer inside a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from string_leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from string_leaves(item, (*path, index))
    elif isinstance(value, str) or (
        isinstance(value, int) and not isinstance(value, bool) and path and "year" in str(path[-1])
    ):
        yield path, value


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    out = copy.deepcopy(value)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return out


def bad_values(current: Any) -> list[Any]:
    """What one value is replaced by: NUL, very long, the year 9999."""
    if isinstance(current, int):
        return [YEAR]
    values: list[Any] = [NUL, LONG]
    if len(current) == 10 and current[4:5] == "-":
        values.append(FAR_DATE)
    elif len(current) > 18 and current[4:5] == "-" and "T" in current:
        values.append(FAR_DATETIME)
    return values


def calls_of(document: dict[str, Any]) -> Iterator[Call]:
    schemas = Schemas(document)
    for template, item in document["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            path_values: dict[str, Any] = {}
            query: dict[str, Any] = {}
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("examples"):
                    value = next(iter(parameter["examples"].values())).get("value")
                elif "example" in parameter:
                    value = parameter["example"]
                else:
                    value = schemas.value(schema, parameter["name"])
                if parameter["in"] == "path":
                    path_values[parameter["name"]] = value
                elif parameter["in"] == "query" and (parameter.get("required") or value is not None):
                    query[parameter["name"]] = value
            body: Any = None
            content_type: str | None = None
            content = operation.get("requestBody", {}).get("content", {})
            for kind in ("application/json", "application/x-www-form-urlencoded"):
                if kind in content:
                    content_type = kind
                    media = content[kind]
                    body = media["example"] if "example" in media else schemas.value(media.get("schema", {}))
                    break
            if "attachments" in template and method == "post":
                body, content_type = "%PDF-1.4 walk", "application/pdf"

            def build(
                paths: dict[str, Any],
                q: dict[str, Any],
                b: Any,
                what: str,
                ct: str | None = content_type,
                template: str = template,
                method: str = method,
            ) -> Call:
                url = template
                for name, value in paths.items():
                    url = url.replace("{" + name + "}", quote(str(value), safe=""))
                return Call(method.upper(), url, q, b, ct, what)

            yield build(path_values, query, body, "baseline")
            for name, value in path_values.items():
                if isinstance(value, str):
                    for bad in (NUL, LONG):
                        yield build({**path_values, name: bad}, query, body, f"path {name}={bad[:8]!r}")
            for name, value in query.items():
                for bad in bad_values(value) if isinstance(value, str | int) and not isinstance(value, bool) else []:
                    yield build(path_values, {**query, name: bad}, body, f"query {name}={str(bad)[:8]!r}")
            if content_type is not None and isinstance(body, dict | list):
                for leaf, value in string_leaves(body):
                    for bad in bad_values(value):
                        yield build(path_values, query, replaced(body, leaf, bad), f"body {leaf}={str(bad)[:8]!r}")
            if content_type == "application/pdf":
                yield build(path_values, query, body, "content-type over 128 characters", "application/" + "x" * 200)


def is_public(path: str) -> bool:
    """Routes that need no token: health, documents, sign-in, reference data, publicity pages (RV-6)."""
    return (
        not path.startswith("/api/v1/")
        or "/public/" in path
        or path.startswith(("/api/v1/auth/", "/api/v1/healthz", "/api/v1/reference"))
        or path.endswith(("/openapi.json", "/docs"))
        # The feeds' event catalog and the keys that verify pulled pages (issue 17).
        or path in ("/api/v1/feeds/catalog", "/api/v1/feeds/keys")
    )


def wrong_algorithm_token(keys: TestKeys) -> str:
    """A token whose header says RS256 over the Ed25519 key's id (signed with some RSA key)."""
    rsa = generate_private_key(public_exponent=65537, key_size=2048)
    claims = {"sub": "walker", "iss": "zhicheng-test", "aud": "zhicheng", "exp": 4102444800, "roles": ["auditor"]}
    return jwt.encode(claims, rsa, algorithm="RS256", headers={"kid": keys.issuer.kid})


@pytest.fixture(scope="module")
def walked_databases(zc_stack: TestStack) -> dict[str, str]:
    """One freshly migrated database per service (set up in a thread: Alembic runs its own loop)."""

    def prepare(info: ServiceInfo) -> str:
        url = create_database(zc_stack, f"walk_{info.name}")
        upgrade(migrations_dir(info), url)
        return url

    return in_thread(lambda: {info.name: prepare(info) for info in ALL_SERVICES})


@pytest.mark.parametrize("info", ALL_SERVICES, ids=[s.name for s in ALL_SERVICES])
async def test_no_route_answers_5xx_to_bad_strings_far_years_or_a_wrong_algorithm_token(
    info: ServiceInfo, walked_databases: dict[str, str], zc_settings: CommonSettings, zc_keys: TestKeys, tmp_path: Path
) -> None:
    common = zc_settings.model_copy(
        update={"database_url": walked_databases[info.name], "events_prefix": f"{zc_settings.events_prefix}wk"}
    )
    options: dict[str, Any] = {"scheduler_enabled": False, "consumers_enabled": False, "relay_enabled": False}
    app = build_app(info, common, **options)
    token = zc_keys.token(
        roles=[str(role) for role in Role],
        region=SHANXI,
        subject=str(uuid.uuid4()),
        person_key="p" * 64,
        unit_key="u" * 64,
        department="hr",
        committees=[str(uuid.uuid4())],
    )
    good = {"Authorization": f"Bearer {token}"}
    forged = {"Authorization": f"Bearer {wrong_algorithm_token(zc_keys)}"}
    failures: list[str] = []
    count = 0
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://w") as client:
        calls = list(calls_of(app.openapi()))
        for call in calls:
            variants = [(good, call.what)]
            if call.what == "baseline":
                variants.append((forged, "RS256 header over the Ed25519 key id"))
            for headers, what in variants:
                request_headers = dict(headers)
                kwargs: dict[str, Any] = {}
                if call.content_type == "application/json":
                    kwargs["json"] = call.body
                elif call.content_type == "application/x-www-form-urlencoded":
                    kwargs["data"] = call.body
                elif call.content_type is not None:
                    kwargs["content"] = call.body
                    request_headers["content-type"] = call.content_type
                response = await client.request(
                    call.method, call.path, params=call.query, headers=request_headers, **kwargs
                )
                count += 1
                # A health route says 503 when a dependency is down: that is its answer, not a failure.
                health = call.path.endswith(("/healthz", "/readyz")) and response.status_code == 503
                # The gateway is walked alone: a route that calls a service (verification, the
                # holder's view) says that service is not answering, which is its answer then.
                upstream_down = (
                    info.name == "gateway"
                    and response.status_code == 503
                    and response.json().get("code") == "upstream_unavailable"
                )
                if response.status_code >= 500 and not health and not upstream_down:
                    failures.append(
                        f"{call.method} {call.path[:80]} [{what}] → {response.status_code} {response.text[:200]}"
                    )
                elif "\\x00" in what and (response.status_code, response.json().get("code")) != (422, "nul_character"):
                    failures.append(
                        f"{call.method} {call.path[:80]} [{what}] → {response.status_code}, not nul_character"
                    )
                elif what.startswith("RS256") and not is_public(call.path) and response.status_code != 401:
                    failures.append(f"{call.method} {call.path} [{what}] → {response.status_code}, not 401")
    assert count > len(calls), "the walk sent no bad values"
    assert failures == [], f"{len(failures)} of {count} requests answered 5xx:\n" + "\n".join(failures)
