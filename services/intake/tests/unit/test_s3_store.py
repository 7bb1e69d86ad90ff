"""The S3 attachment store speaks the S3 REST protocol with SigV4: an in-process endpoint that
keeps objects in a dict checks every request's signature as S3 would, then answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import httpx
import pytest

from zhicheng_intake.storage import S3AttachmentStore, SigV4Credentials, sigv4_headers

ACCESS, SECRET, REGION = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "cn-north-1"
NOW = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)


def _endpoint(objects: dict[str, bytes]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        body = request.read()
        digest = request.headers["x-amz-content-sha256"]
        signer = SigV4Credentials(ACCESS, SECRET, REGION, "s3")
        headers = {"x-amz-content-sha256": digest}
        expected = sigv4_headers(request.method, str(request.url), headers, digest, signer, NOW)
        if request.headers["authorization"] != expected["Authorization"]:
            return httpx.Response(403, text="SignatureDoesNotMatch")
        key = request.url.path
        if request.method == "PUT":
            objects[key] = body
            return httpx.Response(200)
        if request.method == "GET":
            return httpx.Response(200, content=objects[key]) if key in objects else httpx.Response(404)
        objects.pop(key, None)
        return httpx.Response(204)

    return httpx.MockTransport(handle)


def _store(objects: dict[str, bytes], secret: str = SECRET) -> S3AttachmentStore:
    return S3AttachmentStore(
        endpoint="https://s3.example.cn",
        bucket="zhicheng-attachments",
        region=REGION,
        access_key=ACCESS,
        secret_key=secret,
        client=httpx.AsyncClient(transport=_endpoint(objects)),
        now=lambda: NOW,
    )


async def test_put_get_delete_round_trip_under_the_bucket() -> None:
    objects: dict[str, bytes] = {}
    store, session = _store(objects), cast(Any, None)  # the S3 store does not use the session
    await store.put(session, "decl-1/att-1", b"%PDF-1.7 scan")
    assert objects == {"/zhicheng-attachments/decl-1/att-1": b"%PDF-1.7 scan"}
    assert await store.get(session, "decl-1/att-1") == b"%PDF-1.7 scan"
    await store.delete(session, "decl-1/att-1")
    with pytest.raises(FileNotFoundError):
        await store.get(session, "decl-1/att-1")


async def test_a_wrong_secret_is_refused_by_the_endpoint() -> None:
    with pytest.raises(httpx.HTTPStatusError):
        await _store({}, secret="not-the-secret").put(cast(Any, None), "k", b"x")
