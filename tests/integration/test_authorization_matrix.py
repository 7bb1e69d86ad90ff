"""Authorization matrix: every route of the gateway's OpenAPI x every role x in/out of jurisdiction.

The routes come from the running gateway's merged OpenAPI (every service's routes and its own),
so a route someone adds is covered the moment it exists: if ``access_matrix.ACCESS`` does not say
who may call it, the test fails and names it. For each route and each role, a token of that role
alone (region Taiyuan, 140100) calls it with made-up identifiers and an empty JSON body: a role
the matrix does not allow must get 403 ``role_required`` (or ``scope_required``), and a role it
allows must get past the role check (anything but 401/403 role refusals), never a 5xx. Without a
token every non-public route answers 401.

Jurisdiction: an integrity record and a user account of Taiyuan (140100) and a province-level
committee of Shanxi (140000) are made, and every GET route whose identifiers are all such records
is called by each allowed role from the record's region (it gets past the jurisdiction check) and
from a region that does not contain it (Yuncheng 140800 for Taiyuan, Beijing 110000 for Shanxi),
which is refused (403 ``outside_jurisdiction``), told the record does not exist (404), or given
an empty list (a list route filtered by jurisdiction), never shown it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from functools import cache
from typing import Any

import httpx
import pytest

from zhicheng_common.auth import Principal, Role, TokenIssuer
from zhicheng_common.keys import load_ring
from zhicheng_common.settings import CommonSettings

from .access_matrix import ACCESS, JURISDICTION_PARAMS, KEY_HOLDER, PUBLIC
from .committees_api import open_senior_engineering_committee
from .conftest import GATEWAY_URL, RunningSystem
from .test_integrity_records import RECORDS, clerk, record_body, resident_id

pytestmark = pytest.mark.integration

TAIYUAN, YUNCHENG, SHANXI, BEIJING = "140100", "140800", "140000", "110000"
ROLE_REFUSALS = {"role_required", "scope_required"}
METHODS = ("get", "post", "put", "patch", "delete")


@cache
def issuer(data_dir: str) -> TokenIssuer:
    from pathlib import Path

    settings = CommonSettings()
    ring = load_ring(Path(data_dir) / "keys" / "jwt")
    return TokenIssuer.from_ring(ring, issuer=settings.jwt_issuer, audience=settings.jwt_audience)


def token(system: RunningSystem, role: str, region: str) -> dict[str, str]:
    principal = Principal(subject=f"matrix-{role}-{region}", roles=frozenset({role}), region=region, name="矩阵")
    return {"Authorization": f"Bearer {issuer(str(system.data_dir)).issue(principal)}"}


def routes(system: RunningSystem) -> Iterator[tuple[str, str]]:
    spec = httpx.get(f"{GATEWAY_URL}/api/v1/openapi.json", timeout=30).json()
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path


def fill(path: str, values: dict[str, str] | None = None) -> str:
    values = values or {}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), str(uuid.uuid4())), path)


def call(method: str, url: str, headers: dict[str, str]) -> httpx.Response:
    body = {} if method in ("POST", "PUT", "PATCH") else None
    return httpx.request(method, url, json=body, headers=headers, timeout=30)


def code_of(response: httpx.Response) -> str | None:
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        code: str | None = response.json().get("code")
        return code
    return None


def empty_collection(response: httpx.Response) -> bool:
    """A list route filtered by jurisdiction answers an outsider with nothing: ``[]`` or no ``items``."""
    body = response.json()
    return body == [] or (isinstance(body, dict) and body.get("items") == [])


def route_key(method: str, path: str) -> str:
    return f"{method} {path}"


def test_every_route_in_the_openapi_is_in_the_matrix(system: RunningSystem) -> None:
    found = {route_key(m, p) for m, p in routes(system)}
    unknown = sorted(found - set(ACCESS))
    assert not unknown, (
        "routes with no entry in tests/integration/access_matrix.py (say which roles may call each, "
        f"or PUBLIC): {unknown}"
    )
    gone = sorted(set(ACCESS) - found)
    assert not gone, f"access_matrix.py lists routes the OpenAPI no longer has: {gone}"


def test_every_route_refuses_the_roles_it_does_not_allow_and_admits_those_it_does(system: RunningSystem) -> None:
    wrong: list[str] = []
    headers = {role: token(system, role.value, TAIYUAN) for role in Role}
    for method, path in routes(system):
        key = route_key(method, path)
        if key not in ACCESS:
            continue  # reported by the test above
        allowed = ACCESS[key]
        url = GATEWAY_URL + fill(path)
        anonymous = call(method, url, {})
        if allowed is PUBLIC:
            if anonymous.status_code in (401, 403) or anonymous.status_code >= 500:
                wrong.append(f"{key}: public, but anonymous got {anonymous.status_code}")
            continue
        if anonymous.status_code != 401:
            wrong.append(f"{key}: anonymous got {anonymous.status_code}, not 401")
        if allowed is KEY_HOLDER:
            for role in Role:
                response = call(method, url, headers[role])
                if response.status_code != 401 or code_of(response) != "api_key_missing":
                    wrong.append(f"{key} as {role.value}: a token, not a key, got {response.status_code}")
            continue
        for role in Role:
            response = call(method, url, headers[role])
            refused = response.status_code == 403 and code_of(response) in ROLE_REFUSALS
            if response.status_code >= 500 or response.status_code == 401:
                wrong.append(f"{key} as {role.value}: {response.status_code} {response.text[:200]}")
            elif role in allowed and refused:
                wrong.append(f"{key}: {role.value} is allowed by the matrix but refused ({code_of(response)})")
            elif role not in allowed and not refused:
                wrong.append(f"{key}: {role.value} is not allowed by the matrix but got {response.status_code}")
    assert not wrong, "\n".join(wrong)


@pytest.fixture(scope="module")
def regional_records(system: RunningSystem) -> dict[str, tuple[str, str]]:
    """Real records, by path parameter name: (identifier, the region the record belongs to)."""
    admin = system.admin_headers()
    hr = clerk(system, admin, TAIYUAN, ["hr_admin"])
    record = httpx.post(RECORDS, json=record_body(resident_id()), headers=hr)
    assert record.status_code == 201, record.text
    user = system.create_user(
        admin, username=f"matrix-{uuid.uuid4().hex[:8]}", password="Matrix-2026!", roles=["hr_reviewer"],
        region=TAIYUAN, name="太原 审核员",
    )  # fmt: skip
    committee_id, _ = open_senior_engineering_committee(system, admin)
    return {
        "record_id": (str(record.json()["id"]), TAIYUAN),
        "user_id": (str(user["id"]), TAIYUAN),
        "committee_id": (committee_id, SHANXI),  # a province-level committee
    }


#: A region that does not contain the record's, for each region a record of the test belongs to.
ELSEWHERE = {TAIYUAN: YUNCHENG, SHANXI: BEIJING}


def test_records_of_one_region_are_refused_to_the_same_role_elsewhere(
    system: RunningSystem, regional_records: dict[str, tuple[str, str]]
) -> None:
    wrong: list[str] = []
    covered: set[str] = set()
    for method, path in routes(system):
        key = route_key(method, path)
        params = set(re.findall(r"\{(\w+)\}", path))
        allowed = ACCESS.get(key)
        if not params or allowed is None or allowed is PUBLIC or method != "GET":
            continue
        if not params <= set(JURISDICTION_PARAMS) or not params <= set(regional_records):
            continue
        (region,) = {regional_records[p][1] for p in params}
        url = GATEWAY_URL + fill(path, {p: regional_records[p][0] for p in params})
        for role in allowed:
            inside = call(method, url, token(system, role.value, region))
            outside = call(method, url, token(system, role.value, ELSEWHERE[region]))
            covered.add(key)
            if inside.status_code == 403 and code_of(inside) == "outside_jurisdiction":
                wrong.append(f"{key} as {role.value} of {region}: refused its own region's record")
            if inside.status_code >= 500 or outside.status_code >= 500:
                wrong.append(f"{key} as {role.value}: {inside.status_code} / {outside.status_code}")
            if outside.status_code == 200 and not empty_collection(outside):
                wrong.append(f"{key} as {role.value} of {ELSEWHERE[region]}: shown a record of {region}")
            elif outside.status_code == 403 and code_of(outside) != "outside_jurisdiction":
                wrong.append(f"{key} as {role.value} of {ELSEWHERE[region]}: 403 {code_of(outside)}")
    assert covered, "no route with a regional record's identifier was found to check"
    assert not wrong, "\n".join(wrong)


def observed_matrix(system: RunningSystem) -> dict[str, Any]:  # pragma: no cover - a drafting aid
    """What the running system answers, per route: for drafting entries of access_matrix.py by hand."""
    out: dict[str, Any] = {}
    headers = {role: token(system, role.value, TAIYUAN) for role in Role}
    for method, path in routes(system):
        url = GATEWAY_URL + fill(path)
        admitted = []
        for role in Role:
            response = call(method, url, headers[role])
            if not (response.status_code == 403 and code_of(response) in ROLE_REFUSALS):
                admitted.append(role.value)
        out[route_key(method, path)] = admitted
    return out
