"""The audit journal: append-only and hash-chained per service (DESIGN.md §9).

Each entry holds who (actor, role, region), what (action), on which record, when, why, and the
policy pack and rule ids that decided it, plus the hash of the previous entry. Editing any
stored entry breaks the chain at that entry, which :func:`verify_chain` finds offline from an
export (``zhicheng journal export`` / ``zhicheng journal verify``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import RowMapping, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from zhicheng_common.auth import Principal
from zhicheng_common.db import journal_table, json_safe, session_schema

GENESIS_HASH = "0" * 64

HASHED_FIELDS = (
    "seq",
    "at",
    "actor",
    "role",
    "region",
    "action",
    "record_type",
    "record_id",
    "reason",
    "rule_ids",
    "policy_pack",
    "data",
    "prev_hash",
)


def canonical_at(value: datetime | str) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of the hashed fields (sorted keys, UTF-8)."""
    body = {name: entry.get(name) for name in HASHED_FIELDS}
    body["at"] = canonical_at(entry["at"])
    body["rule_ids"] = list(entry.get("rule_ids") or [])
    body["data"] = json_safe(entry.get("data") or {})
    encoded = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


async def append_entry(
    session: AsyncSession,
    *,
    actor: Principal,
    action: str,
    record_type: str,
    record_id: str,
    reason: str | None = None,
    rule_ids: Sequence[str] = (),
    policy_pack: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Append one entry in the caller's transaction (commits or rolls back with the change)."""
    # One writer at a time per service chain; the lock ends with the transaction.
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"zc_journal_{session_schema(session)}"}
    )
    last = (
        await session.execute(
            select(journal_table.c.seq, journal_table.c.hash).order_by(journal_table.c.seq.desc()).limit(1)
        )
    ).first()
    entry: dict[str, Any] = {
        "seq": (last.seq + 1) if last else 1,
        "at": datetime.now(UTC),
        "actor": actor.subject,
        "role": actor.primary_role,
        "region": actor.region,
        "action": action,
        "record_type": record_type,
        "record_id": record_id,
        "reason": reason,
        "rule_ids": list(rule_ids),
        "policy_pack": policy_pack,
        "data": json_safe(dict(data or {})),
        "prev_hash": last.hash if last else GENESIS_HASH,
    }
    entry["hash"] = entry_hash(entry)
    await session.execute(insert(journal_table).values(**entry))
    return entry


def row_to_entry(row: Mapping[str, Any] | RowMapping) -> dict[str, Any]:
    entry = dict(row)
    entry["at"] = canonical_at(entry["at"])
    return entry


async def export_entries(conn: AsyncConnection | AsyncSession, *, after_seq: int = 0) -> list[dict[str, Any]]:
    """The chain from ``after_seq`` on, as JSON-ready dicts in order."""
    rows = (
        await conn.execute(select(journal_table).where(journal_table.c.seq > after_seq).order_by(journal_table.c.seq))
    ).mappings()
    return [row_to_entry(row) for row in rows]


@dataclass(frozen=True)
class ChainCheck:
    """Result of an offline check: ok, how many entries, and the first broken one."""

    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str | None = None


def verify_chain(entries: Iterable[Mapping[str, Any]], *, expected_prev: str = GENESIS_HASH) -> ChainCheck:
    """Recompute every hash and link; report the first entry that does not match."""
    prev = expected_prev
    expected_seq: int | None = None
    count = 0
    for entry in entries:
        seq = int(entry["seq"])
        if expected_seq is not None and seq != expected_seq:
            return ChainCheck(False, count, seq, f"sequence gap: expected {expected_seq}, found {seq}")
        if entry.get("prev_hash") != prev:
            return ChainCheck(False, count, seq, "prev_hash does not match the previous entry's hash")
        recomputed = entry_hash(entry)
        if recomputed != entry.get("hash"):
            return ChainCheck(False, count, seq, "content does not match its hash (entry was edited)")
        prev = recomputed
        expected_seq = seq + 1
        count += 1
    return ChainCheck(True, count)
