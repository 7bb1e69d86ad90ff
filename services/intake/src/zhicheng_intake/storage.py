"""Attachment storage: where every replica reads the bytes, and what bytes are accepted.

The default store is PostgreSQL (``intake.attachment_contents``): the bytes are written through
the request's session, so they commit in the same transaction as their metadata, every replica
reads them, and the database's backups include them. An S3-compatible store can be selected by
settings instead (:class:`S3AttachmentStore`, signed with AWS Signature V4). See docs/attachments.md.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import quote

import httpx
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.problems import FieldError
from zhicheng_intake.errors import AttachmentContentMismatch, AttachmentTypeNotAllowed
from zhicheng_intake.models import AttachmentContent


class AttachmentStore(Protocol):
    """Bytes of attachments by key; ``get`` raises FileNotFoundError for a key it does not hold."""

    async def put(self, session: AsyncSession, key: str, data: bytes) -> None: ...

    async def get(self, session: AsyncSession, key: str) -> bytes: ...

    async def delete(self, session: AsyncSession, key: str) -> None: ...


class PostgresAttachmentStore:
    """Bytes in ``intake.attachment_contents``, in the caller's transaction."""

    async def put(self, session: AsyncSession, key: str, data: bytes) -> None:
        session.add(AttachmentContent(storage_key=key, content=data))
        await session.flush()

    async def get(self, session: AsyncSession, key: str) -> bytes:
        found = await session.scalar(select(AttachmentContent.content).where(AttachmentContent.storage_key == key))
        if found is None:
            raise FileNotFoundError(key)
        return bytes(found)

    async def delete(self, session: AsyncSession, key: str) -> None:
        await session.execute(delete(AttachmentContent).where(AttachmentContent.storage_key == key))


# --- AWS Signature Version 4 (S3-compatible stores) ------------------------------------------

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class SigV4Credentials:
    """Who signs, and for what: the access key pair, the region and the service (``s3``)."""

    access_key: str
    secret_key: str
    region: str
    service: str = "s3"


def sigv4_headers(
    method: str, url: str, headers: Mapping[str, str], payload_sha256: str, signer: SigV4Credentials, now: datetime
) -> dict[str, str]:
    """The headers that sign a request with AWS Signature V4 (``Authorization``, ``x-amz-date``).

    Every header given is signed (with ``host`` from ``url``). ``payload_sha256`` is the hex digest
    of the body; S3 also wants it sent as ``x-amz-content-sha256`` (pass it in ``headers``).
    """
    access_key, secret_key, region, service = signer.access_key, signer.secret_key, signer.region, signer.service
    parsed = httpx.URL(url)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    signed = {k.lower(): " ".join(v.strip().split()) for k, v in headers.items()}
    signed["host"] = parsed.netloc.decode()
    signed["x-amz-date"] = amz_date
    names = sorted(signed)
    query = sorted(
        (quote(k, safe="-_.~"), quote(v, safe="-_.~"))
        for k, v in httpx.QueryParams(parsed.query.decode()).multi_items()
    )
    canonical = "\n".join(
        [
            method.upper(),
            quote(parsed.path or "/", safe="/-_.~"),
            "&".join(f"{k}={v}" for k, v in query),
            "".join(f"{name}:{signed[name]}\n" for name in names),
            ";".join(names),
            payload_sha256,
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret_key).encode(), day), region), service), "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "x-amz-date": amz_date,
        "Authorization": (
            f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={';'.join(names)}, Signature={signature}"
        ),
    }


class S3AttachmentStore:
    """Bytes as objects of one bucket of an S3-compatible store (path-style URLs, SigV4).

    The object is written before the metadata commits; a request that fails afterwards leaves an
    object no row names (harmless, and removable by listing keys without a row).
    """

    def __init__(
        self,
        *,
        endpoint: str,
        bucket: str,
        region: str,
        access_key: str,
        secret_key: str,
        client: httpx.AsyncClient | None = None,
        # The real time, also under a controlled clock (docs/clock.md): S3 refuses a signature
        # more than 15 minutes away from its own time.
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.base = f"{endpoint.rstrip('/')}/{bucket}"
        self.credentials = SigV4Credentials(access_key, secret_key, region)
        self.client = client or httpx.AsyncClient(timeout=30.0)
        self.now = now

    async def _send(self, method: str, key: str, body: bytes = b"") -> httpx.Response:
        url = f"{self.base}/{quote(key, safe='/')}"
        digest = hashlib.sha256(body).hexdigest()
        headers = {"x-amz-content-sha256": digest}
        headers |= sigv4_headers(method, url, headers, digest, self.credentials, self.now())
        return await self.client.request(method, url, content=body, headers=headers)

    async def put(self, session: AsyncSession, key: str, data: bytes) -> None:
        (await self._send("PUT", key, data)).raise_for_status()

    async def get(self, session: AsyncSession, key: str) -> bytes:
        response = await self._send("GET", key)
        if response.status_code == 404:
            raise FileNotFoundError(key)
        response.raise_for_status()
        return response.content

    async def delete(self, session: AsyncSession, key: str) -> None:
        response = await self._send("DELETE", key)
        if response.status_code not in (200, 204, 404):
            response.raise_for_status()


# --- What is accepted -----------------------------------------------------------------------

#: Leading bytes of each accepted media type (an OFD file is a zip package).
MAGIC: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/ofd": (b"PK\x03\x04",),
}
MEDIA_TYPE_MAX = 128


def checked_media_type(declared: str | None, data: bytes, allowed: tuple[str, ...]) -> str:
    """The media type an upload is stored with, after the allow-list and the file's magic bytes.

    Raises:
        AttachmentTypeNotAllowed: No type, a type longer than 128 characters, or one not allowed (415).
        AttachmentContentMismatch: The bytes do not start as the declared type's files do (422).
    """
    media_type = (declared or "").split(";", 1)[0].strip().lower()
    if len(media_type) > MEDIA_TYPE_MAX or media_type not in allowed or media_type not in MAGIC:
        shown = media_type if len(media_type) <= MEDIA_TYPE_MAX else media_type[:MEDIA_TYPE_MAX] + "…"
        raise AttachmentTypeNotAllowed(
            f"不接受的附件类型 {shown or '（未声明）'}；可上传：{'、'.join(allowed)}",
            errors=[FieldError(field="content-type", code="type_not_allowed", message="附件类型不在允许范围内")],
        )
    if not data.startswith(MAGIC[media_type]):
        raise AttachmentContentMismatch(
            f"文件内容不是 {media_type} 格式",
            errors=[FieldError(field="body", code="content_mismatch", message=f"文件内容与类型 {media_type} 不符")],
        )
    return media_type
