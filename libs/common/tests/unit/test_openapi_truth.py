"""The OpenAPI document tells the truth: what it documents is what the server sends.

Every app is built without its lifespan (no database or broker): the requests below are answered
before a route touches either. For every operation of every document:

- without a token, a protected operation answers 401;
- with a token holding every role, an operation with parameters or a JSON body answers 422 to a
  malformed path/query value or a body that is not JSON;

and each answer's status is documented, its content type is the documented one and its body
validates against the documented schema (a small JSON Schema check written here: the keywords
pydantic emits for these models).
"""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from zhicheng_common.auth import Role
from zhicheng_common.openapi_check import check_documented, resolve, violations
from zhicheng_common.problems import PROBLEM_MEDIA_TYPE
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestKeys, build_app
from zhicheng_common.topology import ALL_SERVICES, DOMAIN_SERVICES

APP_NAMES = [info.name for info in DOMAIN_SERVICES] + ["gateway"]
METHODS = ("get", "put", "post", "delete", "patch")
UUID = "0190b5a2-0000-7000-8000-000000000001"
PROVINCE = "140000"


@dataclass
class Built:
    app: FastAPI
    document: dict[str, Any]
    client: TestClient
    headers: dict[str, str]


_BUILT: dict[str, Built] = {}


def _build(name: str, keys: TestKeys, tmp_path: Path) -> Built:
    if name in _BUILT:
        return _BUILT[name]
    common = CommonSettings(
        environment="test",
        data_dir=tmp_path,
        jwt_issuer="zhicheng-test",
        jwt_jwks=keys.jwks_json,
        jwt_jwks_file=None,
        jwt_jwks_url=None,
    )
    module = importlib.import_module(f"zhicheng_{name}.app")
    if name == "gateway":
        from zhicheng_gateway.proxy import Upstreams
        from zhicheng_gateway.settings import GatewaySettings

        settings = GatewaySettings()
        app = module.create_app(common, settings)
        app.state.upstreams = Upstreams(settings)
    else:
        app = module.create_app(common)
    roles = [role.value for role in Role]
    headers = keys.headers(roles=roles, region=PROVINCE, person_key="p-1", unit_key="u-1", department="d-1")
    if name == "gateway":  # the gateway verifies the tokens it issued itself
        from zhicheng_common.auth import Principal

        principal = Principal(subject="u-test", roles=frozenset(roles), region=PROVINCE, name="u-test")
        headers = {"Authorization": f"Bearer {app.state.token_issuer.issue(principal, ttl_seconds=3600)}"}
    built = Built(app, app.openapi(), TestClient(app, raise_server_exceptions=False), headers)
    _BUILT[name] = built
    return built


def _operations() -> list[tuple[str, str, str]]:
    """(app, method, path) of every documented operation, read from the documents themselves."""
    out: list[tuple[str, str, str]] = []
    keys_less = CommonSettings()
    for info in ALL_SERVICES:
        name = info.name
        app = build_app(info, keys_less)
        for path, operations in app.openapi()["paths"].items():
            out.extend((name, method, path) for method in operations if method in METHODS)
    return out


OPERATIONS = _operations()


def test_the_schema_check_finds_what_does_not_fit() -> None:
    root = {
        "components": {
            "schemas": {
                "P": {
                    "type": "object",
                    "required": ["code"],
                    "properties": {
                        "code": {"type": "string"},
                        "errors": {"type": "array", "items": {"type": "integer"}},
                    },
                }
            }
        }
    }
    ref = {"$ref": "#/components/schemas/P"}
    assert violations({"code": "x", "errors": [1]}, ref, root) == []
    assert violations({"detail": []}, ref, root) == ["$: missing code"]
    assert violations({"code": 1, "errors": ["a"]}, ref, root) == [
        "$.code: 1 is not string",
        "$.errors[0]: 'a' is not integer",
    ]


# --- the requests ---------------------------------------------------------------------------------


def _param_value(param: dict[str, Any], root: dict[str, Any], *, bad: bool) -> str:
    schema = resolve(param.get("schema", {}), root)
    options = [resolve(s, root) for s in schema.get("anyOf", [schema])]
    first = next((o for o in options if o.get("type") != "null"), {})
    if bad:
        return "not-a-valid-value"
    if first.get("format") == "uuid":
        return UUID
    if first.get("type") == "integer":
        return str(first.get("minimum", 1))
    if "enum" in first:
        return str(first["enum"][0])
    if first.get("format") == "date":
        return "2026-01-05"
    return "x"


