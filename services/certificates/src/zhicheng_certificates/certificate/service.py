"""Use cases of the certificate feature: issue (on confirmed results, or by direct recognition), read, render.

Issuing numbers the certificate (per province and year), reserves its status-list index,
writes the content once in its canonical form, signs it with the SM2 and Ed25519 keys of the
moment, makes the QR token, stores the signed document sealed, and adds
``certificates.certificate.issued`` to the outbox with the journal entry, all in the caller's
transaction.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, cast

import structlog
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_certificates.certificate.domain import (
    NO_COMMITTEE,
    Basis,
    CertificateContent,
    CertificateNumber,
    Gender,
    SecuredCredential,
    certificate_number,
    content_from_credential,
    corresponding_title,
    initial_determination_problem,
    licence_identifier,
    qr_token,
    recognition_level_problem,
    secure_credential,
    signed_document,
    transfer_problem,
)
from zhicheng_certificates.certificate.errors import CertificateInvalid, CertificateNotFound
from zhicheng_certificates.certificate.events import CertificateIssued
from zhicheng_certificates.certificate.models import Certificate, StatusChange
from zhicheng_certificates.certificate.repository import CertificateRepository
from zhicheng_certificates.certificate.schemas import RecognitionCreate
from zhicheng_certificates.deps import CertificatesContext
from zhicheng_certificates.signing.domain import Algorithm, sm2_sign_each
from zhicheng_certificates.status import service as status_service
from zhicheng_common.auth import Principal, ensure_covers
from zhicheng_common.clock import china_today
from zhicheng_common.events.outbox import record_events
from zhicheng_common.ids import uuid7
from zhicheng_common.journaling import journal_change, journal_read
from zhicheng_common.pii import mask_identifier
from zhicheng_common.policy import resolve_pack
from zhicheng_common.refusals import Refusal, refused
from zhicheng_common.series import Level, Rank, level_of

log = structlog.get_logger()

RECORD = "certificate"
BASIS_RULES: dict[str, tuple[str, ...]] = {
    "evaluation": ("CE-1", "NA-15", "NA-16"),
    "initial_determination": ("EL-10", "CE-1", "NA-16"),
    "qualification_correspondence": ("EL-16", "NA-18", "CE-1", "NA-16"),
    "talent": ("EL-14", "CE-1", "NA-16"),
    "transfer": ("EL-8", "CE-1", "NA-16"),
}


@dataclass(frozen=True)
class HolderIdentity:
    name: str
    gender: Gender
    resident_id: str


@dataclass(frozen=True)
class IssueCertificate:
    """The command: everything a certificate states, before it has a number."""

    holder: HolderIdentity
    series: str
    specialty: str
    level: Level
    title_name: str
    committee_id: uuid.UUID | None
    committee_name: str
    approving_authority: str
    document_number: str
    obtained_on: date
    region: str
    basis: Basis
    declaration_id: uuid.UUID | None = None
    confirmation_id: uuid.UUID | None = None
    supersedes: str | None = None


def _content(
    context: CertificatesContext,
    command: IssueCertificate,
    *,
    number: str,
    licence: str,
    index: int,
    issued_at: datetime,
    sm2_key_id: str,
    ed25519_key_id: str,
) -> CertificateContent:
    series = context.catalog.get(command.series)
    specialty_name = series.specialties.get(command.specialty, command.specialty) if series else command.specialty
    return CertificateContent(
        number=number,
        licence_id=licence,
        holder_name=command.holder.name,
        gender=command.holder.gender,
        resident_id=command.holder.resident_id,
        series_code=command.series,
        series_name=series.name if series else command.series,
        specialty_code=command.specialty,
        specialty_name=specialty_name,
        level=command.level,
        title_name=command.title_name,
        committee_id=str(command.committee_id) if command.committee_id else NO_COMMITTEE,
        committee_name=command.committee_name,
        approving_authority=command.approving_authority,
        approval_document=command.document_number,
        obtained_on=command.obtained_on,
        issued_at=issued_at,
        issuer_did=context.issuer.did,
        issuer_name=context.issuer.name,
        issuer_credit_code=context.issuer.credit_code,
        status_list_base=context.issuer.status_list_base,
        status_list_index=index,
        sm2_key_id=sm2_key_id,
        ed25519_key_id=ed25519_key_id,
    )


def seal_document(context: CertificatesContext, document: dict[str, Any]) -> str:
    return context.cipher.encrypt(json.dumps(document, ensure_ascii=False, separators=(",", ":")))


def open_document(context: CertificatesContext, row: Certificate) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(context.cipher.decrypt(row.document_sealed))
    return document


SIGN_CHUNK = 100
"""Certificates signed per step of :func:`issue_all`: one step's SM2 signatures are made in a thread
while the previous step's rows are inserted."""

