"""Events the certificates service subscribes to: one durable per producer (``certificates-committees``,
``certificates-integrity``, ``certificates-intake``), dispatching by subject, so each producer's order is kept.

* ``intake.declaration.submitted`` (v2 ``holder_sealed``): the holder's name, gender and resident ID,
  kept per declaration (the results name only the declaration and a keyed hash).
* ``committees.results.confirmed``: one certificate per passed applicant, exactly once (the inbox
  skips a redelivery; a declaration that has a certificate already is skipped, so a confirmation
  repeated after a re-examination issues nothing twice); a ``not_passed`` declaration that held a
  certificate loses it. A result naming a declaration whose holder is not known here yet is parked.
* ``integrity.record.decided`` with ``effects.revoke_certificate_number`` (IN-1): revoked at once.
* ``integrity.record.withdrawn`` (outcome ``withdrawn``): the record that revoked a certificate
  was lifted on appeal; the revocation stays (it is final), and the title comes back as a new
  certificate that supersedes the revoked number. Outcome ``changed``: the replacing record's
  ``decided`` (``supersedes``) decides: a certificate it revokes too stays revoked, any other the
  old record revoked is reissued.
"""

from __future__ import annotations

import json
import uuid
from datetime import date

from cryptography.exceptions import InvalidTag
from pydantic import Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_certificates.certificate.repository import CertificateRepository
from zhicheng_certificates.certificate.service import (
    HolderIdentity,
    IssueCertificate,
    issue_all,
    reissue_after_withdrawal,
)
from zhicheng_certificates.deps import CertificatesContext
from zhicheng_certificates.status import service as status_service
from zhicheng_common.audit import session_clock
from zhicheng_common.auth import system_actor
from zhicheng_common.events.consumer import (
    AggregateNotYetKnown,
    EventData,
    Handler,
    PermanentEventError,
    Subscription,
    parse_data,
)
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_common.series import Level

SERVICE = "certificates"


class Submitted(EventData):
    declaration_id: uuid.UUID
    applicant_key: str
    holder_sealed: str | None = None
    region: str


class Passed(EventData):
    declaration_id: uuid.UUID
    applicant_key: str
    series: str
    # Required by the contract (docs/event-contracts.md): a certificate states the specialty, and
    # every declaration names one. An entry without it dead-letters the confirmation, naming it.
    specialty: str = Field(min_length=1)
    level: Level
    title_name: str


class ResultsConfirmed(EventData):
    confirmation_id: uuid.UUID
    meeting_id: uuid.UUID
    committee_id: uuid.UUID
    committee_name: str
    region: str
    approving_authority: str
    document_number: str
    title_obtained_on: date
    passed: list[Passed]
    not_passed: list[uuid.UUID] = Field(default_factory=list)


class _Effects(EventData):
    revoke_certificate_number: str | None = None


class RecordDecided(EventData):
    record_id: uuid.UUID
    subject_key: str
    effects: _Effects
    supersedes: uuid.UUID | None = None  # the record an appeal changed (withdrawn with outcome ``changed``)


class RecordWithdrawn(EventData):
    record_id: uuid.UUID
    outcome: str = "withdrawn"  # or ``changed``: the replacement's own ``decided`` follows


class SealedHolder(EventData):
    name: str
    gender: str
    resident_id: str


def on_submitted(context: CertificatesContext) -> Handler:
    async def handle(session: AsyncSession, event: CloudEvent) -> None:
        data = parse_data(Submitted, event)
        if data.holder_sealed is None:
            return  # an event from before holder_sealed: nothing to keep (its results are parked)
        await CertificateRepository(session).add_holder(
            declaration_id=data.declaration_id,
            holder_key=data.applicant_key,
            holder_sealed=data.holder_sealed,
            region=data.region,
        )

    return handle


def _holder(context: CertificatesContext, sealed: str, applicant_key: str) -> HolderIdentity:
    try:
        opened = SealedHolder.model_validate(json.loads(context.cipher.decrypt(sealed)))
    except (InvalidTag, ValueError, ValidationError) as exc:  # another key, or damaged: redelivery cannot help
        raise PermanentEventError("holder_sealed cannot be opened") from exc
    if opened.gender not in ("male", "female") or context.cipher.keyed_hash(opened.resident_id) != applicant_key:
        raise PermanentEventError("holder_sealed does not match the applicant")
    return HolderIdentity(opened.name, opened.gender, opened.resident_id)  # type: ignore[arg-type]


