"""Logical backup and restore of a deployment: its databases and its JetStream streams, together.

A backup is a folder:

* ``manifest.json``: when each part was taken, the format, every file with its SHA-256;
* ``streams/<STREAM>.json``: the stream's configuration, then ``streams/<STREAM>.jsonl``, one line
  per message (sequence, subject, headers, data in base64), for the events stream, its
  dead-letter stream and the deployment's KV buckets (the calendar, the controlled clock);
* ``databases/<name>.dump``: ``pg_dump --format=custom`` of each distinct database (one when the
  services share ``ZC_DATABASE_URL``, one per ``ZC_<SERVICE>_DATABASE_URL`` otherwise).

Consistency: the streams are read **first**, the databases after. Every event in the streams'
copy was published from an outbox row committed before it was read, so the databases' copy,
taken later, holds every producer row behind it, and each consumer's inbox as of a moment at or
after it. What the databases' copy may hold beyond the streams' copy is events published in
between; their outbox rows are marked published. Restore therefore ends by marking every outbox
row published since the streams were read as due again (``zhicheng events reconcile``'s
``reschedule``): the relays publish them when the services start, JetStream drops those it
already holds (same ``Nats-Msg-Id`` within its duplicate window), consumers skip by their
inboxes what they had applied. Nothing is lost, nothing applied twice.

Restore order (docs/backups.md): the databases into empty databases, then the streams into a
NATS without them, then the outbox rows due again; then the services start (their durable
consumers are created anew and read from the start; the inboxes skip what was applied).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from nats.js.api import StreamConfig
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy.engine import make_url

from zhicheng_common.embedded import EmbeddedError, postgres_bin_path
from zhicheng_common.events.permissions import SHARED_BUCKETS
from zhicheng_common.events.reconcile import ServiceDatabase, reschedule
from zhicheng_common.settings import CommonSettings

FORMAT = "zhicheng-backup-1"
#: Outbox rows published this long before the streams were read are due again at restore as well:
#: room for the clocks of the database and of this process to differ.
CLOCK_MARGIN = timedelta(seconds=30)


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class BackupSummary:
    streams: dict[str, int]  # stream -> messages
    databases: dict[str, list[str]]  # dump name -> services in that database
    streams_taken_at: datetime


def deployment_streams(settings: CommonSettings) -> tuple[str, ...]:
    """The streams of one deployment: its events, its dead letters, its KV buckets' streams."""
    buckets = (f"KV_{bucket.name.format(stream=settings.stream_name)}" for bucket in SHARED_BUCKETS)
    return (settings.stream_name, settings.dead_letter_stream_name, *buckets)


async def _existing(js: JetStreamContext, names: Sequence[str]) -> list[str]:
    found = []
    for name in names:
        try:
            await js.stream_info(name)
        except NotFoundError:
            continue
        found.append(name)
    return found


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as libpq (pg_dump, pg_restore) takes it: no ``+asyncpg`` driver part."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def _tool_candidates(name: str, settings: CommonSettings) -> list[Path]:
    if settings.pg_bin_dir is not None:
        return [settings.pg_bin_dir / name]
    found: list[Path] = []
    with contextlib.suppress(EmbeddedError):  # the production image has no wheel: the system's tools
        found.append(postgres_bin_path() / name)
    found += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    on_path = shutil.which(name)
    if on_path is not None:
        found.append(Path(on_path))
    return [path for path in found if path.exists()]


def _major(tool: Path) -> int | None:
    result = subprocess.run([str(tool), "--version"], capture_output=True, text=True, check=False)
    match = re.search(r"(\d+)(?:\.\d+)?", result.stdout)
    return int(match.group(1)) if result.returncode == 0 and match else None


