"""The ``zhicheng`` command: run the whole system on one machine, migrate, and operator tools."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from nats.js.client import JetStreamContext
from pydantic import TypeAdapter, ValidationError

from zhicheng_common.backup import BackupSummary
from zhicheng_common.clock import CHINA, ClockMoveRefused, ClockState, advance_by, set_to
from zhicheng_common.embedded import EmbeddedNats, EmbeddedPostgres, port_is_open
from zhicheng_common.events.natsauth import stack_authorization
from zhicheng_common.events.permissions import OPERATOR, SubjectSpace
from zhicheng_common.events.reconcile import ConsumerGap, ServiceDatabase
from zhicheng_common.logging import configure_logging
from zhicheng_common.settings import CommonSettings
from zhicheng_common.topology import ALL_SERVICES, GATEWAY, ServiceInfo

app = typer.Typer(help="Zhicheng (职称): run, migrate and operate the system.", no_args_is_help=True)
deadletters_app = typer.Typer(help="Messages consumers gave up on: list and replay them.", no_args_is_help=True)
journal_app = typer.Typer(
    help="The audit journal: export a service's chain and check it offline.", no_args_is_help=True
)
events_app = typer.Typer(
    help="Durability beyond NATS: re-publish from the outboxes, check what consumers applied.", no_args_is_help=True
)
nats_app = typer.Typer(help="NATS accounts: the principals' keys and the server's authorization.", no_args_is_help=True)
app.add_typer(deadletters_app, name="deadletters")
app.add_typer(events_app, name="events")
app.add_typer(nats_app, name="nats")


@app.callback()
def _configure(log_level: Annotated[str, typer.Option(help="log level of the command itself")] = "WARNING") -> None:
    # Logs go to stderr, so `--json` output and exports on stdout stay clean.
    configure_logging("cli", level=log_level, json=False)


app.add_typer(journal_app, name="journal")
draw_app = typer.Typer(
    help="Expert draws (专家抽取): re-run a draw offline from its evidence pack.", no_args_is_help=True
)
app.add_typer(draw_app, name="draw")
certificate_app = typer.Typer(help="Certificates: check one offline, with no server.", no_args_is_help=True)
app.add_typer(certificate_app, name="certificate")

T = TypeVar("T")

EMBEDDED_POSTGRES_PORT = 54329
EMBEDDED_NATS_PORT = 42229


def migrations_dir(info: ServiceInfo) -> Path:
    module = importlib.import_module(f"{info.package}.settings")
    path: Path = module.MIGRATIONS_DIR
    return path


def service_database_url(info: ServiceInfo, database_url: str) -> str:
    """The service's own database when ``ZC_<SERVICE>_DATABASE_URL`` names one, else the shared one."""
    return os.environ.get(f"ZC_{info.name.upper()}_DATABASE_URL") or database_url


def migrate_all(database_url: str, services: tuple[ServiceInfo, ...] = ALL_SERVICES) -> None:
    """Migrate each service into its own database when ``ZC_<SERVICE>_DATABASE_URL`` names one."""
    from zhicheng_common.migrations import upgrade

    for info in services:
        upgrade(migrations_dir(info), service_database_url(info, database_url))


@app.command()
def migrate(service: Annotated[str | None, typer.Option(help="only this service")] = None) -> None:
    """Run every service's migrations (or one service's) against ZC_DATABASE_URL."""
    settings = CommonSettings()
    selected = tuple(s for s in ALL_SERVICES if service in (None, s.name))
    if not selected:
        raise typer.BadParameter(f"unknown service {service}")
    migrate_all(settings.database_url, selected)
    typer.echo(f"migrated: {', '.join(s.name for s in selected)}")


def platform_purposes() -> tuple[str, ...]:
    """Every key ring the platform signs with (docs/keys.md)."""
    from zhicheng_common.keys import (
        CERTIFICATES_ED25519,
        CERTIFICATES_SM2,
        COMMITTEES_TALLIES,
        FEED_PAGES,
        JWT,
        REVIEW_DECISIONS,
        journal_purpose,
    )

    return (
        JWT,
        REVIEW_DECISIONS,
        FEED_PAGES,
        COMMITTEES_TALLIES,
        CERTIFICATES_ED25519,
        CERTIFICATES_SM2,
        *(journal_purpose(info.name) for info in ALL_SERVICES),
    )


def _sm2_rings() -> Any:
    """The SM2 ring code (``zhicheng_certificates.signing.keyring``): SM2 keys live with the certificates."""
    from zhicheng_common.topology import service as service_info

    return importlib.import_module(f"{service_info('certificates').package}.signing.keyring")


def _is_sm2(purpose: str) -> bool:
    from zhicheng_common.keys import CERTIFICATES_SM2

    return purpose == CERTIFICATES_SM2


def _write_keys(settings: CommonSettings) -> Path:
    """Generate the embedded default's missing key rings once; write the JWKS the services read."""
    from zhicheng_common.keys import EMBEDDED_NOT_BEFORE, JWT, keys_dir, ring_exists, ring_for

    if settings.environment == "production":
        raise typer.BadParameter("`zhicheng up` runs the embedded default, not production (ZC_ENVIRONMENT)")
    for purpose in platform_purposes():
        if not _is_sm2(purpose):
            ring_for(settings, purpose)
        elif not ring_exists(keys_dir(settings) / purpose):
            _sm2_rings().init_sm2_ring(keys_dir(settings) / purpose, purpose, not_before=EMBEDDED_NOT_BEFORE)
    jwks_file = keys_dir(settings) / "jwks.json"
    jwks_file.write_text(json.dumps(ring_for(settings, JWT).jwks()))
    return jwks_file


def _admin_password(data_dir: Path) -> str:
    path = data_dir / "admin-password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


