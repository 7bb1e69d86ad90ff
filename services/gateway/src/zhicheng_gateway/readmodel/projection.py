"""The read model's projection: one function per event, writing the ``rm_*`` tables once per event.

The same functions serve the live durables (``consumers.py``) and a rebuild (``rebuild.py``). They
do not depend on which producer's events arrive first: a declaration's stages are ordered by event
time, and a row another producer's event needs is created with what that event knows.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.calendar import UnknownCalendarYear, WorkingDayCalendar
from zhicheng_common.clock import china_today
from zhicheng_common.events.consumer import AggregateNotYetKnown, PermanentEventError
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_common.pii import PiiCipher
from zhicheng_gateway.feeds.domain import event_name
from zhicheng_gateway.readmodel.domain import DEADLINE_KIND_OF_STAGE, STAGE_OF, Visit, timeline
from zhicheng_gateway.readmodel.models import (
    RmCertificate,
    RmCommittee,
    RmDeclaration,
    RmIntegrityRecord,
    RmMeeting,
    RmResult,
    RmStageVisit,
)
from zhicheng_gateway.readmodel.repository import ProjectionRepository


@dataclass(frozen=True)
class ReadModelContext:
    """What the projection and the queries need besides a session, built once in ``create_app()``."""

    cipher: PiiCipher
    calendar: WorkingDayCalendar
    #: Counts already made, for a rebuild (its calendar does not change while it runs); the live
    #: gateway leaves it None, since a loaded holiday arrangement changes the counts.
    memo: dict[tuple[date, date], int | None] | None = None

    def working_days_between(self, start: date, end: date) -> int | None:
        if self.memo is not None and (start, end) in self.memo:
            return self.memo[(start, end)]
        try:
            count: int | None = self.calendar.working_days_between(start, end)
        except UnknownCalendarYear:  # a year no source covers: the duration is unknown, not zero
            count = None
        if self.memo is not None:
            self.memo[(start, end)] = count
        return count

    def name_key(self, sealed: str | None) -> str | None:
        """The keyed hash of a sealed name (for the exact search by name), or None if it cannot be opened."""
        opened = self.open(sealed)
        return None if opened is None else self.cipher.keyed_hash(opened)

    def open(self, sealed: str | None) -> str | None:
        if not sealed:
            return None
        try:
            return self.cipher.decrypt(sealed)
        except Exception:  # sealed under another key: no value rather than ciphertext
            return None

    def holder(self, sealed: str | None) -> dict[str, Any]:
        """The sealed ``{"name", "gender", "resident_id"}`` of ``intake.declaration.submitted``, opened."""
        opened = self.open(sealed)
        if opened is None:
            return {}
        try:
            value = json.loads(opened)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


Apply = Callable[[ProjectionRepository, CloudEvent, Mapping[str, Any], ReadModelContext], Awaitable[None]]


def _uuid(value: Any) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise PermanentEventError(f"not a uuid: {value!r}") from exc


def _date(value: Any) -> date | None:
    return None if value in (None, "") else date.fromisoformat(str(value)[:10])


def _instant(value: Any, default: datetime) -> datetime:
    if value in (None, ""):
        return default
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _need(data: Mapping[str, Any], name: str) -> Any:
    if data.get(name) in (None, ""):
        raise PermanentEventError(f"the event has no {name}")
    return data[name]


def _region(event: CloudEvent, data: Mapping[str, Any]) -> str:
    region = event.region or data.get("region")
    if not region:
        raise PermanentEventError("the event names no region")
    return str(region)


# --- declarations and their stages --------------------------------------------------------------

_DECLARATION_FIELDS = (
    "applicant_key",
    "employer_name",
    "year",
    "series",
    "specialty",
    "level",
    "kind",
    "channel",
    "committee_id",
    "holder_sealed",
    "education_sealed",  # v3 of intake.declaration.submitted; absent (left as it is) in v2
)


async def _declaration(
    repo: ProjectionRepository, declaration_id: uuid.UUID, heard_in: str, stage: str, event: CloudEvent, **values: Any
) -> None:
    """The declaration's row with what this event knows (created when it is the first we hear of it;
    ``heard_in`` is its region until an event that sets ``region`` arrives)."""
    row = {
        "declaration_id": declaration_id,
        "region": heard_in,
        "stage": stage,
        "stage_since": event.time,
        "returned_count": 0,
        "qualified": False,
        "review_rule_ids": [],
        **values,
    }
    await repo.upsert(RmDeclaration, "declaration_id", row, update_keys=[k for k in values if values[k] is not None])


async def _enter(
    repo: ProjectionRepository,
    context: ReadModelContext,
    event: CloudEvent,
    declaration_id: uuid.UUID,
    stage: str,
    *,
    due: date | None = None,
) -> None:
    """Record that ``event`` put the declaration in ``stage``; recount every visit's working days."""
    visit = Visit(uuid.UUID(event.id), stage, event.time, china_today(event.time), due=due)
    await repo.add_visit(visit, declaration_id)
    await _settle(repo, context, declaration_id)


