"""Intake's OpenAPI document against real answers on the real stack (PostgreSQL, NATS).

A declaration's life (draft, read, change, check, attachment up and down, submit, history, list),
and its refusals (a body that breaks the model, a draft of somebody else, a state that forbids the
change) are each checked against the document: the status is documented, the content type is the
documented one and the body fits the documented schema.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from zhicheng_common.openapi_check import check_documented

from .conftest import Intake, applicant_body

pytestmark = pytest.mark.service

BASE = "/api/v1/declarations"


def documented(intake: Intake, response: httpx.Response, method: str, path: str, status: int) -> Any:
    document: dict[str, Any] = intake.app.openapi()
    operation = document["paths"][path][method]
    assert response.status_code == status, response.text
    assert check_documented(response, operation, document) == [], response.text
    return response.json() if response.content and "json" in response.headers["content-type"] else None


async def test_a_declarations_life_answers_as_the_document_says(intake: Intake) -> None:
    committee_id = await intake.open_committee()
    headers = intake.headers()
    one = f"{BASE}/{{declaration_id}}"
    body = applicant_body(committee_id)

    created = documented(intake, await intake.client.post(BASE, json=body, headers=headers), "post", BASE, 201)
    url = f"{BASE}/{created['id']}"
    documented(intake, await intake.client.get(url, headers=headers), "get", one, 200)
    documented(intake, await intake.client.put(url, json=body, headers=headers), "put", one, 200)
    documented(intake, await intake.client.post(f"{url}/check", headers=headers), "post", f"{one}/check", 200)

    upload = await intake.client.post(
        f"{url}/attachments",
        params={"name": "学历证书.pdf", "kind": "degree_certificate"},
        content=b"%PDF-1.7 diploma",
        headers={**headers, "content-type": "application/pdf"},
    )
    attachment = documented(intake, upload, "post", f"{one}/attachments", 201)
    assert attachment["media_type"] == "application/pdf"
    assert attachment["size"] == len(b"%PDF-1.7 diploma")
    documented(intake, await intake.client.get(f"{url}/attachments", headers=headers), "get", f"{one}/attachments", 200)
    download = await intake.client.get(f"{url}/attachments/{attachment['id']}", headers=headers)
    documented(intake, download, "get", f"{one}/attachments/{{attachment_id}}", 200)
    assert download.content == b"%PDF-1.7 diploma"

    submitted = documented(
        intake, await intake.client.post(f"{url}/submit", headers=headers), "post", f"{one}/submit", 200
    )
    assert submitted["status"] == "submitted"
    documented(intake, await intake.client.get(f"{url}/history", headers=headers), "get", f"{one}/history", 200)
    documented(intake, await intake.client.get(BASE, headers=headers), "get", BASE, 200)

    # Refusals: a change to a submitted declaration (409), another applicant's submitted
    # declaration (403), an id that is no uuid (422), a body that breaks the model (422 naming the
    # field).
    documented(intake, await intake.client.put(url, json=body, headers=headers), "put", one, 409)
    documented(intake, await intake.client.get(url, headers=intake.headers()), "get", one, 403)
    documented(intake, await intake.client.get(f"{BASE}/{created['id'][:-1]}0x", headers=headers), "get", one, 422)
    broken = {**body, "applicant": {**body["applicant"], "birth_date": "not-a-date"}}
    refused = documented(intake, await intake.client.post(BASE, json=broken, headers=headers), "post", BASE, 422)
    assert [e["field"] for e in refused["errors"]] == ["applicant.birth_date"]