def _spawn(info: ServiceInfo, env: dict[str, str], log_dir: Path) -> subprocess.Popen[bytes]:
    log = (log_dir / f"{info.name}.log").open("ab")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            info.app_factory,
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(info.port),
            "--loop",
            "uvloop",
            "--no-access-log",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop_processes(processes: dict[str, subprocess.Popen[bytes]], timeout: float = 15.0) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes.values():
        remaining = max(0.1, deadline - time.monotonic())
        try:
            process.wait(remaining)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@app.command()
def up(
    data_dir: Annotated[Path | None, typer.Option(help="where data, keys and logs live")] = None,
    restart_exited: Annotated[
        bool, typer.Option(help="start a service again when it exits, as a supervisor would (chaos runs)")
    ] = False,
) -> None:
    """Start PostgreSQL, NATS, every service and the gateway on loopback; Ctrl-C stops them all.

    By default a service that exits stops everything, so a developer sees it at once; with
    ``--restart-exited`` it is started again (what systemd or Kubernetes does in production).
    """
    settings = CommonSettings()
    root = (data_dir or settings.data_dir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    log_dir = root / "logs"
    log_dir.mkdir(exist_ok=True)
    postgres: EmbeddedPostgres | None = None
    nats_server: EmbeddedNats | None = None
    processes: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        for info in ALL_SERVICES:
            if port_is_open("127.0.0.1", info.port):
                raise typer.BadParameter(f"port {info.port} ({info.name}) is already in use; is Zhicheng running?")
        if "ZC_DATABASE_URL" in os.environ:
            database_url = settings.database_url
        else:
            postgres = EmbeddedPostgres(root / "postgres", EMBEDDED_POSTGRES_PORT)
            postgres.log = log_dir / "postgres.log"
            database_url = postgres.start()
        if "ZC_NATS_URL" in os.environ:
            nats_url = settings.nats_url
        else:
            # Every service and the operator get their own NKey (kept under the data folder).
            auth = stack_authorization(settings.nats_keys_dir or root / "nats-keys", SubjectSpace.of(settings))
            nats_server = EmbeddedNats(root / "nats", EMBEDDED_NATS_PORT, auth=auth)
            nats_server.log = log_dir / "nats.log"
            nats_url = nats_server.start()
        typer.echo("migrating …")
        migrate_all(database_url)
        keys = settings.keys_dir or root / "keys"
        jwks_file = _write_keys(settings.model_copy(update={"data_dir": root, "keys_dir": keys}))
        env = dict(os.environ)
        env.update(
            {
                "ZC_DATABASE_URL": database_url,
                "ZC_NATS_URL": nats_url,
                "ZC_DATA_DIR": str(root),
                "ZC_KEYS_DIR": str(keys),
                "ZC_JWT_JWKS_FILE": str(jwks_file),
            }
        )
        env.setdefault("ZC_GATEWAY_ADMIN_PASSWORD", _admin_password(root))
        # glibc's malloc (deploy/Dockerfile sets the same): one arena per allocating thread (up to 8
        # per core) by default, each holding on to what it freed, so two; and a fixed threshold above
        # which a block is mapped and given back on free: glibc's own moves up to the largest block
        # freed, so each gateway thread kept a 16 MiB scrypt buffer after its sign-in (service.Passwords).
        env.setdefault("MALLOC_ARENA_MAX", "2")
        env.setdefault("MALLOC_MMAP_THRESHOLD_", str(4 * 2**20))
        for info in ALL_SERVICES:
            processes[info.name] = _spawn(info, env, log_dir)
        typer.echo("")
        typer.echo("Zhicheng is running:")
        typer.echo(f"  {'PostgreSQL':<14} {database_url}")
        typer.echo(f"  {'NATS':<14} {nats_url}")
        if nats_server is not None:
            typer.echo(f"  {'NATS keys':<14} {settings.nats_keys_dir or root / 'nats-keys'}  (operator.nk: zhicheng …)")
        for info in ALL_SERVICES:
            typer.echo(f"  {info.name:<14} {info.default_url}  (pid {processes[info.name].pid})")
        typer.echo(f"  gateway API    {GATEWAY.default_url}/api/v1  (docs: {GATEWAY.default_url}/api/v1/docs)")
        typer.echo(f"  admin login    admin / {env['ZC_GATEWAY_ADMIN_PASSWORD']}")
        typer.echo(f"  data and logs  {root}")
        typer.echo(f"  key rings      {keys}  (zhicheng keys list)")
        typer.echo("Press Ctrl-C to stop.")
        sys.stdout.flush()
        services = {info.name: info for info in ALL_SERVICES}
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    typer.echo(f"{name} exited with code {process.returncode}; see {log_dir / (name + '.log')}")
                    if not restart_exited:
                        stopping = True
                        break
                    processes[name] = _spawn(services[name], env, log_dir)
                    typer.echo(f"{name} started again (pid {processes[name].pid})")
                    sys.stdout.flush()
            time.sleep(0.3)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        typer.echo("stopping …")
        _stop_processes(processes)
        if nats_server is not None:
            nats_server.stop()
        if postgres is not None:
            postgres.stop()
        typer.echo("stopped.")


async def _with_js(action: Callable[[JetStreamContext, CommonSettings], Awaitable[T]]) -> T:
    from zhicheng_common.events.natsauth import connect_as

    settings = CommonSettings()
    nc = await connect_as(settings, OPERATOR)
    try:
        return await action(nc.jetstream(), settings)
    finally:
        await nc.close()


@deadletters_app.command("list")
def deadletters_list(
    consumer: Annotated[str | None, typer.Option(help="only this consumer")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines")] = False,
) -> None:
    """List the messages parked in the dead-letter stream."""
    from zhicheng_common.events.deadletters import list_dead_letters

    letters = asyncio.run(_with_js(list_dead_letters))
    for letter in letters:
        if consumer and letter.consumer != consumer:
            continue
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "sequence": letter.sequence,
                        "consumer": letter.consumer,
                        "subject": letter.original_subject,
                        "event_id": letter.event_id,
                        "attempts": letter.attempts,
                        "error": letter.error,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            typer.echo(
                f"{letter.sequence:>6}  {letter.consumer:<32} {letter.original_subject:<48} "
                f"attempts={letter.attempts} event={letter.event_id} error={letter.error}"
            )


@deadletters_app.command("replay")
def deadletters_replay(
    sequence: Annotated[list[int] | None, typer.Argument(help="dead-letter sequence numbers")] = None,
    all_: Annotated[bool, typer.Option("--all", help="replay every parked message")] = False,
    consumer: Annotated[str | None, typer.Option(help="only this consumer's messages")] = None,
) -> None:
    """Send parked messages back to the consumer that gave up on them (once it is fixed)."""
    from zhicheng_common.events.deadletters import list_dead_letters, replay_dead_letter

    if not sequence and not all_:
        raise typer.BadParameter("give sequence numbers or --all")

    async def run(js: JetStreamContext, settings: CommonSettings) -> int:
        letters = await list_dead_letters(js, settings)
        chosen = [
            letter
            for letter in letters
            if (all_ or letter.sequence in (sequence or [])) and (consumer is None or letter.consumer == consumer)
        ]
        for letter in chosen:
            await replay_dead_letter(js, settings, letter)
            typer.echo(f"replayed {letter.sequence} to {letter.consumer}")
        return len(chosen)

    count = asyncio.run(_with_js(run))
    typer.echo(f"{count} message(s) replayed")


def parse_since(value: str, *, now: datetime | None = None) -> datetime:
    """An ISO time (local time when it names no zone) or a span back from now: ``90m``, ``6h``, ``2d``."""
    now = now or datetime.now(UTC)
    spans = {"m": "minutes", "h": "hours", "d": "days"}
    if value[-1:] in spans and value[:-1].isdigit():
        return now - timedelta(**{spans[value[-1]]: int(value[:-1])})
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r}: give an ISO time (2026-12-01T08:00+08:00) or 90m, 6h, 2d") from None
    return moment if moment.tzinfo else moment.astimezone()


def _service_databases(settings: CommonSettings, service: str | None = None) -> list[ServiceDatabase]:
    selected = [info for info in ALL_SERVICES if service in (None, info.name)]
    if not selected:
        raise typer.BadParameter(f"unknown service {service}")
    return [ServiceDatabase(info.name, service_database_url(info, settings.database_url)) for info in selected]


@events_app.command("reconcile")
def events_reconcile(
    since: Annotated[str, typer.Option(help="re-publish what was published since: ISO time, or 90m / 6h / 2d")],
    service: Annotated[str | None, typer.Option(help="only this producer's outbox")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="count, change nothing")] = False,
) -> None:
    """Mark outbox rows published since a time as due again; the services' relays re-publish them.

    For after NATS lost acknowledged events (a crash before its disk sync, a lost volume). Events
    the stream still holds within its duplicate window are dropped by it; consumers skip the rest
    by their inboxes. Then `zhicheng events check` shows what is still not applied.
    """
    from zhicheng_common.events.reconcile import reschedule

    settings = CommonSettings()
    moment = parse_since(since)
    counts = asyncio.run(reschedule(_service_databases(settings, service), since=moment, dry_run=dry_run))
    verb = "would re-publish" if dry_run else "re-publishing"
    for name, count in counts.items():
        typer.echo(f"{name:<14} {verb} {count} event(s) published since {moment.isoformat()}")
    typer.echo(f"{sum(counts.values())} event(s) in all" + ("" if dry_run else "; the relays publish them now"))