# One thread makes every SM2 signature of this process, one step after another: the key is never
# used by two threads at once, and a step's signing never waits behind other work of the loop's
# default executor. Its thread starts with the first step.
_SM2_SIGNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="certificates-sm2")


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate :func:`issue_all` has written (with the others, in one statement per step)."""

    id: uuid.UUID
    number: str
    region: str
    token: str


@dataclass(frozen=True)
class _Draft:
    command: IssueCertificate
    number: CertificateNumber
    content: CertificateContent
    secured: SecuredCredential


async def issue_all(
    session: AsyncSession,
    *,
    context: CertificatesContext,
    commands: Sequence[IssueCertificate],
    actor: Principal,
    now: datetime,
) -> list[IssuedCertificate]:
    """Issue one certificate per command, signed with both keys of the moment (CE-1, NA-16).

    All in the caller's transaction: the numbers and status-list indices are reserved for the whole
    batch at once; each step of :data:`SIGN_CHUNK` certificates is secured (content checks,
    canonical form, Ed25519 proof), then SM2-signed in a thread (Tongsuo signs without the GIL)
    while the previous step's certificates and their outbox rows go to the database, one statement
    each; one journal entry per region closes the batch.
    """
    if not commands:
        return []
    issued_at = now.astimezone(UTC).replace(microsecond=0)
    year = china_today(now).year
    sm2_key = context.keys.signer(Algorithm.SM2, issued_at)
    ed_key = context.keys.signer(Algorithm.ED25519, issued_at)
    repository = CertificateRepository(session)
    indices = iter(await repository.status_indices(len(commands)))
    serials: dict[str, Any] = {}
    for province in sorted({c.region[:2] for c in commands}):
        count = sum(1 for c in commands if c.region[:2] == province)
        serials[province] = iter(await repository.serials(province, year, count))

    def draft(command: IssueCertificate) -> _Draft:
        number = certificate_number(province=command.region[:2], year=year, serial=next(serials[command.region[:2]]))
        if isinstance(number, Refusal):
            raise refused(number, error=CertificateInvalid)
        licence = licence_identifier(
            licence_type=context.issuer.licence_type,
            issuer_credit_code=context.issuer.credit_code,
            serial=number.digits,
        )
        if isinstance(licence, Refusal):
            raise refused(licence, error=CertificateInvalid)
        content = _content(
            context,
            command,
            number=str(number),
            licence=licence,
            index=next(indices),
            issued_at=issued_at,
            sm2_key_id=sm2_key.key_id,
            ed25519_key_id=ed_key.key_id,
        )
        secured = secure_credential(content, sm2_key=sm2_key, ed25519_key=ed_key)
        if isinstance(secured, list):
            raise refused(secured, error=CertificateInvalid)
        return _Draft(command, number, content, secured)

    def values(d: _Draft, sm2_signature: bytes) -> dict[str, Any]:
        command, content = d.command, d.content
        return {
            "id": uuid7(),
            "number": content.number,
            "province": d.number.province,
            "year": d.number.year,
            "serial": d.number.serial,
            "licence_id": content.licence_id,
            "status_list_index": content.status_list_index,
            "holder_key": context.cipher.keyed_hash(command.holder.resident_id),
            "holder_name_hash": context.cipher.keyed_hash(command.holder.name),
            "holder_name_sealed": context.cipher.encrypt(command.holder.name),
            "resident_id_masked": mask_identifier(command.holder.resident_id),
            "document_sealed": seal_document(context, signed_document(d.secured, sm2_signature)),
            "token": qr_token(content, ed25519_key=ed_key),
            "sm2_key_id": sm2_key.key_id,
            "ed25519_key_id": ed_key.key_id,
            "series": command.series,
            "specialty": command.specialty,
            "level": command.level,
            "title_name": command.title_name,
            "committee_id": command.committee_id,
            "committee_name": command.committee_name,
            "obtained_on": command.obtained_on,
            "issued_at": issued_at,
            "region": command.region,
            "basis": command.basis,
            "declaration_id": command.declaration_id,
            "confirmation_id": command.confirmation_id,
            "status": "valid",
            "supersedes": command.supersedes,
            "created_by": actor.subject,
        }

    def event(row: dict[str, Any]) -> tuple[BaseModel, str, str]:
        issued_event = CertificateIssued(
            certificate_number=row["number"],
            licence_identifier=row["licence_id"],
            declaration_id=row["declaration_id"],
            holder_key=row["holder_key"],
            holder_name_sealed=row["holder_name_sealed"],
            series=row["series"],
            specialty=row["specialty"],
            level=row["level"],
            title_name=row["title_name"],
            committee_id=row["committee_id"],
            region=row["region"],
            year=row["year"],
            obtained_on=row["obtained_on"],
            issued_at=row["issued_at"],
            status_list_index=row["status_list_index"],
            basis=row["basis"],
        )
        return issued_event, row["number"], row["region"]

    async def write(ready: list[dict[str, Any]]) -> None:
        # The rows and their events, one statement each (the outbox in the records' order).
        if ready:
            await repository.insert_certificates(ready)
            await record_events(session, [event(row) for row in ready])

    rows: list[dict[str, Any]] = []
    ready: list[dict[str, Any]] = []  # signed, not yet written
    for start in range(0, len(commands), SIGN_CHUNK):
        drafts = [draft(command) for command in commands[start : start + SIGN_CHUNK]]
        signing = asyncio.get_running_loop().run_in_executor(
            _SM2_SIGNER, sm2_sign_each, sm2_key.private_key, [d.secured.canonical for d in drafts]
        )
        try:
            await write(ready)
        finally:
            signatures = await signing  # never left running on its own, even when the write failed
        ready = [values(d, signature) for d, signature in zip(drafts, signatures, strict=True)]
        rows += ready
    await write(ready)
    issued = [IssuedCertificate(row["id"], row["number"], row["region"], row["token"]) for row in rows]
    # One journal entry per region (the numbers in its data), not one each: a meeting's results
    # issue hundreds of certificates in one transaction.
    await journal_read(
        session,
        records=issued,
        actor=actor,
        action="certificates.certificate.issued",
        record_type=RECORD,
        rule_ids=sorted({rule for row in rows for rule in BASIS_RULES[row["basis"]]}),
        data={"numbers": [row["number"] for row in rows], "bases": sorted({row["basis"] for row in rows})},
    )
    log.info("certificates.issued", count=len(rows), sm2_key=sm2_key.key_id, ed25519_key=ed_key.key_id)
    return issued


async def recognize(
    session: AsyncSession,
    *,
    context: CertificatesContext,
    actor: Principal,
    recognition_in: RecognitionCreate,
    now: datetime,
) -> Certificate:
    """Direct recognition by HR staff (EL-10, EL-14, EL-16/NA-18, EL-8): check the basis's rule, then issue."""
    region = recognition_in.region or actor.region
    ensure_covers(actor, region)
    pack = resolve_pack(region, china_today(now).year)  # the pack in force when HR decides
    params = pack.parameters
    basis = recognition_in.basis
    series_code, specialty, rank = recognition_in.series, recognition_in.specialty, recognition_in.rank
    problems: list[Refusal] = []
    if basis == "qualification_correspondence":
        if not params.qualification_recognition_enabled.value:
            problems.append(Refusal("EL-16", "recognition_disabled", "本省未开放职业资格对应认定（EL-16）"))
        entry = corresponding_title(
            context.correspondence,
            qualification=recognition_in.qualification or "",
            province=region[:2],
            on=recognition_in.obtained_on,
        )
        if isinstance(entry, Refusal):
            raise refused(entry)
        series_code, specialty, rank = entry.series, entry.specialty, Rank(entry.rank)
    if basis == "talent" and not params.direct_recognition_enabled.value:
        problems.append(Refusal("EL-14", "recognition_disabled", "本省未开放高层次人才直接认定（EL-14）"))
    if basis == "initial_determination":
        late = initial_determination_problem(
            obtained_on=recognition_in.obtained_on,
            month=params.initial_determination_deadline.value.month,
            day=params.initial_determination_deadline.value.day,
        )
        if late is not None:
            problems.append(late)
    series = context.catalog.get(series_code or "")
    if series is None or rank is None or series.title(rank) is None:
        raise refused(Refusal("", "title_unknown", "职称系列目录中没有该系列或该层级的职称名称", ("series", "rank")))
    level = level_of(rank)
    level_problem = recognition_level_problem(basis, level, recognition_in.talent_kind)
    if level_problem is not None:
        problems.append(level_problem)
    holder_key = context.cipher.keyed_hash(recognition_in.holder.resident_id)
    old: Certificate | None = None
    repository = CertificateRepository(session)
    if basis == "transfer":
        old = await repository.by_number(recognition_in.supersedes or "", for_update=True)
        if old is None or not actor.covers(old.region):
            raise CertificateNotFound("被转评的证书不存在或不在您的管辖范围")
        moved = transfer_problem(
            old_series=old.series,
            old_level=old.level,
            old_status=old.status,
            old_holder_key=old.holder_key,
            holder_key=holder_key,
            new_series=series.code,
            new_level=level,
            new_post_since=recognition_in.new_post_since,
            obtained_on=recognition_in.obtained_on,
            min_years=params.transfer_min_years_in_new_post.value,
        )
        if moved is not None:
            problems.append(moved)
    if problems:
        raise refused(problems)
    title = series.title(rank)
    assert title is not None
    command = IssueCertificate(
        holder=HolderIdentity(
            recognition_in.holder.name, recognition_in.holder.gender, recognition_in.holder.resident_id
        ),
        series=series.code,
        specialty=specialty or "",
        level=level,
        title_name=title,
        committee_id=recognition_in.committee_id,
        committee_name=recognition_in.committee_name or recognition_in.approving_authority,
        approving_authority=recognition_in.approving_authority,
        document_number=recognition_in.document_number,
        obtained_on=recognition_in.obtained_on,
        region=region,
        basis=basis,
        supersedes=old.number if old else None,
    )
    (issued,) = await issue_all(session, context=context, commands=[command], actor=actor, now=now)
    row = await repository.by_number(issued.number)
    assert row is not None, "inserted in this transaction"
    if old is not None:
        await status_service.supersede(session, certificate=old, by=row.number, actor=actor, now=now)
    return row