async def _settle(repo: ProjectionRepository, context: ReadModelContext, declaration_id: uuid.UUID) -> None:
    """Recount the declaration's visits now, or at the end of the batch when the caller defers it."""
    if repo.deferred is not None:
        repo.deferred.add(declaration_id)
        return
    await settle(repo, context, [declaration_id])


async def settle(repo: ProjectionRepository, context: ReadModelContext, declaration_ids: Collection[uuid.UUID]) -> None:
    """Order each declaration's visits, close each by the next, count their working days, and set
    the declaration's stage, its start, its due date and how often it was returned."""
    if not declaration_ids:
        return
    grouped = await repo.visits_of(declaration_ids)
    visit_changes: list[dict[str, Any]] = []
    declaration_changes: list[dict[str, Any]] = []
    for declaration_id, before in grouped.items():
        visits = timeline(before, context.working_days_between)
        if repo.visit_cache is not None:
            repo.visit_cache[declaration_id] = visits
        known = {v.event_id: v for v in before}
        for visit in visits:
            old = known[visit.event_id]
            if (old.left_on, old.working_days, old.due) != (visit.left_on, visit.working_days, visit.due):
                visit_changes.append(
                    {
                        "event_id": visit.event_id,
                        "declaration_id": declaration_id,
                        "left_on": visit.left_on,
                        "working_days": visit.working_days,
                    }
                )
        current = visits[-1]
        declaration_changes.append(
            {
                "declaration_id": declaration_id,
                "stage": current.stage,
                "stage_since": current.entered_at,
                "due": current.due,
                "returned_count": sum(1 for v in visits if v.stage == "returned"),
            }
        )
    await repo.update_many(RmStageVisit, visit_changes)
    await repo.update_many(RmDeclaration, declaration_changes)


async def on_declaration_event(
    repo: ProjectionRepository, event: CloudEvent, data: Mapping[str, Any], context: ReadModelContext
) -> None:
    name = event_name(event.type) or ""
    stage = STAGE_OF[name]
    declaration_id = _uuid(_need(data, "declaration_id"))
    assert declaration_id is not None
    values: dict[str, Any] = {k: data.get(k) for k in _DECLARATION_FIELDS if k in data}
    if "committee_id" in values:
        values["committee_id"] = _uuid(values["committee_id"])
    if stage == "qualified":
        values["qualified"] = True
    if stage in ("rejected", "disqualified"):
        values["review_rule_ids"] = list(data.get("rule_ids") or [])
    # The declaration's own events name its region (the applicant's county); a result or a
    # certificate heard first only fills it in until they arrive.
    region = _region(event, data)
    await _declaration(repo, declaration_id, region, stage, event, region=region, **values)
    await _enter(repo, context, event, declaration_id, stage, due=_date(data.get("deadline")))


async def on_deadline_changed(
    repo: ProjectionRepository, event: CloudEvent, data: Mapping[str, Any], context: ReadModelContext
) -> None:
    declaration_id = _uuid(_need(data, "declaration_id"))
    assert declaration_id is not None
    stages = [s for s, kind in DEADLINE_KIND_OF_STAGE.items() if kind == data.get("deadline_kind")]
    due = _date(data.get("due"))
    if not stages or due is None or not await repo.exists(RmDeclaration, RmDeclaration.declaration_id, declaration_id):
        return  # a deadline of a stage the province does not track, or of a declaration it never saw
    await repo.set_due_of_latest(declaration_id, stages, due)
    await _settle(repo, context, declaration_id)


# --- committees, meetings, results ----------------------------------------------------------------