@events_app.command("check")
def events_check(
    since: Annotated[str | None, typer.Option(help="only events published since (ISO time, 90m, 6h, 2d)")] = None,
    settle_seconds: Annotated[
        float, typer.Option(help="leave out events published this recently (still on their way)")
    ] = 30.0,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines")] = False,
) -> None:
    """Per consumer: events published (producers' outboxes) but not applied (its inbox).

    Exits 1 when an event is missing that is not parked as a dead letter either: one the broker
    lost, for `zhicheng events reconcile` (dead letters are `zhicheng deadletters`' business).
    """
    from zhicheng_common.events.reconcile import find_gaps

    settings = CommonSettings()
    databases = _service_databases(settings)
    until = datetime.now(UTC) - timedelta(seconds=settle_seconds)
    moment = parse_since(since) if since else None

    async def run(js: JetStreamContext, settings: CommonSettings) -> list[ConsumerGap]:
        return await find_gaps(js, settings, databases, since=moment, until=until)

    gaps = asyncio.run(_with_js(run))
    for gap in gaps:
        if as_json:
            typer.echo(json.dumps(dataclasses.asdict(gap), ensure_ascii=False))
            continue
        state = "ok" if not gap.missing else f"MISSING {len(gap.missing)}"
        parked = f" ({len(gap.dead_lettered)} dead-lettered)" if gap.dead_lettered else ""
        typer.echo(f"{gap.consumer:<36} {gap.applied:>7}/{gap.expected:<7} applied  {state}{parked}")
        for event_id in gap.missing[:20]:
            typer.echo(f"    not applied: {event_id}")
    if any(len(gap.missing) > len(gap.dead_lettered) for gap in gaps):
        raise typer.Exit(1)