def pg_tool(name: str, settings: CommonSettings, server_major: int) -> str:
    """``pg_dump`` / ``pg_restore`` of the server's major version, else the oldest newer one.

    pg_dump refuses a server newer than itself, and a dump by a newer pg_dump may hold settings an
    older server does not know (pg_restore then fails), so the tool should match the server:
    ``ZC_PG_BIN_DIR`` if set, else the embedded wheel's (development), Debian's
    /usr/lib/postgresql/<major>/bin, or PATH, whichever matches best.
    """
    versions = [(major, tool) for tool in _tool_candidates(name, settings) if (major := _major(tool)) is not None]
    usable = sorted((major, str(tool)) for major, tool in versions if major >= server_major)
    if not usable:
        have = ", ".join(f"{tool} ({major})" for major, tool in versions) or "none"
        raise BackupError(
            f"no {name} of PostgreSQL {server_major} or newer (found: {have}): install the client "
            "tools of the server's version or set ZC_PG_BIN_DIR"
        )
    return usable[0][1]


async def server_major(url: str) -> int:
    import asyncpg

    connection = await asyncpg.connect(libpq_url(url))
    try:
        number = await connection.fetchval("SHOW server_version_num")
    finally:
        await connection.close()
    return int(number) // 10000


def _grouped(databases: Sequence[ServiceDatabase]) -> dict[str, list[ServiceDatabase]]:
    by_url: dict[str, list[ServiceDatabase]] = {}
    for database in databases:
        by_url.setdefault(database.url, []).append(database)
    return by_url


def _dump_name(services: Sequence[ServiceDatabase]) -> str:
    return "shared" if len(services) > 1 else services[0].service


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


async def _export_stream(js: JetStreamContext, name: str, folder: Path) -> int:
    info = await js.stream_info(name)
    (folder / f"{name}.json").write_text(json.dumps(info.config.as_dict(), ensure_ascii=False, indent=1), "utf-8")
    count = 0
    first, last = info.state.first_seq, info.state.last_seq
    with (folder / f"{name}.jsonl").open("w", encoding="utf-8") as out:
        for seq in range(first, last + 1) if info.state.messages else ():
            try:
                message = await js.get_msg(name, seq=seq)
            except NotFoundError:
                continue  # deleted or purged: not part of the stream any more
            line = {
                "seq": message.seq,
                "subject": message.subject,
                "headers": message.headers or {},
                "data": base64.b64encode(message.data or b"").decode("ascii"),
            }
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            count += 1
    return count


def _prepare_target(target: Path) -> None:
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: a backup goes into a new folder")
    (target / "streams").mkdir(parents=True, exist_ok=True)
    (target / "databases").mkdir(exist_ok=True)


def run_client(command: list[str], what: str) -> None:
    """Run a PostgreSQL client (pg_dump, pg_restore); its failure refuses the backup or restore in
    the client's own words."""
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip()}")


def _dump_databases(
    settings: CommonSettings, databases: Sequence[ServiceDatabase], majors: dict[str, int], target: Path
) -> dict[str, list[str]]:
    dumps: dict[str, list[str]] = {}
    for url, services in _grouped(databases).items():
        dump = target / "databases" / f"{_dump_name(services)}.dump"
        command = [
            pg_tool("pg_dump", settings, majors[url]),
            "--format=custom",
            "--no-owner",
            "--file",
            str(dump),
            libpq_url(url),
        ]
        run_client(command, f"pg_dump of {dump.stem}")
        dumps[dump.stem] = [s.service for s in services]
    return dumps


