"""Authorization matrix: every route of the gateway's OpenAPI x every role x in/out of jurisdiction.

The routes come from the running gateway's merged OpenAPI (every service's routes and its own),
so a route someone adds is covered the moment it exists: if ``access_matrix.ACCESS`` does not say
who may call it, the test fails and names it. For each route and each role, a token of that role
alone (region Taiyuan, 140100) calls it with made-up identifiers and an empty JSON body: a role
the matrix does not allow must get 403 ``role_required`` (or ``scope_required``), and a role it
allows must get past the role check (anything but 401/403 role refusals), never a 5xx. Without a
token every non-public route answers 401.

Jurisdiction: records are made over the API (``built_records``): of Taiyuan (140100) an integrity
record with an appeal, a user account, an expert, an API key, a feed subscription, a certificate,
and a declaration with its review; of Shanxi (140000) a province-level committee with its filing,
plan and opened meeting. Every route whose first path parameter names one of them is called by
each role the matrix lets through, with the route's documented example body, from the record's
region (it gets past the jurisdiction check: never 403 ``outside_jurisdiction``) and from a region
that does not contain it (Yuncheng 140800 for Taiyuan, Beijing 110000 for Shanxi). From there a
read is refused (403 ``outside_jurisdiction``), told the record does not exist (404), or given an
empty list, never shown it; a write is refused, and every GET route of the record answers as
before it. The writes from outside all come before those from inside, so each finds the records
as they were made. A write route on a record the matrix does not make fails the test, named,
unless ``access_matrix.WRITES_NOT_CALLED`` says why.
"""

from __future__ import annotations

import asyncio
import copy
import re
import time
import uuid
from collections.abc import Iterator
from functools import cache
from typing import Any

import httpx
import pytest

from services.intake.tests.builders import CREDIT_CODE
from zhicheng_common.auth import Principal, Role, TokenIssuer
from zhicheng_common.keys import load_ring
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import wait_until

from .access_matrix import ACCESS, KEY_HOLDER, PUBLIC, SIGNED_IN, WRITES_NOT_CALLED
from .conftest import GATEWAY_URL, RunningSystem
from .test_integrity_records import RECORDS, clerk, record_body, resident_id
from .test_review_chain import submit_through_intake

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


def token(system: RunningSystem, role: str, region: str, committees: frozenset[str] = frozenset()) -> dict[str, str]:
    """A token of ``role`` alone in ``region``; a committee office's bound to ``committees`` (issue 12).
    The same one each time, as a client sends it: the services verify a token once, not per call."""
    return {"Authorization": f"Bearer {bearer(str(system.data_dir), role, region, committees)}"}


@cache
def bearer(data_dir: str, role: str, region: str, committees: frozenset[str]) -> str:
    principal = Principal(
        subject=f"matrix-{role}-{region}", roles=frozenset({role}), region=region, name="矩阵", committees=committees
    )
    return issuer(data_dir).issue(principal)


@cache
def http() -> httpx.Client:
    """One client for the module's thousands of calls: kept-alive connections, one TLS context."""
    return httpx.Client(timeout=30)


@pytest.fixture(scope="module", autouse=True)
def _close_http() -> Iterator[None]:
    yield
    http().close()
    http.cache_clear()


@cache
def openapi_of(data_dir: str) -> dict[str, Any]:
    """The gateway's merged OpenAPI once every service's part is in it (a busy service may miss the
    gateway's first fetch: the document then names it under ``x-unavailable``)."""
    deadline = time.monotonic() + 60
    while True:
        spec: dict[str, Any] = http().get(f"{GATEWAY_URL}/api/v1/openapi.json").json()
        if not spec.get("x-unavailable") or time.monotonic() > deadline:
            assert not spec.get("x-unavailable"), f"the gateway's OpenAPI lacks {spec['x-unavailable']}"
            return spec
        time.sleep(1)


def routes(system: RunningSystem) -> Iterator[tuple[str, str]]:
    spec = openapi_of(str(system.data_dir))
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path


def fill(path: str, values: dict[str, str] | None = None) -> str:
    values = values or {}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), str(uuid.uuid4())), path)


def call(method: str, url: str, headers: dict[str, str]) -> httpx.Response:
    body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH") else None
    return http().request(method, url, json=body, headers=headers)


def code_of(response: httpx.Response) -> str | None:
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        code: str | None = response.json().get("code")
        return code
    return None


