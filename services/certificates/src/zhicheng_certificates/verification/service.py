"""Verification: offline from files (what ``zhicheng certificate verify`` runs), and online for the public API."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_certificates.certificate.domain import decode_token, parse_certificate_number
from zhicheng_certificates.certificate.models import Certificate
from zhicheng_certificates.certificate.repository import CertificateRepository
from zhicheng_certificates.certificate.service import open_document
from zhicheng_certificates.deps import CertificatesContext
from zhicheng_certificates.signing.domain import PublishedKey, parse_published_keys
from zhicheng_certificates.verification.domain import (
    Check,
    CheckName,
    Outcome,
    VerificationResult,
    token_from_text,
    verify,
    verify_document,
    verify_token,
)
from zhicheng_certificates.verification.errors import BadVerificationInput
from zhicheng_certificates.verification.repository import VerificationRepository
from zhicheng_common.auth import Principal
from zhicheng_common.clock import china_today
from zhicheng_common.refusals import Refusal, refused


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: not a readable JSON file ({error})") from error


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a token is longer than a file name may be
        return False


def verify_files(
    source: str, *, keys_files: Sequence[Path], status_list_files: Sequence[Path]
) -> tuple[VerificationResult, list[Refusal]]:
    """Verify ``source`` (a signed certificate JSON file, a QR token or the scanned URL) against files.

    Returns:
        The result, and the published-key entries that could not be read (they are left out).

    Raises:
        ValueError: A file is missing or is not JSON.
    """
    keys: list[PublishedKey] = []
    problems: list[Refusal] = []
    for path in keys_files:
        document = _json(path)
        if not isinstance(document, Mapping):
            raise ValueError(f"{path}: a key document is a JSON object")
        found, unreadable = parse_published_keys(document)
        keys += found
        problems += unreadable
    lists: list[Mapping[str, Any]] = []
    for path in status_list_files:
        document = _json(path)
        lists += document if isinstance(document, list) else [document]
    candidate = Path(source)
    subject: str | Mapping[str, Any] = source
    if _is_file(candidate):
        document = _json(candidate)
        if not isinstance(document, Mapping):
            raise ValueError(f"{candidate}: a signed certificate is a JSON object")
        subject = document
    return verify(subject, keys=keys, status_lists=lists), problems


# --- online verification (the public API) ------------------------------------------------------


@dataclass(frozen=True)
class OnlineAnswer:
    """What the public verification answers: matched or not, each check, and what a verifier may see."""

    matched: bool
    result: VerificationResult | None = None

    def to_json(self) -> dict[str, Any]:
        if not self.matched or self.result is None:
            return {"matched": False, "valid": False, "checks": [], "certificate": None, "detail": NO_MATCH}
        return {"matched": True, "detail": "", **self.result.to_json()}


NO_MATCH = "未找到与所填信息相符的证书"


def _document_checks(context: CertificatesContext, row: Certificate) -> VerificationResult:
    """Form, both signatures and key validity of the stored document, checked over the bytes as stored.

    Cached per (number, hash of the sealed document): the document never changes, and one that was
    changed misses the cache and is checked again.
    """
    key = (row.number, hashlib.sha256(row.document_sealed.encode()).digest())
    cached: VerificationResult | None = context.checked.get(key)
    if cached is not None:
        return cached
    try:
        document: Mapping[str, Any] = open_document(context, row)
    except (InvalidTag, ValueError):
        document = {}
    result = verify_document(document, keys=context.keys.published(), status_lists=())
    context.checked.put(key, result)
    return result


def online_status(row: Certificate) -> Check:
    """The status as stored now: the change is seen by the next verification, before any list is fetched.

    A failed status says since when (the China date of the change), never why.
    """
    name = CheckName.STATUS
    if row.status == "valid":
        return Check(name, Outcome.PASSED, "未撤销、未暂停（实时状态）")
    if row.status == "revoked" and row.superseded_by:  # reissued after its integrity record was withdrawn
        return Check(name, Outcome.FAILED, f"证书已撤销，已换发新证书 {row.superseded_by}", "certificate_revocation")
    since = f"于 {china_today(row.status_changed_at).isoformat()} " if row.status_changed_at else ""
    if row.status == "revoked":
        return Check(name, Outcome.FAILED, f"证书已{since}撤销", "certificate_revocation")
    if row.status == "suspended":
        return Check(name, Outcome.FAILED, f"证书已{since}暂停", "certificate_suspension")
    return Check(name, Outcome.FAILED, f"证书已{since}被 {row.superseded_by} 取代", "certificate_superseded")


def _with_status(result: VerificationResult, status: Check, summary: dict[str, Any]) -> VerificationResult:
    checks = tuple(status if c.name is CheckName.STATUS else c for c in result.checks)
    return replace(result, checks=checks, summary=summary)


async def _record(
    session: AsyncSession, *, row: Certificate, verifier: Principal | None, method: str, now: datetime
) -> None:
    repository = VerificationRepository(session)
    if verifier is None:
        await repository.count_anonymous(day=china_today(now), method=method)
        return
    repository.record_lookup(
        certificate_id=row.id,
        verifier_id=verifier.subject,
        verifier_name=verifier.name or verifier.subject,
        method=method,
        at=now,
    )


async def verify_by_number(
    session: AsyncSession,
    *,
    context: CertificatesContext,
    number: str,
    holder_name: str,
    resident_id: str | None,
    verifier: Principal | None,
    now: datetime,
) -> OnlineAnswer:
    """Verify by certificate number and holder name (resident ID optional): a wrong name is "no match", nothing more."""
    parsed = parse_certificate_number(number)
    if isinstance(parsed, Refusal):
        raise refused(parsed, error=BadVerificationInput)
    row = await CertificateRepository(session).by_number(str(parsed))
    matched = (
        row is not None
        and hmac.compare_digest(row.holder_name_hash, context.cipher.keyed_hash(holder_name))
        and (not resident_id or hmac.compare_digest(row.holder_key, context.cipher.keyed_hash(resident_id)))
    )
    if row is None or not matched:
        if verifier is None:
            await VerificationRepository(session).count_anonymous(day=china_today(now), method="number")
        return OnlineAnswer(False)
    checked = _document_checks(context, row)
    # The verifier typed the name correctly: it may be shown in full.
    summary = {**checked.summary, "holderName": holder_name.strip()} if checked.summary else {}
    await _record(session, row=row, verifier=verifier, method="number", now=now)
    return OnlineAnswer(True, _with_status(checked, online_status(row), summary))


async def verify_by_token(
    session: AsyncSession,
    *,
    context: CertificatesContext,
    token: str,
    verifier: Principal | None,
    now: datetime,
) -> OnlineAnswer:
    """Verify a scanned QR token: its Ed25519 signature, the stored document's two signatures, the live status."""
    keys = context.keys.published()
    scanned = verify_token(token_from_text(token), keys=keys, status_lists=())
    number = scanned.summary.get("number")
    row = await CertificateRepository(session).by_number(number) if isinstance(number, str) else None
    if row is None:
        if verifier is None:
            await VerificationRepository(session).count_anonymous(day=china_today(now), method="token")
        return OnlineAnswer(False)
    stored = _document_checks(context, row)
    checks: list[Check] = []
    for check in stored.checks:
        if check.name is CheckName.STATUS:
            checks.append(online_status(row))
            continue
        on_token = scanned.check(check.name)
        if on_token.outcome is Outcome.FAILED:
            checks.append(replace(on_token, reason=f"二维码令牌：{on_token.reason}"))
        else:
            checks.append(check)
    token_index = decode_token(token_from_text(token))
    if not isinstance(token_index, Refusal) and token_index.claims.status_list_index != row.status_list_index:
        checks[0] = Check(CheckName.FORM, Outcome.FAILED, "二维码令牌与存储的证书不一致", "token_mismatch")
    await _record(session, row=row, verifier=verifier, method="token", now=now)
    # Masked name: the verifier supplied none.
    return OnlineAnswer(True, VerificationResult("token", tuple(checks), dict(stored.summary)))
