"""The audit journal: append-only, hash-chained per service, linked by one sequencer (DESIGN.md §9).

Each entry holds who (actor, role, the actor's region), what (action), on which record and the
record's region, when (the injectable clock), why, and the policy pack and rule ids that decided
it. A request only *inserts* its entry, unlinked: it takes no service-wide lock, so journaled
requests run side by side. One sequencer per service (whichever replica holds the advisory lock
for the round) links the committed entries into the chain in batches: it gives each the next
``seq``, the hash of the entry before it and its own hash. Seals are appended by the sequencer
too, as the entry right after the head they sign, so a seal always covers a head the chain
really has. Editing any stored entry breaks the chain at that entry, which :func:`verify_chain`
finds offline from an export (``zhicheng journal export`` / ``zhicheng journal verify``).
See docs/journal.md.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import RowMapping, bindparam, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from zhicheng_common.auth import SYSTEM, Principal
from zhicheng_common.clock import Clock, SystemClock
from zhicheng_common.db import Database, journal_table, json_safe, session_schema
from zhicheng_common.keys import KeyRefused, KeyRing, PublicRing, journal_purpose, ring_for
from zhicheng_common.settings import CommonSettings

log = structlog.get_logger()

GENESIS_HASH = "0" * 64

# Format 1: entries written before the sequencer (one lock per service); kept verifiable as they were.
V1_HASHED_FIELDS = (
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
# Format 2: every stored column but the hash itself, the format included (so an entry cannot be
# passed off as format 1 to drop fields from its hash).
V2_HASHED_FIELDS = (*V1_HASHED_FIELDS, "id", "record_region", "format")
HASHED_FIELDS = V2_HASHED_FIELDS
CURRENT_FORMAT = 2

SEAL_ACTION = "journal.sealed"
SEAL_RECORD_TYPE = "journal"


def canonical_at(value: datetime | str) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of the entry's hashed fields (sorted keys, UTF-8)."""
    fields = V1_HASHED_FIELDS if entry.get("format", 1) == 1 else V2_HASHED_FIELDS
    body = {name: entry.get(name) for name in fields}
    body["at"] = canonical_at(entry["at"])
    body["rule_ids"] = list(entry.get("rule_ids") or [])
    body["data"] = json_safe(entry.get("data") or {})
    encoded = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


def session_clock(session: AsyncSession) -> Clock:
    """The clock of the session's :class:`~zhicheng_common.db.Database` (the system clock if none)."""
    clock = session.info.get("clock")
    return clock if clock is not None else SystemClock()


async def append_entry(
    session: AsyncSession,
    *,
    actor: Principal,
    action: str,
    record_type: str,
    record_id: str,
    record_region: str,
    reason: str | None = None,
    rule_ids: Sequence[str] = (),
    policy_pack: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Insert one unlinked entry in the caller's transaction (committed or rolled back with the change).

    ``record_region`` is the GB/T 2260 code of the record's jurisdiction (for a listing, the
    jurisdiction listed), so that jurisdiction's auditors see who touched it, wherever the actor
    sits. No lock is taken: the sequencer links the entry into the chain after the commit.
    """
    entry = entry_values(
        session,
        actor=actor,
        action=action,
        record_type=record_type,
        record_id=record_id,
        record_region=record_region,
        reason=reason,
        rule_ids=rule_ids,
        policy_pack=policy_pack,
        data=data,
    )
    entry["id"] = (
        await session.execute(insert(journal_table).values(**entry).returning(journal_table.c.id))
    ).scalar_one()
    entry.update(seq=None, prev_hash=None, hash=None)
    return entry


def entry_values(
    session: AsyncSession,
    *,
    actor: Principal,
    action: str,
    record_type: str,
    record_id: str,
    record_region: str,
    reason: str | None = None,
    rule_ids: Sequence[str] = (),
    policy_pack: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The columns of the unlinked entry :func:`append_entry` inserts, for a hot path that writes it
    in a statement of its own (one round trip with the change it notes, in the same transaction).

    The keys are the ``journal`` table's column names; ``rule_ids`` and ``data`` are JSON values.
    """
    return {
        "format": CURRENT_FORMAT,
        "at": session_clock(session).now(),
        "actor": actor.subject,
        "role": actor.primary_role,
        "region": actor.region,
        "record_region": record_region,
        "action": action,
        "record_type": record_type,
        "record_id": record_id,
        "reason": reason,
        "rule_ids": list(rule_ids),
        "policy_pack": policy_pack,
        "data": json_safe(dict(data or {})),
    }