def _fits_badly(param: dict[str, Any], root: dict[str, Any]) -> bool:
    """Whether ``not-a-valid-value`` is refused by the parameter's schema (uuid, integer, enum, date…)."""
    schema = resolve(param.get("schema", {}), root)
    options = [resolve(s, root) for s in schema.get("anyOf", [schema])]
    for option in options:
        if option.get("type") == "null":
            continue
        free = option.get("type") == "string" and not ({"format", "enum", "pattern"} & option.keys())
        if free and option.get("maxLength", 99) >= len("not-a-valid-value"):
            return False
        if option.get("type") == "string" and "pattern" in option and re.search(option["pattern"], "not-a-valid-value"):
            return False
    return True


def _url(path: str, operation: dict[str, Any], root: dict[str, Any], bad_param: str | None) -> str:
    query: list[str] = []
    for param in operation.get("parameters", []):
        value = _param_value(param, root, bad=param["name"] == bad_param)
        if param["in"] == "path":
            path = path.replace("{" + param["name"] + "}", value)
        elif param["in"] == "query" and (param.get("required") or param["name"] == bad_param):
            query.append(f"{param['name']}={value}")
    return path + ("?" + "&".join(query) if query else "")


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("openapi-truth")


def _is_public(operation: dict[str, Any]) -> bool:
    """Public when the document names no token for it (``security`` absent or empty)."""
    return not operation.get("security")


@pytest.mark.parametrize(("name", "method", "path"), OPERATIONS, ids=[f"{n} {m.upper()} {p}" for n, m, p in OPERATIONS])
def test_every_operation_answers_as_its_document_says(
    name: str, method: str, path: str, zc_keys: TestKeys, app_dir: Path
) -> None:
    built = _build(name, zc_keys, app_dir)
    root = built.document
    operation = root["paths"][path][method]
    checked = 0

    if not _is_public(operation):
        response = built.client.request(method, _url(path, operation, root, None))
        assert response.status_code == 401, response.text
        assert check_documented(response, operation, root) == []
        # A key route (security apiKey) asks for its key; every other one for a token.
        keyed = operation["security"] == [{"apiKey": []}]
        assert response.json()["code"] == ("api_key_missing" if keyed else "token_missing")
        assert response.headers["www-authenticate"] == "Bearer"
        checked += 1

    # A key route admits its caller (a key row in the database, which this walk has not) before
    # FastAPI validates its parameters; its 401 is checked above, its 422s in the gateway's tests.
    keyed = operation.get("security") == [{"apiKey": []}]
    candidates = [
        p
        for p in operation.get("parameters", [])
        if not keyed and p["in"] in ("path", "query") and _fits_badly(p, root)
    ]
    for param in candidates:
        response = built.client.request(method, _url(path, operation, root, param["name"]), headers=built.headers)
        assert response.status_code == 422, (param["name"], response.text)
        assert check_documented(response, operation, root) == []
        body = response.json()
        assert body["code"] == "validation_failed"
        # The bad value is named; a required body not sent is named too ("body").
        assert param["name"] in [e["field"] for e in body["errors"]]
        checked += 1

    body_content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in body_content:
        response = built.client.request(
            method,
            _url(path, operation, root, None),
            headers={**built.headers, "content-type": "application/json"},
            content=b'{"name": ',
        )
        assert response.status_code == 422, response.text
        assert check_documented(response, operation, root) == []
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("body", "invalid_json")]
        checked += 1

    if "application/x-www-form-urlencoded" in body_content:
        response = built.client.request(method, _url(path, operation, root, None), data={})
        assert response.status_code == 422, response.text
        assert check_documented(response, operation, root) == []
        assert "username" in [e["field"] for e in response.json()["errors"]]
        checked += 1

    if path.startswith("/api/v1/reference/") and "{" in path:
        # Reference data is read from the policy packs (no database): an unknown code is a 404.
        response = built.client.request(method, _url(path, operation, root, None))
        assert response.status_code == 404, response.text
        assert check_documented(response, operation, root) == []
        checked += 1

    if method == "get" and _is_public(operation) and not operation.get("parameters") and path != "/readyz":
        # Public reads needing no database (health, JWKS, OIDC discovery, reference lists): the
        # success itself must match its documented schema.
        response = built.client.get(path)
        # The gateway's aggregated health is 503 "degraded" here: no service is running.
        assert response.status_code == (503 if path == "/api/v1/healthz" else 200), response.text
        assert check_documented(response, operation, root) == []
        checked += 1

    if checked == 0:
        # Public, and nothing to refuse without a database: health, JWKS, reference lists, and
        # a publicity by its link token (any string; the token is looked up in the database).
        assert _is_public(operation), operation
        assert all(p["in"] == "path" and not _fits_badly(p, root) for p in operation.get("parameters", [])), operation


def test_the_operations_cover_every_app() -> None:
    by_app = {name: sum(1 for n, _, _ in OPERATIONS if n == name) for name in APP_NAMES}
    assert all(count > 0 for count in by_app.values()), by_app