def empty_collection(response: httpx.Response) -> bool:
    """A list route filtered by jurisdiction answers an outsider with nothing: ``[]`` or no ``items``."""
    if not response.headers.get("content-type", "").startswith("application/json"):
        return False  # a document (a PDF) is never an empty list
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


def expert_body(number: str) -> dict[str, Any]:
    return {
        "name": "王建国",
        "resident_id": number,
        "unit_name": "太原市电力设计院",
        "unit_credit_code": CREDIT_CODE,
        "ownership_kind": "public_institution",
        "series": "engineering",
        "specialties": ["electrical"],
        "rank_held": "senior",
        "region": TAIYUAN,
        "terms": [{"starts_on": "2025-01-01", "ends_on": "2027-12-31"}],
    }


def recognition_body(number: str) -> dict[str, Any]:
    return {
        "basis": "qualification_correspondence",
        "holder": {"name": "李华", "gender": "female", "resident_id": number},
        "qualification": "first_class_constructor",
        "obtained_on": "2026-10-15",
        "approving_authority": "太原市人力资源和社会保障局",
        "document_number": "并人社职字〔2026〕31号",
    }


API_KEY = {"name": "矩阵数据共享", "holder": "太原市人力资源和社会保障局", "region": TAIYUAN, "scopes": ["query"]}
SUBSCRIPTION = {
    "agency": "太原市人力资源和社会保障局",
    "region": TAIYUAN,
    "fields": {"intake.declaration.submitted": ["declaration_id", "series", "level", "year"]},
}


@pytest.fixture(scope="module")
def built_records(system: RunningSystem) -> dict[str, tuple[str, str]]:
    """Real records, made over the API, by the path parameter that names them: (identifier, region).

    A committee of Shanxi (140000) with its filing, published plan and meeting, and a declaration
    submitted to it by an applicant of Taiyuan with its review; and of Taiyuan (140100): an
    integrity record (with an appeal HR filed for its subject), a user account, an expert, an API
    key, a feed subscription and a recognized certificate.
    """
    admin = system.admin_headers()
    hr = clerk(system, admin, TAIYUAN, ["hr_admin"])
    suffix = uuid.uuid4().hex[:8]
    record = httpx.post(RECORDS, json=record_body(resident_id()), headers=hr)
    assert record.status_code == 201, record.text
    record_id = str(record.json()["id"])
    appeal = httpx.post(f"{RECORDS}/{record_id}/appeals", json={"grounds": "当事人称获奖证书真实"}, headers=hr)
    assert appeal.status_code == 201, appeal.text
    user = system.create_user(
        admin, username=f"matrix-{suffix}", password="Matrix-2026!", roles=["hr_reviewer"],
        region=TAIYUAN, name="太原 审核员",
    )  # fmt: skip
    declaration_id, declared_in, committee_id = asyncio.run(submit_through_intake(system, admin, suffix))
    assert declared_in == TAIYUAN
    api = f"{GATEWAY_URL}/api/v1"
    plan = httpx.get(f"{api}/committees/{committee_id}/plans", headers=admin).json()[0]
    filing = httpx.get(f"{api}/committees/{committee_id}/filings", headers=admin).json()[0]
    expert = httpx.post(f"{api}/experts/experts", json=expert_body(resident_id()), headers=hr)
    assert expert.status_code == 201, expert.text
    key = httpx.post(f"{api}/api-keys", json=API_KEY, headers=hr)
    assert key.status_code == 201, key.text
    feed = {**SUBSCRIPTION, "name": f"matrix-{suffix}"}
    subscription = httpx.post(f"{api}/feeds/subscriptions", json=feed, headers=hr)
    assert subscription.status_code == 201, subscription.text
    certificate = httpx.post(f"{api}/certificates/recognitions", json=recognition_body(resident_id()), headers=hr)
    assert certificate.status_code == 201, certificate.text

    # The meeting opened by its pre-meeting filing, and a pool for the committee: a draw can be asked for.
    office = token(system, Role.COMMITTEE_OFFICE.value, SHANXI, frozenset({committee_id}))
    meeting_id = str(plan["meetings"][0]["id"])
    pool = {
        "committee_id": committee_id,
        "valid_from": "2026-01-01",
        "valid_until": "2028-12-31",
        "expert_ids": [expert.json()["id"]],
    }

    def pool_filed() -> bool:  # once the committee's approval has reached the experts service
        response = httpx.post(f"{api}/experts/pools", json=pool, headers=office)
        return response.status_code == 201

    asyncio.run(wait_until(pool_filed, timeout=15, what="the committee known to the experts service"))
    opened = httpx.post(
        f"{api}/committees/meetings/{meeting_id}/pre-meeting-filing", json={"applicant_count": 1}, headers=office
    )
    assert opened.status_code == 200, opened.text

    def draw_refused_for_another_reason() -> bool:  # the pre-meeting filing reached the experts service
        draws = f"{api}/experts/committees/{committee_id}/meetings/{meeting_id}/draws"
        response = httpx.post(draws, json={}, headers=hr)
        return code_of(response) != "meeting_not_open"

    asyncio.run(wait_until(draw_refused_for_another_reason, timeout=15, what="the meeting open in the experts service"))

    def review_started() -> str | None:
        response = httpx.get(f"{api}/reviews/declarations/{declaration_id}", headers=hr)
        return str(response.json()["id"]) if response.status_code == 200 else None

    review_id = asyncio.run(wait_until(review_started, timeout=30, what="the declaration's review"))
    return {
        "record_id": (record_id, TAIYUAN),
        "appeal_id": (str(appeal.json()["id"]), TAIYUAN),
        "user_id": (str(user["id"]), TAIYUAN),
        "committee_id": (committee_id, SHANXI),  # a province-level committee
        "filing_id": (str(filing["id"]), SHANXI),
        "plan_id": (str(plan["id"]), SHANXI),
        "meeting_id": (meeting_id, SHANXI),
        "declaration_id": (declaration_id, TAIYUAN),
        "review_id": (review_id, TAIYUAN),
        "expert_id": (str(expert.json()["id"]), TAIYUAN),
        "key_id": (str(key.json()["key"]["id"]), TAIYUAN),
        "subscription_id": (str(subscription.json()["subscription"]["id"]), TAIYUAN),
        "number": (str(certificate.json()["number"]), TAIYUAN),  # a certificate's
    }