@nats_app.command("keys")
def nats_keys(
    keys_dir: Annotated[Path | None, typer.Option(help="default: ZC_NATS_KEYS_DIR, else <data dir>/nats-keys")] = None,
) -> None:
    """Create an NKey seed (<principal>.nk, mode 0600) for every principal lacking one; print the public keys."""
    from zhicheng_common.events.natsauth import ensure_keys

    directory = keys_dir or CommonSettings().nats_keys_path
    for principal, public in ensure_keys(directory).items():
        typer.echo(f"{principal:<14} {public}  {directory / (principal + '.nk')}")


@nats_app.command("config")
def nats_config(
    keys_dir: Annotated[Path | None, typer.Option(help="default: ZC_NATS_KEYS_DIR, else <data dir>/nats-keys")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="file to write, - for stdout")] = Path("-"),
) -> None:
    """Write the ``authorization`` block granting each principal its permissions (include it in nats.conf).

    Seeds missing from the directory are created first. The subjects follow ZC_EVENTS_PREFIX.
    """
    from zhicheng_common.events.natsauth import render, stack_authorization

    settings = CommonSettings()
    text = render(stack_authorization(keys_dir or settings.nats_keys_path, SubjectSpace.of(settings)))
    if str(output) == "-":
        sys.stdout.write(text)
    else:
        output.write_text(text)
        typer.echo(f"wrote {output}", err=True)


@journal_app.command("export")
def journal_export(
    service: Annotated[str, typer.Argument(help="service whose journal to export")],
    output: Annotated[Path, typer.Option("--output", "-o", help="JSON lines file")] = Path("-"),
) -> None:
    """Export a service's audit journal as JSON lines (for the offline check)."""
    from zhicheng_common.audit import export_entries
    from zhicheng_common.db import Database

    async def run() -> list[dict[str, object]]:
        database = Database(CommonSettings().database_url, service)
        try:
            async with database.engine.connect() as conn:
                return await export_entries(conn)
        finally:
            await database.dispose()

    entries = asyncio.run(run())
    lines = "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in entries)
    if str(output) == "-":
        sys.stdout.write(lines)
    else:
        output.write_text(lines)
        typer.echo(f"{len(entries)} entries written to {output}", err=True)