async def on_committee_filed(
    repo: ProjectionRepository, event: CloudEvent, data: Mapping[str, Any], context: ReadModelContext
) -> None:
    values = {
        "committee_id": _uuid(_need(data, "committee_id")),
        "region": _region(event, data),
        "name": str(_need(data, "name")),
        "kind": data.get("kind"),
        "organizer_name": data.get("organizer_name"),
        "series": data.get("series"),
        "levels": list(data.get("levels") or []),
        "specialties": list(data.get("specialties") or []),
        "status": "approved",
        "valid_from": _date(data.get("valid_from")),
        "valid_until": _date(data.get("valid_until")),
        "policy_pack": data.get("policy_pack"),
    }
    await repo.upsert(RmCommittee, "committee_id", values, update_keys=[k for k in values if k != "committee_id"])


_COMMITTEE_STATUS = {
    "committees.committee.expired": "expired",
    "committees.committee.suspended": "suspended",
    "committees.committee.resumed": "approved",
    "committees.committee.power_withdrawn": "power_withdrawn",
}


async def on_committee_status(
    repo: ProjectionRepository, event: CloudEvent, data: Mapping[str, Any], context: ReadModelContext
) -> None:
    committee_id = _uuid(_need(data, "committee_id"))
    status = _COMMITTEE_STATUS[event_name(event.type) or ""]
    if not await repo.set_values(RmCommittee, RmCommittee.committee_id, committee_id, {"status": status}):
        raise AggregateNotYetKnown(f"committee {committee_id} not known to the read model yet")


_MEETING_STATE = {
    "committees.meeting.pre_filed": "pre_filed",
    "committees.meeting.opened": "opened",
    "committees.meeting.closed": "closed",
    "committees.results.publicized": "publicized",
    "committees.results.confirmed": "confirmed",
}


async def on_meeting(
    repo: ProjectionRepository, event: CloudEvent, data: Mapping[str, Any], context: ReadModelContext
) -> None:
    known: dict[str, Any] = {
        "committee_id": _uuid(_need(data, "committee_id")),
        "region": _region(event, data),
        "state": _MEETING_STATE[event_name(event.type) or ""],
        "meeting_date": _date(data.get("meeting_date")),
        "applicant_count": data.get("applicant_count"),
        "members": data.get("members"),
        "attending": data.get("attending"),
        "evaluated_count": data.get("evaluated_count"),
        "passed_count": data.get("passed_count"),
        "document_number": data.get("document_number"),
        "confirmed_on": _date(data.get("confirmed_on")),
    }
    values = {"meeting_id": _uuid(_need(data, "meeting_id")), **known}
    await repo.upsert(RmMeeting, "meeting_id", values, update_keys=[k for k, v in known.items() if v is not None])


_RESULT_DETAIL = ("applicant_key", "applicant_name_sealed", "series", "specialty", "level", "title_name")


async def on_results_confirmed(
    repo: ProjectionRepository, event: CloudEvent, data: Mapping[str, Any], context: ReadModelContext
) -> None:
    await on_meeting(repo, event, data, context)
    region = _region(event, data)
    common = {
        "meeting_id": _uuid(_need(data, "meeting_id")),
        "committee_id": _uuid(_need(data, "committee_id")),
        "committee_name": str(data.get("committee_name") or ""),
        "region": region,
        "year": int(_need(data, "year")),
        "document_number": str(data.get("document_number") or ""),
        "approving_authority": str(data.get("approving_authority") or ""),
        "confirmed_on": _date(_need(data, "confirmed_on")),
        "title_obtained_on": _date(data.get("title_obtained_on")) or _date(data["confirmed_on"]),
        "confirmed_at": event.time,
    }
    outcomes: list[tuple[uuid.UUID, bool, dict[str, Any]]] = []
    for passed in data.get("passed") or []:
        declaration_id = _uuid(_need(passed, "declaration_id"))
        assert declaration_id is not None
        detail = {
            "applicant_key": passed.get("applicant_key"),
            "applicant_name_sealed": passed.get("applicant_name_sealed"),
            "series": passed.get("series"),
            "specialty": passed.get("specialty"),
            "level": passed.get("level"),
            "title_name": passed.get("title_name"),
        }
        outcomes.append((declaration_id, True, detail))
    for declaration in data.get("not_passed") or []:
        declaration_id = _uuid(declaration)
        assert declaration_id is not None
        outcomes.append(
            (
                declaration_id,
                False,
                dict.fromkeys(("applicant_key", "applicant_name_sealed", "series", "specialty", "level", "title_name")),
            )
        )
    for declaration_id, passed_, detail in outcomes:
        values = {"declaration_id": declaration_id, "passed": passed_, **common, **detail}
        await repo.upsert(RmResult, "declaration_id", values, update_keys=[k for k in values if k != "declaration_id"])
        stage = "passed" if passed_ else "not_passed"
        await _declaration(repo, declaration_id, region, stage, event, meeting_id=common["meeting_id"], result=stage)
        await _enter(repo, context, event, declaration_id, stage)


