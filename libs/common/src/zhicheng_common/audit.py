"""The audit journal: append-only and hash-chained per service (DESIGN.md §9).

Each entry holds who (actor, role, region), what (action), on which record, when, why, and the
policy pack and rule ids that decided it, plus the hash of the previous entry. Editing any
stored entry breaks the chain at that entry, which :func:`verify_chain` finds offline from an
export (``zhicheng journal export`` / ``zhicheng journal verify``).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import RowMapping, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from zhicheng_common.auth import SYSTEM, Principal, key_id, load_or_create_signing_key
from zhicheng_common.db import journal_table, json_safe, session_schema
from zhicheng_common.scheduler import Job
from zhicheng_common.settings import CommonSettings

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


def verify_chain(
    entries: Iterable[Mapping[str, Any]],
    *,
    expected_prev: str = GENESIS_HASH,
    seal_keys: Mapping[str, Ed25519PublicKey] | None = None,
) -> ChainCheck:
    """Recompute every hash and link; report the first entry that does not match.

    With ``seal_keys`` (key id → trusted public key) every seal entry's signature is checked too,
    so a chain rewritten and re-hashed from some entry on fails at the first seal after it.
    """
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
        if seal_keys is not None and entry.get("action") == SEAL_ACTION:
            problem = _seal_problem(entry, prev, seal_keys)
            if problem:
                return ChainCheck(False, count, seq, problem)
        prev = recomputed
        expected_seq = seq + 1
        count += 1
    return ChainCheck(True, count)


# --- Seals: the service signs the head of its chain (DESIGN.md §9) ---------------------------

SEAL_ACTION = "journal.sealed"


def seal_message(schema: str, head_seq: int, head_hash: str) -> bytes:
    return f"zhicheng-journal-seal:v1:{schema}:{head_seq}:{head_hash}".encode()


async def seal_head(
    session: AsyncSession, *, key: Ed25519PrivateKey, key_id: str, now: datetime, min_interval: timedelta
) -> dict[str, Any] | None:
    """Append a signed seal of the current head, unless nothing is new or the last seal is recent."""
    last = (
        (await session.execute(select(journal_table).order_by(journal_table.c.seq.desc()).limit(1))).mappings().first()
    )
    if last is None or last["action"] == SEAL_ACTION:
        return None
    last_seal = (
        await session.execute(
            select(journal_table.c.at)
            .where(journal_table.c.action == SEAL_ACTION)
            .order_by(journal_table.c.seq.desc())
            .limit(1)
        )
    ).scalar()
    if last_seal is not None and now - last_seal < min_interval:
        return None
    schema = session_schema(session)
    signature = key.sign(seal_message(schema, last["seq"], last["hash"]))
    return await append_entry(
        session,
        actor=SYSTEM,
        action=SEAL_ACTION,
        record_type="journal",
        record_id=str(last["seq"]),
        reason="每日签名封存日志链头 (daily seal of the chain head)",
        data={
            "schema": schema,
            "head_seq": last["seq"],
            "head_hash": last["hash"],
            "key_id": key_id,
            "signature": base64.b64encode(signature).decode(),
        },
    )


def _seal_problem(entry: Mapping[str, Any], prev_hash: str, keys: Mapping[str, Ed25519PublicKey]) -> str | None:
    data = entry.get("data") or {}
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


def journal_key_path(settings: CommonSettings, service: str) -> Path:
    return settings.journal_key_file or settings.data_dir / "keys" / f"{service}-journal.pem"


def seal_job(settings: CommonSettings, service: str) -> Job:
    """The scheduler job that seals the chain head once per ``journal_seal_hours``."""
    key = load_or_create_signing_key(journal_key_path(settings, service))
    kid = key_id(key)
    min_interval = timedelta(hours=settings.journal_seal_hours)

    async def run(session: AsyncSession, now: datetime) -> int:
        sealed = await seal_head(session, key=key, key_id=kid, now=now, min_interval=min_interval)
        return 1 if sealed else 0

    return Job("journal.seal", run, interval_seconds=settings.journal_seal_check_seconds)