def _write_manifest(target: Path, manifest: dict[str, Any]) -> None:
    files = sorted(path for path in target.rglob("*") if path.is_file())
    manifest = {**manifest, "files": {str(path.relative_to(target)): _sha256(path) for path in files}}
    (target / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")


def _restore_databases(settings: CommonSettings, by_dump: dict[str, str], majors: dict[str, int], source: Path) -> None:
    for name, url in by_dump.items():
        dump = source / "databases" / f"{name}.dump"
        command = [
            pg_tool("pg_restore", settings, majors[url]),
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            libpq_url(url),
            str(dump),
        ]
        run_client(command, f"pg_restore of {name}")


async def take_backup(
    js: JetStreamContext, settings: CommonSettings, databases: Sequence[ServiceDatabase], target: Path
) -> BackupSummary:
    """Write a backup of the deployment's streams, then of its databases, into ``target`` (new or empty)."""
    await asyncio.to_thread(_prepare_target, target)
    streams_taken_at = datetime.now(UTC)
    names = await _existing(js, deployment_streams(settings))
    if settings.stream_name not in names:
        raise BackupError(f"no stream {settings.stream_name} on this NATS: is ZC_EVENTS_PREFIX right?")
    streams = {name: await _export_stream(js, name, target / "streams") for name in sorted(names)}
    majors = {url: await server_major(url) for url in _grouped(databases)}
    dumps = await asyncio.to_thread(_dump_databases, settings, databases, majors, target)
    manifest = {
        "format": FORMAT,
        "streams_taken_at": streams_taken_at.isoformat(),
        "databases_taken_at": datetime.now(UTC).isoformat(),
        "events_prefix": settings.events_prefix,
        "streams": streams,
        "databases": dumps,
    }
    await asyncio.to_thread(_write_manifest, target, manifest)
    return BackupSummary(streams, dumps, streams_taken_at)


def read_manifest(source: Path) -> dict[str, Any]:
    """The backup's manifest, after checking every file against its SHA-256."""
    path = source / "manifest.json"
    if not path.exists():
        raise BackupError(f"{source} holds no manifest.json: not a Zhicheng backup")
    manifest: dict[str, Any] = json.loads(path.read_text("utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r} (this version reads {FORMAT})")
    for name, digest in manifest["files"].items():
        if not (source / name).exists() or _sha256(source / name) != digest:
            raise BackupError(f"{name} is missing or does not match its SHA-256 in the manifest")
    return dict(manifest)


async def _database_is_empty(url: str) -> bool:
    import asyncpg

    connection = await asyncpg.connect(libpq_url(url))
    try:
        tables = await connection.fetchval(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        )
    finally:
        await connection.close()
    return int(tables) == 0


async def restore_backup(
    js: JetStreamContext, settings: CommonSettings, databases: Sequence[ServiceDatabase], source: Path
) -> BackupSummary:
    """Restore ``source`` onto empty databases and a NATS without the deployment's streams.

    Refuses (changing nothing) when a database already has tables or a stream already exists, when
    the backup's events prefix is not this deployment's, or when a file fails its checksum.
    """
    manifest = await asyncio.to_thread(read_manifest, source)
    if manifest["events_prefix"] != settings.events_prefix:
        raise BackupError(
            f"the backup is of events prefix {manifest['events_prefix']!r}, this deployment's is "
            f"{settings.events_prefix!r}: set ZC_EVENTS_PREFIX to the backup's"
        )
    grouped = _grouped(databases)
    by_dump = {_dump_name(services): url for url, services in grouped.items()}
    if set(by_dump) != set(manifest["databases"]):
        raise BackupError(
            f"the backup has databases {sorted(manifest['databases'])}, this deployment "
            f"{sorted(by_dump)}: set the same ZC_*_DATABASE_URL layout as when it was taken"
        )
    for name, url in by_dump.items():
        if not await _database_is_empty(url):
            raise BackupError(f"database {name} is not empty: restore goes into empty databases (docs/backups.md)")
    clash = sorted(await _existing(js, list(manifest["streams"])))
    if clash:
        raise BackupError(f"streams {clash} exist already: restore goes into a NATS without them (docs/backups.md)")

    # 1. the databases
    majors = {url: await server_major(url) for url in by_dump.values()}
    await asyncio.to_thread(_restore_databases, settings, by_dump, majors, source)
    # 2. the streams, message by message in their order, with their headers (Nats-Msg-Id kept)
    restored: dict[str, int] = {}
    for name in manifest["streams"]:
        config = StreamConfig.from_response(json.loads((source / "streams" / f"{name}.json").read_text("utf-8")))
        await js.add_stream(config)
        count = 0
        with (source / "streams" / f"{name}.jsonl").open(encoding="utf-8") as lines:
            for line in lines:
                message = json.loads(line)
                await js.publish(
                    message["subject"],
                    base64.b64decode(message["data"]),
                    stream=name,
                    headers=message["headers"] or None,
                )
                count += 1
        restored[name] = count
    # 3. what the databases published after the streams were read: due again
    streams_taken_at = datetime.fromisoformat(manifest["streams_taken_at"])
    await reschedule(databases, since=streams_taken_at - CLOCK_MARGIN)
    return BackupSummary(restored, {k: list(v) for k, v in manifest["databases"].items()}, streams_taken_at)