#: A region that does not contain the record's, for each region a record of the test belongs to.
ELSEWHERE = {TAIYUAN: YUNCHENG, SHANXI: BEIJING}


def test_records_of_one_region_are_refused_to_the_same_role_elsewhere(
    system: RunningSystem, built_records: dict[str, tuple[str, str]]
) -> None:
    spec = openapi_of(str(system.data_dir))
    committees = frozenset({built_records["committee_id"][0]})
    wrong: list[str] = []
    plans = walk(system, spec, built_records, ("GET",), wrong)
    for key, url, region, roles, body in plans:
        for role in roles:
            inside = http().get(url, headers=token(system, role.value, region, committees), **body)
            outside = http().get(url, headers=token(system, role.value, ELSEWHERE[region], committees), **body)
            who = f"{key} as {role.value}"
            if inside.status_code == 403 and code_of(inside) == "outside_jurisdiction":
                wrong.append(f"{who} of {region}: refused its own region's record")
            elif inside.status_code >= 500 or outside.status_code >= 500:
                wrong.append(f"{who}: {inside.status_code} / {outside.status_code}")
            elif outside.status_code == 200 and not empty_collection(outside):
                wrong.append(f"{who} of {ELSEWHERE[region]}: shown a record of {region}")
            elif outside.status_code == 200 or outside.status_code == 404 or code_of(outside) == "outside_jurisdiction":
                continue
            elif not same_refusal(role, inside, outside):
                wrong.append(f"{who} of {ELSEWHERE[region]}: {outside.status_code} {code_of(outside)}")
    assert {p for key, *_ in plans for p in re.findall(r"\{(\w+)\}", key)[:1]} >= {"record_id", "committee_id"}
    assert not wrong, "\n".join(wrong)


WRITES = ("POST", "PUT", "PATCH", "DELETE")
#: Roles whose reach is their own declaration, record or panel seat, named by the token's subject,
#: never a region: whatever refuses them in the record's region refuses them elsewhere alike.
PERSONAL = {Role.APPLICANT, Role.EXPERT}


def same_refusal(role: Role, inside: httpx.Response, outside: httpx.Response) -> bool:
    """Whether the caller from outside got the refusal the same role gets in the record's own region:
    a 403 that is not about the region (not the owner, not bound to the unit or committee), or, for a
    personal role, any refusal (it does not hold the seat the route needs)."""
    same = (inside.status_code, code_of(inside)) == (outside.status_code, code_of(outside))
    refused = outside.status_code == 403 or (role in PERSONAL and 400 <= outside.status_code < 500)
    return same and refused


