"""Use cases of the status feature: revoke (IN-1 or an HR decision), suspend, reinstate, supersede (EL-8),
and the published Bitstring Status Lists.

A change locks the certificate's row, moves its status (``status_move``), sets its bit in the
stored list (the list's row lock orders concurrent changes), writes its history row, journal
entry and event, all in one transaction: the next online verification and the next list read
both see it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_certificates.certificate.models import Certificate, StatusChange
from zhicheng_certificates.certificate.repository import CertificateRepository
from zhicheng_certificates.deps import CertificatesContext
from zhicheng_certificates.signing.domain import Algorithm
from zhicheng_certificates.status.domain import (
    LIST_BITS,
    Action,
    BitstringStatusList,
    StatusPurpose,
    published_size,
    status_list_credential,
    status_list_url,
    status_move,
)
from zhicheng_certificates.status.events import (
    CertificateReinstated,
    CertificateRevoked,
    CertificateSuperseded,
    CertificateSuspended,
)
from zhicheng_certificates.status.repository import StatusListRepository
from zhicheng_common.auth import Principal
from zhicheng_common.ids import uuid7
from zhicheng_common.journaling import journal_change
from zhicheng_common.refusals import Refusal, refused

log = structlog.get_logger()

_EVENTS: dict[str, type[CertificateRevoked | CertificateSuspended | CertificateReinstated]] = {
    "revoke": CertificateRevoked,
    "suspend": CertificateSuspended,
    "reinstate": CertificateReinstated,
}
_PAST = {"revoke": "revoked", "suspend": "suspended", "reinstate": "reinstated", "supersede": "superseded"}


async def _apply(
    session: AsyncSession,
    *,
    certificate: Certificate,
    action: Action,
    event: BaseModel,
    reason_category: str | None,
    reason_sealed: str | None,
    record_id: uuid.UUID | None,
    actor: Principal,
    now: datetime,
    rule_ids: tuple[str, ...],
) -> None:
    target = status_move(certificate.status, action)
    if isinstance(target, Refusal):
        raise refused(target)
    previous = certificate.status
    certificate.status = target
    certificate.status_reason_category = reason_category
    certificate.status_record_id = record_id
    certificate.status_changed_at = now
    lists = StatusListRepository(session)
    for purpose, value in LIST_BITS[target].items():
        await lists.set_bit(purpose, certificate.status_list_index, value, now=now)
    session.add(
        StatusChange(
            id=uuid7(),
            certificate_id=certificate.id,
            at=now,
            action=action,
            from_status=previous,
            to_status=target,
            reason_category=reason_category,
            reason_sealed=reason_sealed,
            record_id=record_id,
            actor=actor.subject,
        )
    )
    await journal_change(
        session,
        event,
        record=certificate,
        subject=certificate.number,
        actor=actor,
        action=f"certificates.certificate.{_PAST[action]}",
        record_type="certificate",
        rule_ids=rule_ids,
        data={"number": certificate.number, "from": previous, "to": target, "reason_category": reason_category},
    )
    log.info(f"certificates.certificate.{_PAST[action]}", number=certificate.number, reason_category=reason_category)


async def change_status(
    session: AsyncSession,
    *,
    context: CertificatesContext,
    certificate: Certificate,
    action: Action,
    reason_category: str,
    reason: str | None,
    record_id: uuid.UUID | None,
    actor: Principal,
    now: datetime,
) -> Certificate:
    """Revoke, suspend or reinstate ``certificate`` (locked by the caller) and publish the change."""
    rule_ids = ("IN-1", "NA-13") if reason_category == "integrity_record" else ("CE-3",)
    event = _EVENTS[action](
        certificate_number=certificate.number,
        holder_key=certificate.holder_key,
        region=certificate.region,
        reason_category=reason_category,
        record_id=record_id,
        at=now,
    )
    await _apply(
        session,
        certificate=certificate,
        action=action,
        event=event,
        reason_category=reason_category,
        reason_sealed=context.cipher.encrypt(reason) if reason else None,
        record_id=record_id,
        actor=actor,
        now=now,
        rule_ids=rule_ids,
    )
    return certificate


async def supersede(
    session: AsyncSession, *, certificate: Certificate, by: str, actor: Principal, now: datetime
) -> None:
    """EL-8: the transfer's new certificate ``by`` replaces ``certificate`` (locked by the caller)."""
    certificate.superseded_by = by
    event = CertificateSuperseded(
        certificate_number=certificate.number,
        holder_key=certificate.holder_key,
        region=certificate.region,
        superseded_by=by,
        at=now,
    )
    await _apply(
        session,
        certificate=certificate,
        action="supersede",
        event=event,
        reason_category="transfer",
        reason_sealed=None,
        record_id=None,
        actor=actor,
        now=now,
        rule_ids=("EL-8",),
    )


@dataclass(frozen=True)
class PublishedList:
    body: bytes
    etag: str


async def published_list(
    session: AsyncSession, *, context: CertificatesContext, purpose: StatusPurpose
) -> PublishedList:
    """The signed ``BitstringStatusListCredential`` of ``purpose`` as served, and its ETag.

    Built once per (version, length) and kept: the bits, the validFrom (the last change) and the
    Ed25519 signature (deterministic) are the same until the next change or the next block of
    indices, so equal lists are equal bytes and one ETag.
    """
    lists = StatusListRepository(session)
    version, _ = await lists.version(purpose)
    size = published_size(await CertificateRepository(session).highest_index())
    cache_key = (purpose, version, size)
    cached: PublishedList | None = context.published_lists.get(cache_key)
    if cached is not None:
        return cached
    row = await lists.current(purpose)
    raw = bytes(row.bits)[: size // 8]
    bits = BitstringStatusList.from_bytes(raw + bytes(size // 8 - len(raw)))
    key = context.keys.signer(Algorithm.ED25519, row.updated_at)
    credential: dict[str, Any] = status_list_credential(
        bits,
        url=status_list_url(context.issuer.status_list_base, purpose),
        purpose=purpose,
        issuer=context.issuer.did,
        valid_from=row.updated_at.replace(microsecond=0),
        key=key.private_key,
        verification_method=f"{context.issuer.did}#{key.key_id}",
    )
    body = json.dumps(credential, ensure_ascii=False, separators=(",", ":")).encode()
    published = PublishedList(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
    context.published_lists.put(cache_key, published)
    return published