def test_every_422_is_a_problem_and_fastapi_validation_schemas_are_gone(app_dir: Path, zc_keys: TestKeys) -> None:
    with_422 = takes_input = 0
    for name in APP_NAMES:
        document = _build(name, zc_keys, app_dir).document
        text = json.dumps(document)
        assert "HTTPValidationError" not in text, name
        assert '"ValidationError"' not in text, name
        for operations in document["paths"].values():
            for method, operation in operations.items():
                if method not in METHODS:
                    continue
                if operation.get("parameters") or operation.get("requestBody"):
                    takes_input += 1
                    assert "422" in operation["responses"], (name, method)
                for status, response in operation["responses"].items():
                    if status == "422":
                        with_422 += 1
                        assert response["content"] == {
                            PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
                        }
                    if status[0] in "45":  # every error documents a body (readyz's 503 is its Health)
                        assert response.get("content"), (name, method, status)
    # Every operation that takes parameters or a body documents its 422 as a problem, and no other
    # does (83 when this test was written; the count grows with the routes, the rule does not).
    assert with_422 == takes_input > 80


def test_the_attachment_upload_documents_its_raw_body(app_dir: Path, zc_keys: TestKeys) -> None:
    built = _build("intake", zc_keys, app_dir)
    operation = built.document["paths"]["/api/v1/declarations/{declaration_id}/attachments"]["post"]
    assert operation["requestBody"]["required"] is True
    assert operation["requestBody"]["content"] == {"*/*": {"schema": {"type": "string", "format": "binary"}}}
    assert [p["name"] for p in operation["parameters"] if p["in"] == "query"] == ["name", "kind"]
    assert PROBLEM_MEDIA_TYPE in operation["responses"]["413"]["content"]


def test_a_body_that_is_not_json_names_the_body_and_its_offset(app_dir: Path, zc_keys: TestKeys) -> None:
    built = _build("intake", zc_keys, app_dir)
    response = built.client.post(
        "/api/v1/declarations", headers={**built.headers, "content-type": "application/json"}, content=b'{"name": '
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("body", "invalid_json")
    # The decoder stops at character 9 (after '{"name": '): the offset is in the message, not the field.
    assert "第 9 个字符处" in error["message"]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_the_gateways_merged_document_keeps_the_promises(app_dir: Path, zc_keys: TestKeys) -> None:
    from zhicheng_gateway.openapi import merge_documents

    own = _build("gateway", zc_keys, app_dir).document
    merged = merge_documents(own, {name: _build(name, zc_keys, app_dir).document for name in APP_NAMES[:-1]})
    text = json.dumps(merged)
    assert "HTTPValidationError" not in text
    assert merged["x-unavailable"] == []
    # The bearer token, and the API keys of agencies and third parties (the gateway's own routes).
    assert list(merged["components"]["securitySchemes"]) == ["bearer", "apiKey"]
    for ref in _refs(merged):  # every reference resolves, the renamed clashes included
        resolve({"$ref": ref}, merged)
    with_422 = [
        operation["responses"]["422"]
        for item in merged["paths"].values()
        for method, operation in item.items()
        if method in METHODS and "422" in operation["responses"]
    ]
    problems = {json.dumps(response["content"], sort_keys=True) for response in with_422}
    assert problems == {json.dumps({PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}})}
    # 84, the 11 expert and pool routes that take input (GET experts/me takes none), the 9 of the draw,
    # the 15 of a meeting's sitting and ballot (issue 15: sitting, arrangement, sign-in, opening,
    # closing, groups, recusals, 2 opinions, 2 rounds, ballots, round closing, voiding, tally),
    # the 10 of certificates (recognition, 3 status decisions, 2 verifications, 3 reads of a certificate
    # by number, the status list by purpose); issue 17: integrity's credit feed (1) moved onto the
    # gateway's feeds; the gateway's API-key routes with input (5) and feed routes with input (5)
    # came: 129 - 1 + 10; the 9 of a meeting's results (issue 15: pass rates, results, publicity,
    # 2 objections, confirmation, 2 re-examinations, meeting file): 138 + 9; the gateway's two
    # public verifications (issue 17: by number, by token): 147 + 2; issue 17's province read
    # model (certificates for staff and for agencies' keys, declarations, committees, meetings,
    # integrity records, statistics and its workbook, DA-1, the passed lists, DA-2): 149 + 11; the
    # DA-1 workbook, and the twins of statistics, its workbook, DA-1 and its workbook, the passed
    # lists and DA-2 for an agency's key: 160 + 1 + 6.
    assert len(with_422) == 167
    names = {
        name
        for item in merged["paths"].values()
        for op in item.values()
        for req in op.get("security", [])
        for name in req
    }
    assert names == {"bearer", "apiKey"}