def resolved(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def example(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A value the schema accepts, from its OpenAPI examples where it has them (every route documents one)."""
    schema = resolved(spec, schema)
    if schema.get("examples"):
        return copy.deepcopy(schema["examples"][0])
    for key in ("example", "const", "default"):
        if key in schema:
            return copy.deepcopy(schema[key])
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if resolved(spec, o).get("type") != "null"]
            return example(spec, options[0])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {name: example(spec, properties[name]) for name in schema.get("required", [])}
    if kind == "array":
        return [example(spec, schema.get("items", {})) for _ in range(schema.get("minItems", 0))]
    if kind == "string":
        return {"date": "2026-11-20", "date-time": "2026-11-20T09:00:00+08:00", "uuid": str(uuid.uuid4())}.get(
            schema.get("format", ""), "矩阵" * max(1, schema.get("minLength", 1) // 2 + 1)
        )
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    return False if kind == "boolean" else None


def request_body(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    """httpx arguments carrying the route's documented examples: its body (JSON or a multipart
    upload) and its required query parameters."""
    operation = spec["paths"][path][method.lower()]
    out: dict[str, Any] = {}
    query = [p for p in operation.get("parameters", []) if p["in"] == "query" and p.get("required")]
    if query:
        out["params"] = {p["name"]: example(spec, p.get("schema", {})) for p in query}
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        media = content["application/json"]
        if "example" in media:
            out["json"] = media["example"]
        elif media.get("examples"):
            out["json"] = next(iter(media["examples"].values()))["value"]
        else:
            out["json"] = example(spec, media["schema"])
    elif "multipart/form-data" in content:
        schema = resolved(spec, content["multipart/form-data"]["schema"])
        properties = schema.get("properties", {})
        binary = {n for n, p in properties.items() if resolved(spec, p).get("format") == "binary"}
        uploads = binary | {n for n, p in properties.items() if "contentMediaType" in p}
        out["files"] = {n: ("证明.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf") for n in uploads}
        out["data"] = {n: str(example(spec, properties[n])) for n in schema.get("required", []) if n not in uploads}
    return out


def readbacks(spec: dict[str, Any], param: str) -> list[str]:
    """The GET routes that read a record named by ``param`` alone: what a write must leave unchanged."""
    return sorted(
        path
        for path, item in spec["paths"].items()
        if "get" in item and set(re.findall(r"\{(\w+)\}", path)) == {param} and "/journal/" not in path
    )


def stored(client: httpx.Client, urls: list[str], headers: dict[str, str]) -> list[Any]:
    """What the GET routes answer: a JSON body in full, a refusal by its status and code (its trace id
    differs each time), a document (a PDF rendered anew) by its status."""
    out: list[Any] = []
    for url in urls:
        response = client.get(url, headers=headers)
        if response.status_code == 200 and response.headers.get("content-type", "").startswith("application/json"):
            out.append(response.json())
        else:
            out.append((response.status_code, code_of(response)))
    return out


Plan = tuple[str, str, str, list[Role], dict[str, Any]]  # route, URL, the record's region, roles, body


def walk(
    system: RunningSystem,
    spec: dict[str, Any],
    built_records: dict[str, tuple[str, str]],
    methods: tuple[str, ...],
    wrong: list[str],
) -> list[Plan]:
    """The calls to make: each route of ``methods`` whose first path parameter names a record made
    (the route acts on it), with the record's id, its region and the roles the matrix lets through.
    For a write route on a record the matrix does not make, a line in ``wrong`` unless
    ``WRITES_NOT_CALLED`` says why (a read of one is not required)."""
    plans: list[Plan] = []
    for method, path in routes(system):
        key = route_key(method, path)
        params = re.findall(r"\{(\w+)\}", path)
        allowed = ACCESS.get(key)
        if method not in methods or not params or allowed is None or allowed is PUBLIC or allowed is KEY_HOLDER:
            continue
        if key in WRITES_NOT_CALLED:
            continue
        if params[0] not in built_records:
            if method != "GET":
                wrong.append(
                    f"{key}: acts on a {params[0]} the matrix does not make: build one in built_records, "
                    "or say why not in access_matrix.WRITES_NOT_CALLED"
                )
            continue
        region = built_records[params[0]][1]
        # Later parameters name a part of the first record (its appeal, a round of a meeting): a real
        # one where the matrix made it, else one that does not exist (the record's check comes first).
        declared = {q["name"]: q.get("schema", {}) for q in spec["paths"][path][method.lower()].get("parameters", [])}
        made = {p for p in params if p in built_records and declared[p].get("type") != "integer"}  # a round's number
        values = {p: built_records[p][0] if p in made else str(example(spec, declared[p])) for p in params}
        roles = sorted(SIGNED_IN if allowed is SIGNED_IN else allowed)
        plans.append((key, GATEWAY_URL + fill(path, values), region, roles, request_body(spec, method, path)))
    return plans


def test_writes_on_a_record_are_refused_outside_its_region_and_change_nothing(
    system: RunningSystem, built_records: dict[str, tuple[str, str]]
) -> None:
    """Every write route whose first path parameter names a record (the route acts on it) is called
    by each role the matrix lets through its gate, with the route's documented example body: from
    a region that does not contain the record it is refused (403 ``outside_jurisdiction``, 404, or
    the same 403 the role gets in the record's own region) and every GET of the record answers as
    before; from the record's region it gets past the jurisdiction check. The calls from outside
    all come first, so each finds the records as they were made."""
    spec = openapi_of(str(system.data_dir))
    committees = frozenset({built_records["committee_id"][0]})

    def as_(role: Role, region: str) -> dict[str, str]:
        return token(system, role.value, region, committees)

    wrong: list[str] = []
    plans = walk(system, spec, built_records, WRITES, wrong)
    stale = sorted(k for k in WRITES_NOT_CALLED if k not in ACCESS)
    assert not stale, f"WRITES_NOT_CALLED names routes the matrix no longer has: {stale}"

    reader = token(system, Role.PROVINCE_ADMIN.value, SHANXI, committees)
    acted_on = {re.findall(r"\{(\w+)\}", key)[0] for key, *_ in plans}
    # Every record made is acted on by some write route: a shorter route table fails here, not silently.
    assert set(built_records) - {"appeal_id"} <= acted_on, f"no write route on {set(built_records) - acted_on}"
    reads = {p: [GATEWAY_URL + fill(path, {p: built_records[p][0]}) for path in readbacks(spec, p)] for p in acted_on}
    outside: dict[tuple[str, Role], httpx.Response] = {}
    client = http()
    before = {p: stored(client, urls, reader) for p, urls in reads.items()}
    unread = sorted(p for p, answers in before.items() if all(isinstance(a, tuple) for a in answers))
    assert not unread, f"no GET route reads these records back (to see that nothing changed): {unread}"
    for key, url, region, roles, body in plans:
        method = key.split(" ", 1)[0]
        for role in roles:
            outside[key, role] = client.request(method, url, headers=as_(role, ELSEWHERE[region]), **body)
        first = re.findall(r"\{(\w+)\}", key)[0]
        after = stored(client, reads[first], reader)
        if after != before[first]:
            changed = [u for u, b, a in zip(reads[first], before[first], after, strict=True) if a != b]
            wrong.append(f"{key} from {ELSEWHERE[region]}: changed what {changed} answer")
            before[first] = after
    for key, url, region, roles, body in plans:
        method = key.split(" ", 1)[0]
        for role in roles:
            inside = client.request(method, url, headers=as_(role, region), **body)
            out = outside[key, role]
            who = f"{key} as {role.value}"
            if inside.status_code >= 500 or out.status_code >= 500:
                wrong.append(f"{who}: {inside.status_code} inside / {out.status_code} outside")
            elif inside.status_code == 403 and code_of(inside) == "outside_jurisdiction":
                wrong.append(f"{who} of {region}: refused its own region's record")
            elif code_of(inside) == code_of(out) == "validation_failed":
                wrong.append(f"{who}: the example body does not validate, so nothing is checked: {out.text[:300]}")
            elif out.status_code == 404 or (out.status_code == 403 and code_of(out) == "outside_jurisdiction"):
                continue
            elif not same_refusal(role, inside, out):
                wrong.append(
                    f"{who} of {ELSEWHERE[region]}: {out.status_code} {code_of(out)}, not refused "
                    f"(inside {region}: {inside.status_code} {code_of(inside)})"
                )
    assert plans, "no write route on a regional record was found to check"
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
