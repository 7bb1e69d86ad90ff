"""The two ways a use case writes the audit journal: a change with its event, and a read.

Both journal in the record's region (``record_region``), so that region's auditors see who touched
it wherever the actor sits; both write in the caller's transaction, beside the change they note.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, Required, TypedDict, Unpack, cast

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.audit import append_entry
from zhicheng_common.auth import Principal
from zhicheng_common.events.outbox import record_event


class Regional(Protocol):
    """A stored record: its id and the GB/T 2260 code of its jurisdiction."""

    @property
    def id(self) -> Any: ...

    @property
    def region(self) -> str: ...


@dataclass(frozen=True)
class RecordRef:
    """A record named by id and region where the row itself is not at hand (a voided draw, a refusal)."""

    id: Any
    region: str


class Note(TypedDict, total=False):
    """What a journal entry may say besides who did what to which record."""

    reason: str | None
    rule_ids: Sequence[str]
    policy_pack: str | None
    data: Mapping[str, Any] | None


class Entry(Note, total=False):
    """What a journal entry says besides its record (the keywords of ``audit.append_entry``)."""

    actor: Required[Principal]
    action: Required[str]
    record_type: Required[str]


async def journal_change(
    session: AsyncSession,
    event: BaseModel | None,
    *,
    record: Regional,
    subject: str | None = None,
    **entry: Unpack[Entry],
) -> None:
    """Journal a change of ``record`` and add its ``event`` (if any) to the outbox.

    The event's subject is the record's id unless ``subject`` names another aggregate (a review's
    events are about its declaration); its region is the record's.
    """
    if event is not None:
        await record_event(session, event, subject=subject or str(record.id), region=record.region)
    await append_entry(session, record_id=str(record.id), record_region=record.region, **entry)


async def journal_read(session: AsyncSession, *, records: Sequence[Regional], **entry: Unpack[Entry]) -> None:
    """Journal a read of personal data: one entry per region of the ``records`` read.

    An entry names its one record, or ``*`` with the ids read in ``data["ids"]``.
    """
    by_region: dict[str, list[str]] = {}
    for record in records:
        by_region.setdefault(record.region, []).append(str(record.id))
    for region, record_ids in sorted(by_region.items()):
        if len(record_ids) == 1:
            await append_entry(session, record_id=record_ids[0], record_region=region, **entry)
            continue
        many = entry.copy()
        many["data"] = {"ids": record_ids, **(entry.get("data") or {})}
        await append_entry(session, record_id="*", record_region=region, **many)


class Change(Note, total=False):
    """A change's note, with its event (if any) and the event's subject when not the record."""

    event: BaseModel | None
    subject: str | None


@dataclass(frozen=True)
class RecordJournal:
    """:func:`journal_change` and :func:`journal_read` for one record type, so that a use case's
    entry reads as one line: ``await EXPERTS.change(session, expert, actor, "expert.updated", data=...)``.
    """

    record_type: str

    async def change(
        self, session: AsyncSession, record: Regional, actor: Principal, action: str, **note: Unpack[Change]
    ) -> None:
        event, subject = note.pop("event", None), note.pop("subject", None)
        entry: Entry = {"actor": actor, "action": action, "record_type": self.record_type, **cast(Note, note)}
        await journal_change(session, event, record=record, subject=subject, **entry)

    async def read(
        self, session: AsyncSession, records: Sequence[Regional], actor: Principal, action: str, **note: Unpack[Note]
    ) -> None:
        await journal_read(session, records=records, actor=actor, action=action, record_type=self.record_type, **note)

    async def read_all(self, session: AsyncSession, actor: Principal, action: str, **note: Unpack[Note]) -> None:
        """Journal a search or listing across the caller's jurisdiction: one entry, ``*``, in the caller's
        region (the records may be of several regions; ``data`` names them where it matters)."""
        await append_entry(
            session,
            actor=actor,
            action=action,
            record_type=self.record_type,
            record_id="*",
            record_region=actor.region,
            **note,
        )