_ENTRY_COLUMNS = (
    "format",
    "at",
    "actor",
    "role",
    "region",
    "record_region",
    "action",
    "record_type",
    "record_id",
    "reason",
    "rule_ids",
    "policy_pack",
    "data",
)
_JSON_COLUMNS = frozenset({"rule_ids", "data"})
# The parameters' types, for an INSERT … SELECT where PostgreSQL cannot infer them from the target.
_ENTRY_CASTS = {name: "text" for name in _ENTRY_COLUMNS} | {
    "format": "smallint",
    "at": "timestamptz",
    "rule_ids": "jsonb",
    "data": "jsonb",
}


def entry_insert(
    schema: str, entry: Mapping[str, Any], *, first: int, select_from: str | None = None
) -> tuple[str, list[Any]]:
    """``INSERT`` of an :func:`entry_values` entry on the driver (asyncpg), numbered from ``$first``.

    For a hot path that puts the entry into the statement of its change (a ``WITH`` of several
    writes): returns the SQL and its arguments, JSON columns as JSON text (the engine's codec).
    ``schema`` is the session's (:func:`~zhicheng_common.db.session_schema`). With ``select_from``
    (the name of a ``WITH`` query) the entry is inserted once per row that query returns, so only
    when the change it notes was made (``INSERT … ON CONFLICT DO NOTHING RETURNING``).
    """
    quoted = '"' + schema.replace('"', '""') + '"'
    placeholders = ", ".join(f"${n}::{_ENTRY_CASTS[name]}" for n, name in enumerate(_ENTRY_COLUMNS, first))
    # Identifiers from the caller's schema map and query name, values as parameters.
    rows = f"VALUES ({placeholders})" if select_from is None else f"SELECT {placeholders} FROM {select_from}"  # noqa: S608
    sql = f"INSERT INTO {quoted}.journal ({', '.join(_ENTRY_COLUMNS)}) {rows}"
    args = [
        json.dumps(entry[name], ensure_ascii=False) if name in _JSON_COLUMNS else entry[name] for name in _ENTRY_COLUMNS
    ]
    return sql, args


def row_to_entry(row: Mapping[str, Any] | RowMapping) -> dict[str, Any]:
    entry = dict(row)
    entry["at"] = canonical_at(entry["at"])
    return entry


async def export_entries(conn: AsyncConnection | AsyncSession, *, after_seq: int = 0) -> list[dict[str, Any]]:
    """The linked chain from ``after_seq`` on, as JSON-ready dicts in chain order.

    Entries the sequencer has not linked yet are left out: they have no place in the chain yet.
    """
    rows = (
        await conn.execute(
            select(journal_table)
            .where(journal_table.c.seq.is_not(None), journal_table.c.seq > after_seq)
            .order_by(journal_table.c.seq)
        )
    ).mappings()
    return [row_to_entry(row) for row in rows]


@dataclass(frozen=True)
class ChainCheck:
    """Result of an offline check: ok, how many entries, and the first broken one."""

    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str | None = None


def verify_chain(
    entries: Iterable[Mapping[str, Any]],
    *,
    expected_prev: str = GENESIS_HASH,
    seal_keys: Mapping[str, Ed25519PublicKey] | PublicRing | None = None,
) -> ChainCheck:
    """Recompute every hash and link; report the first entry that does not match.

    With ``seal_keys`` (key id → trusted public key, or the service's published key ring) every
    seal entry's signature is checked too, so a chain rewritten and re-hashed from some entry on
    fails at the first seal after it. With a ring, a seal is accepted by its key id when that
    key's signing period covered the seal's time, so seals from before a rotation still verify.
    """
    prev = expected_prev
    expected_seq: int | None = None
    count = 0
    for entry in entries:
        try:
            seq = int(entry["seq"])
        except (KeyError, TypeError, ValueError):
            return ChainCheck(False, count, None, "entry without a chain position (seq)")
        if expected_seq is not None and seq != expected_seq:
            return ChainCheck(False, count, seq, f"sequence gap: expected {expected_seq}, found {seq}")
        if entry.get("prev_hash") != prev:
            return ChainCheck(False, count, seq, "prev_hash does not match the previous entry's hash")
        if entry.get("format", 1) not in (1, CURRENT_FORMAT):
            return ChainCheck(False, count, seq, f"unknown entry format {entry.get('format')!r}")
        recomputed = entry_hash(entry)
        if recomputed != entry.get("hash"):
            return ChainCheck(False, count, seq, "content does not match its hash (entry was edited)")
        if seal_keys is not None and entry.get("action") == SEAL_ACTION:
            problem = _seal_problem(entry, prev, seal_keys)
            if problem:
                return ChainCheck(False, count, seq, problem)
        prev = recomputed
        expected_seq = seq + 1
        count += 1
    return ChainCheck(True, count)