def on_results_confirmed(context: CertificatesContext) -> Handler:
    async def handle(session: AsyncSession, event: CloudEvent) -> None:
        data = parse_data(ResultsConfirmed, event)
        now = session_clock(session).now()
        repository = CertificateRepository(session)
        actor = system_actor(data.region, service=SERVICE)
        wanted = [p.declaration_id for p in data.passed]
        existing = await repository.by_declarations([*wanted, *data.not_passed])
        holders = await repository.holders([d for d in wanted if d not in existing])
        missing = [d for d in wanted if d not in existing and d not in holders]
        if missing:
            raise AggregateNotYetKnown(f"{event.type}: holders of {len(missing)} declaration(s) not known here yet")
        commands = [
            IssueCertificate(
                holder=_holder(context, holders[p.declaration_id].holder_sealed, p.applicant_key),
                series=p.series,
                specialty=p.specialty,
                level=p.level,
                title_name=p.title_name,
                committee_id=data.committee_id,
                committee_name=data.committee_name,
                approving_authority=data.approving_authority,
                document_number=data.document_number,
                obtained_on=data.title_obtained_on,
                region=data.region,
                basis="evaluation",
                declaration_id=p.declaration_id,
                confirmation_id=data.confirmation_id,
            )
            for p in data.passed
            if p.declaration_id not in existing
        ]
        await issue_all(session, context=context, commands=commands, actor=actor, now=now)
        for declaration_id in data.not_passed:  # after a re-examination (NA-12): the title is lost
            held = existing.get(declaration_id)
            if held is None or held.status not in ("valid", "suspended"):
                continue
            locked = await repository.by_number(held.number, for_update=True)
            assert locked is not None
            await status_service.change_status(
                session,
                context=context,
                certificate=locked,
                action="revoke",
                reason_category="reexamination",
                reason=None,
                record_id=None,
                actor=actor,
                now=now,
            )

    return handle


async def _reissue_revoked_by(
    session: AsyncSession, context: CertificatesContext, record_id: uuid.UUID, *, keep: str | None = None
) -> None:
    """The certificates the lifted record ``record_id`` revoked come back as new ones (but ``keep``)."""
    now = session_clock(session).now()
    for revoked in await CertificateRepository(session).revoked_by_record(record_id):
        if revoked.number == keep:
            continue  # the replacing record revokes it too: it stays revoked
        await reissue_after_withdrawal(
            session,
            context=context,
            revoked=revoked,
            record_id=record_id,
            actor=system_actor(revoked.region, service=SERVICE),
            now=now,
        )


def on_integrity_decided(context: CertificatesContext) -> Handler:
    async def handle(session: AsyncSession, event: CloudEvent) -> None:
        data = parse_data(RecordDecided, event)
        number = data.effects.revoke_certificate_number
        if data.supersedes is not None:  # an appeal changed the record: what the old one revoked, this decides
            keep = number.strip().upper() if number else None
            await _reissue_revoked_by(session, context, data.supersedes, keep=keep)
        if not number:
            return  # revokes nothing
        row = await CertificateRepository(session).by_number(number.strip().upper(), for_update=True)
        if row is None:
            raise AggregateNotYetKnown(f"{event.type}: certificate {number} not issued here (yet)")
        if row.holder_key != data.subject_key:
            raise PermanentEventError(f"{event.type}: certificate {number} is not the record's subject's")
        if row.status in ("revoked", "superseded"):
            return  # already off the register: revocation is final
        await status_service.change_status(
            session,
            context=context,
            certificate=row,
            action="revoke",
            reason_category="integrity_record",
            reason=None,
            record_id=data.record_id,
            actor=system_actor(row.region, service=SERVICE),
            now=session_clock(session).now(),
        )

    return handle


def on_integrity_withdrawn(context: CertificatesContext) -> Handler:
    async def handle(session: AsyncSession, event: CloudEvent) -> None:
        data = parse_data(RecordWithdrawn, event)
        if data.outcome == "changed":
            return  # the replacing record's ``decided`` (``supersedes``) says whether the title comes back
        await _reissue_revoked_by(session, context, data.record_id)

    return handle


def subscriptions(context: CertificatesContext) -> tuple[Subscription, ...]:
    return (
        Subscription("declaration_submitted", ("intake.declaration.submitted",), on_submitted(context)),
        Subscription("results_confirmed", ("committees.results.confirmed",), on_results_confirmed(context)),
        Subscription("integrity_decided", ("integrity.record.decided",), on_integrity_decided(context)),
        Subscription("integrity_withdrawn", ("integrity.record.withdrawn",), on_integrity_withdrawn(context)),
    )