# --- certificates -------------------------------------------------------------------------------


async def on_certificate_issued(
    repo: ProjectionRepository, event: CloudEvent, data: Mapping[str, Any], context: ReadModelContext
) -> None:
    number = str(_need(data, "certificate_number"))
    region = _region(event, data)
    values = {
        "certificate_number": number,
        "region": region,
        "declaration_id": _uuid(data.get("declaration_id")),
        "holder_key": str(_need(data, "holder_key")),
        "holder_name_sealed": str(_need(data, "holder_name_sealed")),
        "holder_name_key": context.name_key(data.get("holder_name_sealed")),
        "series": str(_need(data, "series")),
        "specialty": str(data.get("specialty") or ""),
        "level": str(_need(data, "level")),
        "title_name": str(data.get("title_name") or ""),
        "committee_id": _uuid(data.get("committee_id")),
        "year": int(_need(data, "year")),
        "obtained_on": _date(_need(data, "obtained_on")),
        "issued_at": _instant(data.get("issued_at"), event.time),
        "basis": str(data.get("basis") or "evaluation"),
        "status": "valid",
    }
    await repo.upsert(RmCertificate, "certificate_number", values, update_keys=[])
    declaration_id = values["declaration_id"]
    if isinstance(declaration_id, uuid.UUID):
        await _declaration(repo, declaration_id, region, "certified", event, certificate_number=number)
        await _enter(repo, context, event, declaration_id, "certified")


_CERTIFICATE_STATUS = {
    "certificates.certificate.revoked": "revoked",
    "certificates.certificate.suspended": "suspended",
    "certificates.certificate.reinstated": "valid",
    "certificates.certificate.superseded": "superseded",
}


async def on_certificate_status(
    repo: ProjectionRepository, event: CloudEvent, data: Mapping[str, Any], context: ReadModelContext
) -> None:
    number = str(_need(data, "certificate_number"))
    values = {
        "status": _CERTIFICATE_STATUS[event_name(event.type) or ""],
        "status_at": _instant(data.get("at"), event.time),
        "reason_category": data.get("reason_category"),
        "superseded_by": data.get("superseded_by"),
    }
    if not await repo.set_values(RmCertificate, RmCertificate.certificate_number, number, values):
        raise AggregateNotYetKnown(f"certificate {number} not known to the read model yet")


# --- integrity ------------------------------------------------------------------------------------


async def on_record_decided(
    repo: ProjectionRepository, event: CloudEvent, data: Mapping[str, Any], context: ReadModelContext
) -> None:
    values = {
        "record_id": _uuid(_need(data, "record_id")),
        "region": _region(event, data),
        "subject_kind": str(_need(data, "subject_kind")),
        "subject_key": str(_need(data, "subject_key")),
        "kind": str(_need(data, "kind")),
        "state": "in_force",
        "valid_from": _date(_need(data, "valid_from")),
        "valid_until": _date(_need(data, "valid_until")),
        "effects": dict(data.get("effects") or {}),
        "rule_ids": list(data.get("rule_ids") or []),
        "committee_id": _uuid(data.get("committee_id")),
        "declaration_id": _uuid(data.get("declaration_id")),
        "shared_with_credit_platform": bool(data.get("shared_with_credit_platform")),
    }
    await repo.upsert(RmIntegrityRecord, "record_id", values, update_keys=[k for k in values if k != "record_id"])


async def on_record_ended(
    repo: ProjectionRepository, event: CloudEvent, data: Mapping[str, Any], context: ReadModelContext
) -> None:
    record_id = _uuid(_need(data, "record_id"))
    state = "expired" if (event_name(event.type) or "").endswith("expired") else "withdrawn"
    if not await repo.set_values(RmIntegrityRecord, RmIntegrityRecord.record_id, record_id, {"state": state}):
        raise AggregateNotYetKnown(f"integrity record {record_id} not known to the read model yet")