# --- The sequencer: links entries into the chain, and seals its head --------------------------


def seal_message(schema: str, head_seq: int, head_hash: str) -> bytes:
    return f"zhicheng-journal-seal:v1:{schema}:{head_seq}:{head_hash}".encode()


@dataclass(frozen=True)
class SealKey:
    """The private key that signs this service's seals, and its key id."""

    key_id: str
    private_key: Ed25519PrivateKey


async def _take_sequencer_lock(session: AsyncSession, *, wait: bool) -> bool:
    key = {"key": f"zc_journal_{session_schema(session)}"}
    if wait:
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), key)
        return True
    return bool((await session.execute(text("SELECT pg_try_advisory_xact_lock(hashtext(:key))"), key)).scalar())


async def _head(session: AsyncSession) -> RowMapping | None:
    return (
        (
            await session.execute(
                select(journal_table.c.seq, journal_table.c.hash, journal_table.c.action)
                .where(journal_table.c.seq.is_not(None))
                .order_by(journal_table.c.seq.desc())
                .limit(1)
            )
        )
        .mappings()
        .first()
    )


async def _link(
    session: AsyncSession, rows: Sequence[Mapping[str, Any]], head: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """Give ``rows`` (in this order) the chain positions after ``head``; returns the new head."""
    seq = int(head["seq"]) if head else 0
    prev = str(head["hash"]) if head else GENESIS_HASH
    updates: list[dict[str, Any]] = []
    last: dict[str, Any] | None = None
    for row in rows:
        seq += 1
        entry = dict(row) | {"seq": seq, "prev_hash": prev}
        entry["hash"] = entry_hash(entry)
        updates.append({"_id": entry["id"], "_seq": seq, "_prev": prev, "_hash": entry["hash"]})
        prev = entry["hash"]
        last = entry
    if updates:
        await session.execute(
            update(journal_table)
            .where(journal_table.c.id == bindparam("_id"))
            .values(seq=bindparam("_seq"), prev_hash=bindparam("_prev"), hash=bindparam("_hash")),
            updates,
        )
    return last if last is not None else (dict(head) if head else None)


async def link_pending(session: AsyncSession, *, batch_size: int = 500, wait: bool = False) -> int:
    """One sequencer round: link up to ``batch_size`` committed unlinked entries, in id order.

    Only the holder of the service's sequencer lock links (the others return 0 at once), so the
    chain has one order however many replicas run. An entry whose transaction commits after a
    later id was linked is linked in the next round: the chain's order is the order the
    sequencer saw the entries committed, which is what its ``seq`` records.
    """
    if not await _take_sequencer_lock(session, wait=wait):
        return 0
    return await _link_batch(session, batch_size)


async def _link_batch(session: AsyncSession, batch_size: int) -> int:
    pending = (
        (
            await session.execute(
                select(journal_table)
                .where(journal_table.c.seq.is_(None))
                .order_by(journal_table.c.id)
                .limit(batch_size)
            )
        )
        .mappings()
        .all()
    )
    if pending:
        head = await _head(session)
        await _link(session, [dict(row) for row in pending], dict(head) if head else None)
    return len(pending)


async def seal_head(
    session: AsyncSession, *, key: SealKey, now: datetime, min_interval: timedelta, wait: bool = True
) -> dict[str, Any] | None:
    """Link what is pending, then append a signed seal of the head, unless nothing is new or the
    last seal is recent. Done under the sequencer lock, so the sealed head is the chain's real
    head and the seal is the entry right after it."""
    if not await _take_sequencer_lock(session, wait=wait):
        return None
    while await _link_batch(session, 1000) == 1000:
        pass
    head = await _head(session)
    if head is None or head["action"] == SEAL_ACTION:
        return None
    last_seal = (
        await session.execute(
            select(journal_table.c.at)
            .where(journal_table.c.action == SEAL_ACTION, journal_table.c.seq.is_not(None))
            .order_by(journal_table.c.seq.desc())
            .limit(1)
        )
    ).scalar()
    if last_seal is not None and now - last_seal < min_interval:
        return None
    schema = session_schema(session)
    head_seq, head_hash = int(head["seq"]), str(head["hash"])
    signature = key.private_key.sign(seal_message(schema, head_seq, head_hash))
    seal: dict[str, Any] = {
        "format": CURRENT_FORMAT,
        "at": now,
        "actor": SYSTEM.subject,
        "role": SYSTEM.primary_role,
        "region": SYSTEM.region,
        "record_region": SYSTEM.region,
        "action": SEAL_ACTION,
        "record_type": SEAL_RECORD_TYPE,
        "record_id": str(head_seq),
        "reason": "签名封存日志链头 (seal of the chain head)",
        "rule_ids": [],
        "policy_pack": None,
        "data": {
            "schema": schema,
            "head_seq": head_seq,
            "head_hash": head_hash,
            "key_id": key.key_id,
            "signature": base64.b64encode(signature).decode(),
        },
    }
    seal["id"] = (
        await session.execute(insert(journal_table).values(**seal).returning(journal_table.c.id))
    ).scalar_one()
    linked = await _link(session, [seal], dict(head))
    assert linked is not None
    return linked


def _seal_problem(
    entry: Mapping[str, Any], prev_hash: str, keys: Mapping[str, Ed25519PublicKey] | PublicRing
) -> str | None:
    data = entry.get("data") or {}
    key: Ed25519PublicKey | None
    if isinstance(keys, PublicRing):
        at = entry["at"]
        signed_at = datetime.fromisoformat(at) if isinstance(at, str) else at
        try:
            key = keys.key(str(data.get("key_id")), signed_at=signed_at).public_key
        except KeyRefused as refused:
            return f"seal refused: {refused.code} ({data.get('key_id')!r} at {canonical_at(at)})"
    else:
        key = keys.get(str(data.get("key_id")))
    if key is None:
        return f"seal signed with unknown key {data.get('key_id')!r}"
    if data.get("head_seq") != int(entry["seq"]) - 1 or data.get("head_hash") != prev_hash:
        return "seal does not cover the entry before it"
    try:
        key.verify(
            base64.b64decode(str(data.get("signature", ""))),
            seal_message(str(data.get("schema")), int(data["head_seq"]), str(data["head_hash"])),
        )
    except (InvalidSignature, ValueError):
        return "seal signature does not verify (chain rewritten?)"
    return None


class JournalSequencer:
    """The background task of every service: links entries every ``link_seconds``, seals daily.

    Every replica runs one; each round goes to whichever holds the service's advisory lock.
    ``seal_key`` is the service's key ring (each seal signed by the key of its moment) or one key.
    """

    def __init__(
        self,
        database: Database,
        *,
        clock: Clock,
        seal_key: SealKey | KeyRing | None,
        link_seconds: float,
        seal_every: timedelta,
        seal_check_seconds: float,
        batch_size: int = 500,
    ) -> None:
        self.database, self.clock, self.seal_key, self.link_seconds = database, clock, seal_key, link_seconds
        self.seal_every, self.seal_check_seconds, self.batch_size = seal_every, seal_check_seconds, batch_size

    async def link_once(self) -> int:
        """Link until nothing committed is left unlinked (or another replica holds the lock)."""
        total = 0
        while True:
            async with self.database.unit_of_work() as session:
                linked = await link_pending(session, batch_size=self.batch_size)
            total += linked
            if linked < self.batch_size:
                return total

    @property
    def seal_ring(self) -> KeyRing | None:
        return self.seal_key if isinstance(self.seal_key, KeyRing) else None

    async def seal_once(self) -> dict[str, Any] | None:
        if self.seal_key is None:
            return None
        now = self.clock.now()
        key = seal_key_at(self.seal_key, now) if isinstance(self.seal_key, KeyRing) else self.seal_key
        async with self.database.unit_of_work() as session:
            return await seal_head(session, key=key, now=now, min_interval=self.seal_every, wait=False)

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        next_seal_check = loop.time()
        while not stop.is_set():
            try:
                await self.link_once()
                if loop.time() >= next_seal_check:
                    next_seal_check = loop.time() + self.seal_check_seconds
                    if await self.seal_once():
                        log.info("journal.sealed", schema=self.database.schema)
            except Exception as exc:  # the database may be away for a while; entries wait, unlinked
                log.error("journal.sequencer_failed", error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.link_seconds)


def seal_key_at(ring: KeyRing, instant: datetime) -> SealKey:
    """The ring's key that signs a seal made at ``instant``."""
    key = ring.signer(instant)
    assert key.private_key is not None
    return SealKey(key.key_id, key.private_key)


def journal_seal_ring(settings: CommonSettings, service: str) -> KeyRing:
    """The key ring that signs ``service``'s seals (``<keys dir>/journal-<service>``)."""
    return ring_for(settings, journal_purpose(service))


def journal_sequencer(settings: CommonSettings, service: str, database: Database) -> JournalSequencer:
    return JournalSequencer(
        database,
        clock=database.clock,
        seal_key=journal_seal_ring(settings, service),
        link_seconds=settings.journal_link_seconds,
        seal_every=timedelta(hours=settings.journal_seal_hours),
        seal_check_seconds=settings.journal_seal_check_seconds,
    )
