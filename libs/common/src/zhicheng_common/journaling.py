"""The two ways a use case writes the audit journal: a change with its event, and a read.

Both journal in the record's region (``record_region``), so that region's auditors see who touched
it wherever the actor sits; both write in the caller's transaction, beside the change they note.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, Required, TypedDict, Unpack

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.audit import append_entry
from zhicheng_common.auth import Principal
from zhicheng_common.events.outbox import record_event, record_events


class Regional(Protocol):
    """A stored record: its id and the GB/T 2260 code of its jurisdiction."""

    @property
    def id(self) -> Any: ...

    @property
    def region(self) -> str: ...


class Entry(TypedDict, total=False):
    """What a journal entry says besides its record (the keywords of ``audit.append_entry``)."""

    actor: Required[Principal]
    action: Required[str]
    record_type: Required[str]
    reason: str | None
    rule_ids: Sequence[str]
    policy_pack: str | None
    data: Mapping[str, Any] | None


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


async def journal_changes(
    session: AsyncSession,
    events: Sequence[tuple[BaseModel, str]],
    *,
    records: Sequence[Regional],
    **entry: Unpack[Entry],
) -> None:
    """:func:`journal_change` for many records changed by one use case (e.g. a meeting's certificates).

    ``events`` are ``(event, subject)`` pairs, one per record, in the records' order; they go to the
    outbox in one statement. The journal gets one entry per region of the records (``*`` and the ids
    in ``data["ids"]`` when several), as :func:`journal_read` writes them.
    """
    await record_events(
        session, [(event, subject, record.region) for (event, subject), record in zip(events, records, strict=True)]
    )
    await journal_read(session, records=records, **entry)


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