@journal_app.command("seal")
def journal_seal(service: Annotated[str, typer.Argument(help="service whose chain head to seal")]) -> None:
    """Sign the chain head now (the service also does it daily), e.g. right before an export."""
    from datetime import timedelta

    from zhicheng_common.audit import seal_head, seal_key_at
    from zhicheng_common.db import Database
    from zhicheng_common.keys import KeyRingError, journal_purpose, keys_dir, load_ring

    settings = CommonSettings()
    # The service's own ring, read only: a seal never creates a key.
    try:
        ring = load_ring(keys_dir(settings) / journal_purpose(service))
    except KeyRingError as exc:
        typer.echo(f"{service}: {exc}", err=True)
        raise typer.Exit(1) from None

    async def run() -> dict[str, object] | None:
        now = await deployment_now(settings)
        key = seal_key_at(ring, now)  # the key valid at the deployment's time (controlled clock too)
        database = Database(settings.database_url, service)
        try:
            async with database.unit_of_work() as session:
                # Waits for the service's sequencer round, links what is pending, then seals.
                return await seal_head(session, key=key, now=now, min_interval=timedelta(0))
        finally:
            await database.dispose()

    try:
        seal = asyncio.run(run())
    except KeyRingError as exc:  # no key of the ring is valid at the deployment's time
        typer.echo(f"{service}: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"sealed the head of {service}'s journal" if seal else f"{service}: nothing new to seal")


@journal_app.command("verify")
def journal_verify(
    path: Annotated[Path, typer.Argument(help="an export from `zhicheng journal export`")],
    keys: Annotated[
        Path | None,
        typer.Option(
            help="the service's published seal key ring: its ring.json (or directory), or the seal-key route's `ring`"
        ),
    ] = None,
    seal_key: Annotated[
        list[Path] | None, typer.Option(help="trusted PEM public key(s) of the service's seals (repeatable)")
    ] = None,
) -> None:
    """Check an exported chain offline; exit 1 and name the first broken entry if it was edited.

    With ``--keys`` (or ``--seal-key``) the seals are checked too, which catches a chain rewritten
    and re-hashed. With the ring every seal is accepted by its key id while that key's signing
    period covered the seal's time, so seals from before a rotation verify as well.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from zhicheng_common.audit import verify_chain
    from zhicheng_common.auth import public_key_id
    from zhicheng_common.keys import KeyRingError, PublicRing, read_public_ring

    trusted: dict[str, Ed25519PublicKey] | PublicRing | None = None
    if keys is not None:
        try:
            document = json.loads(keys.read_text()) if keys.is_file() else None
            if isinstance(document, dict) and isinstance(document.get("ring"), dict):  # the route's answer
                trusted = PublicRing.from_json(document["ring"], source=str(keys))
            else:
                trusted = read_public_ring(keys)
        except (KeyRingError, ValueError) as exc:
            raise typer.BadParameter(str(exc)) from None
    elif seal_key:
        trusted = {}
        for key_path in seal_key:
            public = serialization.load_pem_public_key(key_path.read_bytes())
            if not isinstance(public, Ed25519PublicKey):
                raise typer.BadParameter(f"{key_path} is not an Ed25519 public key")
            trusted[public_key_id(public)] = public
    entries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    result = verify_chain(entries, seal_keys=trusted)
    if result.ok:
        sealed = [e for e in entries if e.get("action") == "journal.sealed"]
        key_ids = sorted({str((e.get("data") or {}).get("key_id")) for e in sealed})
        checked = f", {len(sealed)} seal(s) verified (keys {', '.join(key_ids)})" if trusted is not None else ""
        typer.echo(f"ok: {result.checked} entries, chain intact{checked}")
        return
    typer.echo(f"BROKEN at seq {result.broken_seq}: {result.reason} ({result.checked} entries good before it)")
    raise typer.Exit(1)


@draw_app.command("verify")
def draw_verify(
    pack: Annotated[Path, typer.Argument(help="an evidence pack (JSON) of an expert draw")],
    key: Annotated[
        list[Path] | None, typer.Option(help="trusted PEM public key of a drawer or supervisor (repeatable)")
    ] = None,
) -> None:
    """Re-run an expert draw from its evidence pack; print each check and exit 1 if any fails."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    # The draw belongs to the experts service; loaded by import name like the services' settings.
    evidence = importlib.import_module("zhicheng_experts.draw.evidence")
    keys: list[Ed25519PublicKey] = []
    for key_path in key or []:
        public = serialization.load_pem_public_key(key_path.read_bytes())
        if not isinstance(public, Ed25519PublicKey):
            raise typer.BadParameter(f"{key_path} is not an Ed25519 public key")
        keys.append(public)
    try:
        document = json.loads(pack.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise typer.BadParameter(f"{pack}: not a readable JSON file ({exc})") from exc
    if not isinstance(document, dict):
        raise typer.BadParameter(f"{pack}: an evidence pack is a JSON object")
    verification = evidence.verify_pack(document, keys)
    for check in verification.checks:
        typer.echo(f"{'ok' if check.ok else 'FAILED':<7} {check.name:<24} {check.detail}")
    if not verification.ok:
        typer.echo(f"verification failed: {', '.join(verification.failed)}")
        raise typer.Exit(1)
    for line in evidence.panel_lines(document):
        typer.echo(line)
    typer.echo("verified: the draw reproduces and every check passed")


@certificate_app.command("verify")
def certificate_verify(
    source: Annotated[
        str, typer.Argument(help="a QR token, the scanned /verify URL, or a signed certificate JSON file")
    ],
    keys: Annotated[
        list[Path], typer.Option("--keys", help="published keys: JWKS, SM2 key list or DID document (repeatable)")
    ],
    status_list: Annotated[
        list[Path] | None, typer.Option("--status-list", help="published BitstringStatusListCredential(s) (repeatable)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="the result as JSON")] = False,
) -> None:
    """Verify a certificate or its QR token offline; exit 1 unless every check passes.

    The algorithm is in docs/certificates.md. The certificates package is imported only here.
    """
    from zhicheng_common.topology import service as service_info

    offline = importlib.import_module(f"{service_info('certificates').package}.verification.service")
    try:
        result, unreadable = offline.verify_files(source, keys_files=keys, status_list_files=status_list or [])
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    for problem in unreadable:
        typer.echo(f"warning: {problem.message}", err=True)
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        for check in result.checks:
            typer.echo(f"{check.outcome.value:<15} {check.name.value:<26} {check.reason}")
        for name, value in result.summary.items():
            typer.echo(f"{'':<15} {name:<26} {value}")
        typer.echo("VALID" if result.valid else "NOT VALID")
    if not result.valid:
        raise typer.Exit(1)


keys_app = typer.Typer(
    help="Key rings (密钥环): create, rotate and list the platform's signing keys (docs/keys.md).", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")

KeysDirOption = Annotated[Path | None, typer.Option("--keys-dir", help="default: ZC_KEYS_DIR, else <data dir>/keys")]


def _keys_root(keys_dir: Path | None) -> Path:
    from zhicheng_common.keys import keys_dir as default_keys_dir

    return keys_dir or default_keys_dir(CommonSettings())


def _moment(value: str | None, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{what}: {value!r} is not an ISO time (2026-12-03T02:00+08:00)") from None
    return moment if moment.tzinfo else moment.astimezone()


def _purposes(purpose: list[str] | None, all_: bool) -> list[str]:
    known = platform_purposes()
    chosen = list(known) if all_ else list(purpose or [])
    if not chosen:
        raise typer.BadParameter(f"name a ring or give --all; the platform's rings: {', '.join(known)}")
    unknown = [p for p in chosen if p not in known]
    if unknown:
        raise typer.BadParameter(f"unknown ring {', '.join(unknown)}; the platform's rings: {', '.join(known)}")
    return chosen


@keys_app.command("init")
def keys_init(
    purpose: Annotated[
        list[str] | None,
        typer.Argument(help="ring(s): jwt, review-decisions, certificates-sm2, …, journal-<service> (docs/keys.md)"),
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="every ring of the platform that is missing")] = False,
    keys_dir: KeysDirOption = None,
    not_before: Annotated[str | None, typer.Option(help="ISO time the first key signs from (default: now)")] = None,
    from_pem: Annotated[
        Path | None, typer.Option(help="adopt this Ed25519 private key (PEM) instead of a new one, keeping its key id")
    ] = None,
) -> None:
    """Create a ring of one key (ring.json and <key id>.pem); an existing ring is left alone."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from zhicheng_common.keys import init_ring, ring_exists

    chosen = _purposes(purpose, all_)
    private: Ed25519PrivateKey | None = None
    if from_pem is not None:
        if len(chosen) != 1:
            raise typer.BadParameter("--from-pem adopts one key: name one ring")
        loaded = serialization.load_pem_private_key(from_pem.read_bytes(), password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise typer.BadParameter(f"{from_pem} is not an Ed25519 private key")
        private = loaded
    root = _keys_root(keys_dir)
    start = _moment(not_before, "--not-before") or datetime.now(UTC)
    if private is not None and _is_sm2(chosen[0]):
        raise typer.BadParameter(f"--from-pem adopts an Ed25519 key; {chosen[0]} holds SM2 keys")
    for name in chosen:
        if ring_exists(root / name):
            typer.echo(f"{name:<22} exists, left alone ({root / name})")
            continue
        if _is_sm2(name):
            first = _sm2_rings().init_sm2_ring(root / name, name, not_before=start)[0]
            key_id, since = first.key_id, first.validity.not_before
        else:
            ring = init_ring(root / name, name, not_before=start, private_key=private)
            key_id, since = ring.keys[0].key_id, ring.keys[0].not_before
        typer.echo(f"{name:<22} created: key {key_id} signs from {since.isoformat()}")


@keys_app.command("rotate")
def keys_rotate(
    purpose: Annotated[list[str] | None, typer.Argument(help="ring(s) to rotate")] = None,
    all_: Annotated[bool, typer.Option("--all", help="every ring of the platform")] = False,
    keys_dir: KeysDirOption = None,
    not_before: Annotated[
        str | None, typer.Option(help="ISO time the new key takes over (default: now); published at once")
    ] = None,
    grace_hours: Annotated[
        float, typer.Option(help="how long after that the old key may still sign (replicas not yet restarted)")
    ] = 24.0,
) -> None:
    """Add a new key to each ring; old keys stay, so what they signed keeps verifying."""
    from zhicheng_common.keys import KeyRingError, rotate_ring

    root = _keys_root(keys_dir)
    start = _moment(not_before, "--not-before")
    for name in _purposes(purpose, all_):
        now, grace = datetime.now(UTC), timedelta(hours=grace_hours)
        try:
            if _is_sm2(name):  # the SM2 ring's keys, the new one last
                new_sm2 = _sm2_rings().rotate_sm2_ring(root / name, now=now, not_before=start, grace=grace)[-1]
                key_id, since = new_sm2.key_id, new_sm2.validity.not_before
            else:
                _, new = rotate_ring(root / name, now=now, not_before=start, grace=grace)
                key_id, since = new.key_id, new.not_before
        except KeyRingError as exc:
            typer.echo(f"{name}: {exc}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"{name:<22} rotated: key {key_id} signs from {since.isoformat()}")
    typer.echo("restart the services using these rings (docs/keys.md); update the mounted secrets first")


@keys_app.command("list")
def keys_list(
    keys_dir: KeysDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="the public rings (what verifiers need) as JSON")] = False,
) -> None:
    """List every ring and its keys with their signing periods; ``*`` marks the key signing now."""
    from zhicheng_common.keys import KeyRingError, load_ring, rings_under

    root = _keys_root(keys_dir)
    now = datetime.now(UTC)
    rings: dict[str, _RingView] = {}
    for name, directory in rings_under(root).items():
        try:
            rings[name] = _sm2_view(directory, now) if _is_sm2(name) else _ring_view(load_ring(directory), now)
        except KeyRingError as exc:
            typer.echo(f"{name}: BROKEN: {exc}", err=True)
    if as_json:
        typer.echo(json.dumps({name: view.public for name, view in rings.items()}, indent=2))
        return
    if not rings:
        typer.echo(f"no key rings under {root} (zhicheng keys init --all)")
    for name, view in rings.items():
        typer.echo(f"{name}  ({root / name})")
        for key_id, start, end in view.keys:
            mark = "*" if key_id == view.current else " "
            until = end.isoformat() if end else "-"
            typer.echo(f"  {mark} {key_id}  signs {start.isoformat()} .. {until}")


@dataclasses.dataclass(frozen=True)
class _RingView:
    """What ``zhicheng keys list`` shows of a ring, whatever its algorithm."""

    public: dict[str, Any]
    keys: list[tuple[str, datetime, datetime | None]]
    current: str | None


def _ring_view(ring: Any, now: datetime) -> _RingView:
    keys = [(k.key_id, k.not_before, k.not_after) for k in ring.keys]
    return _RingView(ring.public().to_json(), keys, ring.current_id(now))


def _sm2_view(directory: Path, now: datetime) -> _RingView:
    from zhicheng_common.keys import RING_FILE

    sm2 = _sm2_rings()
    keys = sm2.load_sm2_ring(directory)  # checks every private key against its id
    current = [k for k in keys if k.validity.covers(now)]
    return _RingView(
        json.loads((directory / RING_FILE).read_text()),  # the SM2 ring.json holds public keys only
        [(k.key_id, k.validity.not_before, k.validity.not_after) for k in keys],
        max(current, key=lambda k: k.validity.not_before).key_id if current else None,
    )


calendar_app = typer.Typer(
    help="Working-day calendar (工作日历): load a year's official holiday arrangement, show what is loaded.",
    no_args_is_help=True,
)
app.add_typer(calendar_app, name="calendar")


@calendar_app.command("load")
def calendar_load(
    file: Annotated[Path, typer.Argument(help="YAML or JSON: year, source, holidays [dates], workdays [dates]")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="validate only, store nothing")] = False,
) -> None:
    """Validate a year's arrangement and store it where every service reads it (a corrected file replaces it).

    Each service then recomputes its provisional deadlines of that year (docs/calendar.md).
    """
    from zhicheng_common.calendar_store import ArrangementFileError, read_arrangement_file, store_arrangement

    try:
        arrangement = read_arrangement_file(file)
    except (ArrangementFileError, OSError) as exc:
        typer.echo(f"refused, nothing stored: {exc}", err=True)
        raise typer.Exit(1) from None
    summary = (
        f"{arrangement.year}: {len(arrangement.holidays)} holidays, {len(arrangement.workdays)} make-up working days, "
        f"revision {arrangement.revision}"
    )
    if dry_run:
        typer.echo(f"valid: {summary}")
        return

    async def run(js: JetStreamContext, settings: CommonSettings) -> bool:
        return await store_arrangement(js, settings, arrangement)

    written = asyncio.run(_with_js(run))
    typer.echo(f"{'loaded' if written else 'unchanged (already loaded)'}: {summary}")


@calendar_app.command("show")
def calendar_show(
    as_json: Annotated[bool, typer.Option("--json", help="the stored arrangements as JSON")] = False,
) -> None:
    """List the loaded arrangements; years after the library's last one without one are provisional."""
    from zhicheng_common.calendar import LIBRARY_LAST_YEAR
    from zhicheng_common.calendar_store import stored_arrangements

    async def run(js: JetStreamContext, settings: CommonSettings) -> list[dict[str, object]]:
        return [a.model_dump(mode="json") for a in await stored_arrangements(js, settings)]

    loaded = asyncio.run(_with_js(run))
    if as_json:
        typer.echo(json.dumps(loaded, ensure_ascii=False, indent=2, default=sorted))
        return
    typer.echo(f"chinese-calendar knows up to {LIBRARY_LAST_YEAR}; later years without an arrangement are provisional")
    for item in loaded:
        typer.echo(f"{item['year']}: loaded ({item['source'] or 'no source given'})")


clock_app = typer.Typer(
    help="The controlled clock (ZC_CLOCK=controlled, staging only): show, set or advance the shared time.",
    no_args_is_help=True,
)
app.add_typer(clock_app, name="clock")

_SPAN = re.compile(r"(\d+)([dhms])")
_SPAN_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_span(value: str) -> timedelta:
    """A span such as ``8d``, ``1d12h``, ``90m``, ``-1d`` or an ISO 8601 duration (``P8D``)."""
    text = value.strip()
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")
    if body and _SPAN.sub("", body) == "":
        return sign * timedelta(**{_SPAN_UNITS[u]: int(n) for n, u in _SPAN.findall(body)})
    try:
        return sign * TypeAdapter(timedelta).validate_python(body)
    except ValidationError:
        raise typer.BadParameter(f"{value!r}: give a span such as 8d, 1d12h, 90m or P8D") from None


def parse_moment(value: str) -> datetime:
    """An ISO date or time; without a zone it is China's time (+08:00), a date is its midnight."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r}: give an ISO date or time (2027-01-08, 2027-01-08T09:00+08:00)") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=CHINA)


async def deployment_now(settings: CommonSettings) -> datetime:
    """The time the deployment's services read: the shared controlled time with ZC_CLOCK=controlled."""
    if settings.clock != "controlled":
        return datetime.now(UTC)
    from zhicheng_common.clock_store import read_clock

    return (await _with_js(read_clock)).now(datetime.now(UTC))


def _controlled_settings() -> CommonSettings:
    settings = CommonSettings()
    if settings.clock != "controlled":
        typer.echo("refused: ZC_CLOCK is not `controlled` here, so the services follow the system clock", err=True)
        raise typer.Exit(1)
    return settings


def _print_clock(state: ClockState) -> None:
    real = datetime.now(UTC)
    typer.echo(f"now:    {state.now(real).astimezone(CHINA).isoformat(timespec='seconds')}")
    typer.echo(f"real:   {real.astimezone(CHINA).isoformat(timespec='seconds')}")
    typer.echo(f"offset: {timedelta(seconds=round(state.offset_seconds))} (revision {state.revision})")
    if state.moved_by:
        typer.echo(f"moved by {state.moved_by} at {state.moved_at}")


def _move(move: Callable[[ClockState, datetime], ClockState]) -> None:
    from zhicheng_common.clock_store import move_clock

    _controlled_settings()

    async def run(js: JetStreamContext, settings: CommonSettings) -> ClockState:
        return await move_clock(js, settings, move)

    try:
        state = asyncio.run(_with_js(run))
    except ClockMoveRefused as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(1) from None
    _print_clock(state)


@clock_app.command("show")
def clock_show() -> None:
    """The time every service of the deployment reads."""
    from zhicheng_common.clock_store import read_clock

    settings = CommonSettings()
    if settings.clock != "controlled":
        typer.echo("ZC_CLOCK=system: the services read the machine's time")
        _print_clock(ClockState())
        return
    _print_clock(asyncio.run(_with_js(read_clock)))


@clock_app.command("set")
def clock_set(
    moment: Annotated[str, typer.Argument(help="ISO date or time; without a zone, China time (+08:00)")],
    force: Annotated[bool, typer.Option("--force", help="allow moving backwards")] = False,
) -> None:
    """Set the controlled time; it runs on from there. Backwards only with --force."""
    target = parse_moment(moment)
    _move(lambda state, real: set_to(state, target=target, real=real, by=_cli_user(), force=force))


@clock_app.command("advance")
def clock_advance(
    span: Annotated[str, typer.Argument(help="8d, 1d12h, 90m, P8D; negative (-1d) only with --force")],
    force: Annotated[bool, typer.Option("--force", help="allow moving backwards")] = False,
) -> None:
    """Move the controlled time forward; each service's scheduler then runs what became due."""
    delta = parse_span(span)
    _move(lambda state, real: advance_by(state, delta=delta, real=real, by=_cli_user(), force=force))


def _cli_user() -> str:
    return f"cli:{os.environ.get('USER') or os.environ.get('LOGNAME') or 'operator'}"


def _backup_step(
    verb: str, run: Callable[[JetStreamContext, CommonSettings], Awaitable[BackupSummary]]
) -> BackupSummary:
    """Run a backup or a restore against the deployment's NATS; a refusal is printed and exits 1."""
    from zhicheng_common.backup import BackupError

    try:
        return asyncio.run(_with_js(run))
    except BackupError as exc:
        typer.echo(f"{verb} refused: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command()
def backup(
    target: Annotated[Path, typer.Argument(help="a new (or empty) folder for the backup")],
) -> None:
    """Back up the deployment: its JetStream streams first, then every database (docs/backups.md)."""
    from zhicheng_common.backup import take_backup

    async def run(js: JetStreamContext, settings: CommonSettings) -> BackupSummary:
        return await take_backup(js, settings, _service_databases(settings), target)

    summary = _backup_step("backup", run)
    for name, count in summary.streams.items():
        typer.echo(f"stream   {name:<40} {count} message(s)")
    for name, services in summary.databases.items():
        typer.echo(f"database {name:<40} {', '.join(services)}")
    typer.echo(f"backup written to {target} (streams read at {summary.streams_taken_at.isoformat()})")


@app.command()
def restore(
    source: Annotated[Path, typer.Argument(help="a folder written by `zhicheng backup`")],
) -> None:
    """Restore a backup onto empty databases and a NATS without the streams, before the services start."""
    from zhicheng_common.backup import restore_backup

    async def run(js: JetStreamContext, settings: CommonSettings) -> BackupSummary:
        return await restore_backup(js, settings, _service_databases(settings), source)

    summary = _backup_step("restore", run)
    for name, count in summary.streams.items():
        typer.echo(f"stream   {name:<40} {count} message(s) restored")
    for name, services in summary.databases.items():
        typer.echo(f"database {name:<40} restored ({', '.join(services)})")
    typer.echo("events published since the streams were read are due again; start the services now")


readmodel_app = typer.Typer(
    help="The gateway's province read model: rebuild it from the streams (docs/readmodel.md).", no_args_is_help=True
)
app.add_typer(readmodel_app, name="readmodel")


@readmodel_app.command("rebuild")
def readmodel_rebuild(
    batch: Annotated[int, typer.Option(help="events per transaction")] = 2000,
    swap: Annotated[bool, typer.Option(help="swap the rebuilt tables in (--no-swap: replay only, then drop)")] = True,
) -> None:
    """Replay every producer's stream into a fresh schema and swap it in, the gateway running on."""
    rebuild = importlib.import_module(f"{GATEWAY.package}.readmodel.rebuild")

    async def run(js: JetStreamContext, settings: CommonSettings) -> object:
        return await rebuild.rebuild(
            service_database_url(GATEWAY, settings.database_url),
            js,
            stream=settings.stream_name,
            prefix=settings.events_prefix,
            context=rebuild.context_from(settings),
            batch=batch,
            swap=swap,
            settings=settings,
        )

    try:
        summary = asyncio.run(_with_js(run))
    except rebuild.ReplayIncomplete as exc:  # events lost on the way: the live model stays as it was
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(
        f"replayed {summary.events} event(s) into {summary.schema}, applied {summary.applied}, "  # type: ignore[attr-defined]
        f"{summary.caught_up} under the swap's lock, {len(summary.skipped)} skipped, "  # type: ignore[attr-defined]
        f"{'swapped in' if summary.swapped else 'not swapped'} in {summary.seconds} s"  # type: ignore[attr-defined]
    )
    for skipped in summary.skipped[:20]:  # type: ignore[attr-defined]
        typer.echo(f"skipped {skipped}", err=True)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []})
def simulate(ctx: typer.Context) -> None:
    """A province's season against the running system (bench/season; `zhicheng simulate --help`).

    Run from the checkout: the simulator lives in its bench/ folder, not in the installed packages.
    """
    sys.path.insert(0, str(Path.cwd()))
    try:
        season = importlib.import_module("bench.season.__main__")
    except ModuleNotFoundError:
        typer.echo("zhicheng simulate runs from a checkout of Zhicheng (it needs bench/season)", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(season.main(list(ctx.args)))


CATALOG_PATH = Path("docs/asyncapi.yaml")


@app.command()
def catalog(
    output: Annotated[Path, typer.Option("--output", "-o")] = CATALOG_PATH,
    check: Annotated[bool, typer.Option(help="fail if the file differs from the code")] = False,
) -> None:
    """Write the event catalog (AsyncAPI) generated from the registered event types."""
    from zhicheng_common.events.catalog import render_catalog

    text = render_catalog()
    if check:
        if not output.exists() or output.read_text() != text:
            typer.echo(f"{output} is out of date; run `zhicheng catalog`")
            raise typer.Exit(1)
        typer.echo(f"{output} is up to date")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    typer.echo(f"wrote {output}")


@app.command()
def rules(
    write: Annotated[Path | None, typer.Option("--write", help="render the index into this file")] = None,
    check: Annotated[
        bool, typer.Option("--check", help="fail on a rule id missing from the index, or a stale docs/rules.md")
    ] = False,
    root: Annotated[Path, typer.Option(help="the repository to scan")] = Path(),
) -> None:
    """The rule index: every rule id, its statement and source, the code and the tests that name it."""
    from zhicheng_common import rules as rule_index

    index = rule_index.load_rule_index()
    docs = rule_index.DOCS_PATH
    if check:
        result = rule_index.check(root, docs, index)
        for rule_id, places in result.unknown.items():
            typer.echo(f"{rule_id} is not in the rule index (catalogs/rules.yaml): {', '.join(sorted(places))}")
        if result.stale:
            typer.echo(f"{docs} is out of date; run `zhicheng rules --write {docs}`")
        if not result.ok:
            raise typer.Exit(1)
        typer.echo(f"{len(index.rules)} rules indexed; every id named is known; {docs} is up to date")
        return
    target = root / write if write is not None else None
    mentions = rule_index.scan(root, index, exclude=[target] if target else [])
    text = rule_index.render(index, mentions)
    if target is None:
        typer.echo(text)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {write}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