REISSUED = "reissued"
WITHDRAWN_RECORD = "integrity_record_withdrawn"


async def reissue_after_withdrawal(
    session: AsyncSession,
    *,
    context: CertificatesContext,
    revoked: Certificate,
    record_id: uuid.UUID,
    actor: Principal,
    now: datetime,
) -> Certificate:
    """IN-1 lifted: the record that revoked ``revoked`` (locked by the caller) was withdrawn on appeal.

    A revocation is final (the W3C revocation list never clears a bit, and verifiers may hold the
    list), so the title comes back as a new certificate: the same holder, title, committee,
    approval and date obtained, a new number, signed with the keys of now, ``supersedes`` the
    revoked number. The revoked one stays revoked, points to the new number, and its history says
    why (reason ``integrity_record_withdrawn``, the record's id).
    """
    content = content_of(context, revoked)
    command = IssueCertificate(
        holder=HolderIdentity(content.holder_name, content.gender, content.resident_id),
        series=revoked.series,
        specialty=revoked.specialty,
        level=content.level,
        title_name=revoked.title_name,
        committee_id=revoked.committee_id,
        committee_name=revoked.committee_name,
        approving_authority=content.approving_authority,
        document_number=content.approval_document,
        obtained_on=revoked.obtained_on,
        region=revoked.region,
        basis=cast(Basis, revoked.basis),
        supersedes=revoked.number,
    )
    (issued,) = await issue_all(session, context=context, commands=[command], actor=actor, now=now)
    row = await CertificateRepository(session).by_number(issued.number)
    assert row is not None, "inserted in this transaction"
    revoked.superseded_by = row.number
    session.add(
        StatusChange(
            id=uuid7(),
            certificate_id=revoked.id,
            at=now,
            action=REISSUED,
            from_status=revoked.status,
            to_status=revoked.status,
            reason_category=WITHDRAWN_RECORD,
            reason_sealed=None,
            record_id=record_id,
            actor=actor.subject,
        )
    )
    await journal_change(
        session,
        None,
        record=revoked,
        actor=actor,
        action=f"certificates.certificate.{REISSUED}",
        record_type=RECORD,
        rule_ids=("IN-1",),
        data={"number": revoked.number, "reissued_as": row.number, "record_id": str(record_id)},
    )
    log.info("certificates.certificate.reissued", number=revoked.number, reissued_as=row.number)
    return row