APPLY: Mapping[str, Apply] = {
    **dict.fromkeys(STAGE_OF, on_declaration_event),
    "review.declaration.deadline_changed": on_deadline_changed,
    "committees.committee.approved": on_committee_filed,
    "committees.committee.refiled": on_committee_filed,
    **dict.fromkeys(_COMMITTEE_STATUS, on_committee_status),
    "committees.meeting.pre_filed": on_meeting,
    "committees.meeting.opened": on_meeting,
    "committees.meeting.closed": on_meeting,
    "committees.results.publicized": on_meeting,
    "committees.results.confirmed": on_results_confirmed,
    "certificates.certificate.issued": on_certificate_issued,
    **dict.fromkeys(_CERTIFICATE_STATUS, on_certificate_status),
    "integrity.record.decided": on_record_decided,
    "integrity.record.expired": on_record_ended,
    "integrity.record.withdrawn": on_record_ended,
}
"""What the read model does with each event; every other event of a producer is recorded as seen only."""


async def project(session: AsyncSession, event: CloudEvent, *, context: ReadModelContext, live: bool = True) -> bool:
    """Apply one event to the read model once; False when these tables hold it already.

    ``live``: the consumers hold the read-model lock (``READ_MODEL_LOCK``), so they take turns and
    a rebuild's swap waits for them and they for it (docs/readmodel.md).
    """
    repo = ProjectionRepository(session)
    if live:
        await repo.hold_lock()
    if not await repo.claim(uuid.UUID(event.id), event.service):
        return False
    await _apply(repo, event, context)
    return True


async def project_batch(
    session: AsyncSession,
    events: Sequence[CloudEvent],
    *,
    context: ReadModelContext,
    visit_cache: dict[uuid.UUID, list[Visit]] | None = None,
    unsettled: set[uuid.UUID] | None = None,
) -> int:
    """:func:`project` for a batch of a rebuild (no lock): one claim for all, and each touched
    declaration's visits recounted once at the end, as they would be after its last event. Returns
    how many events were applied. ``visit_cache``: the rebuild's copy of the visits it wrote
    (``ProjectionRepository.visit_cache``), kept from batch to batch. ``unsettled``: collect the
    touched declarations there instead, for one :func:`settle` after the last batch (nothing in the
    projection reads a declaration's stage, so the outcome is the same)."""
    repo = ProjectionRepository(session, buffered=True)
    repo.deferred = set()
    repo.visit_cache = visit_cache
    ids = [uuid.UUID(event.id) for event in events]
    fresh = await repo.claim_many([(event_id, event.service) for event_id, event in zip(ids, events, strict=True)])
    applied = 0
    for event_id, event in zip(ids, events, strict=True):
        if event_id not in fresh:
            continue
        fresh.discard(event_id)  # the same event twice in a batch is applied once
        await _apply(repo, event, context)
        applied += 1
    deferred, repo.deferred = repo.deferred, None
    if unsettled is not None:
        unsettled.update(deferred)
    else:
        await settle(repo, context, deferred)  # reads the visits: writes what the batch buffered first
    await repo.flush_writes()
    return applied


async def settle_all(
    session: AsyncSession,
    declaration_ids: Collection[uuid.UUID],
    *,
    context: ReadModelContext,
    visit_cache: dict[uuid.UUID, list[Visit]] | None = None,
    chunk: int = 2000,
) -> None:
    """:func:`settle` for the declarations a rebuild's batches left unsettled, ``chunk`` of them
    at a time (what is held in memory); their rows are staged and written at the end, one
    statement per table (``ProjectionRepository.apply_collected_updates``)."""
    repo = ProjectionRepository(session, buffered=True)  # its updates go through the staging tables
    repo.visit_cache = visit_cache
    repo.collected = {}
    pending = sorted(declaration_ids)  # each once, so every staged key is in one chunk only
    for start in range(0, len(pending), chunk):
        await settle(repo, context, pending[start : start + chunk])
    await repo.apply_collected_updates()


async def _apply(repo: ProjectionRepository, event: CloudEvent, context: ReadModelContext) -> None:
    apply = APPLY.get(event_name(event.type) or "")
    if apply is None:
        return
    data = event.data if isinstance(event.data, dict) else {}
    try:
        await apply(repo, event, data, context)
    except (ValueError, TypeError, KeyError) as exc:  # never valid however often redelivered
        raise PermanentEventError(f"{event.type}: {exc!r}") from exc