async def readable(
    session: AsyncSession, *, number: str, actor: Principal, purpose: str
) -> tuple[Certificate, list[StatusChange]]:
    """A certificate for its holder (bound identity) or staff of its region; the read is journaled."""
    row = await CertificateRepository(session).by_number(number.strip().upper())
    own = row is not None and actor.person_key is not None and actor.person_key == row.holder_key
    if row is None or not (own or (actor.has_role(*STAFF_ROLES) and actor.covers(row.region))):
        raise CertificateNotFound("证书不存在，或不是您的证书、不在您的管辖范围")
    await journal_read(
        session, records=[row], actor=actor, action=f"certificates.certificate.{purpose}", record_type=RECORD
    )
    return row, list(await CertificateRepository(session).history(row.id))


STAFF_ROLES = ("hr_admin", "province_admin", "hr_reviewer", "supervisor", "auditor")


def content_of(context: CertificatesContext, row: Certificate) -> CertificateContent:
    content = content_from_credential(open_document(context, row)["credential"])
    if isinstance(content, Refusal):
        raise CertificateInvalid(f"存储的证书文档已损坏：{content.message}", code="certificate_document_damaged")
    return content


def pdf_of(context: CertificatesContext, row: Certificate) -> bytes:
    """The A4 PDF of a stored certificate (503 ``certificate_font_unavailable`` without the CJK font)."""
    # Imported here: reportlab (and Pillow) are 13 MB resident that a service which never serves a
    # PDF should not carry (libs/common/tests/unit/test_lazy_imports.py).
    from zhicheng_certificates.certificate.pdf import render_certificate_pdf

    return render_certificate_pdf(
        content_of(context, row),
        token=row.token,
        verification_base_url=context.issuer.verification_base_url,
        font_file=context.font_file,
    )
