"""The system under faults: PostgreSQL, NATS and `zhicheng up` as separate, killable processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from zhicheng_common.embedded import EmbeddedNats, EmbeddedPostgres, free_port
from zhicheng_common.topology import ALL_SERVICES, GATEWAY, ServiceInfo

API = f"{GATEWAY.default_url}/api/v1"
SERVICES: dict[str, ServiceInfo] = {info.name: info for info in ALL_SERVICES}


def _kill_group(pid: int) -> None:
    """SIGKILL a process and the session it leads: a crash leaves no child to tidy up after it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


@dataclass
class ChaosStack:
    """One run's system. ``store`` is NATS's JetStream store; a tmpfs of ``store_mib`` when it could be
    mounted (root), so that the disk-full fault fills a real file system, not a quota."""

    root: Path
    store_mib: int = 512
    postgres: EmbeddedPostgres = field(init=False)
    nats: EmbeddedNats = field(init=False)
    up: subprocess.Popen[bytes] | None = field(init=False, default=None)
    store_mounted: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.store = self.root / "nats-store"
        self.store.mkdir(exist_ok=True)
        self.postgres = EmbeddedPostgres(self.root / "postgres", free_port())
        self.nats = EmbeddedNats(self.store / "jetstream", free_port())
        self.nats.log = self.root / "nats.log"
        self.nats.config_file = self.root / "nats.conf"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "ZC_DATABASE_URL": self.postgres.url,
            "ZC_NATS_URL": self.nats.url,
            "ZC_DATA_DIR": str(self.root / "up"),
        }

    def start(self, *, ready_within: float = 180.0) -> None:
        if os.geteuid() == 0:
            mounted = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={self.store_mib}m", "tmpfs", str(self.store)],
                capture_output=True,
            )
            self.store_mounted = mounted.returncode == 0
        self.postgres.start()
        self.nats.start()
        log = (self.root / "up.log").open("ab")
        self.up = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "zhicheng_common.cli",
                "up",
                "--restart-exited",
                "--data-dir",
                str(self.root / "up"),
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_healthy(ready_within)

    def admin_password(self) -> str:
        return (self.root / "up" / "admin-password").read_text().strip()

    def wait_healthy(self, within: float = 120.0) -> float:
        """Until the gateway says every service is ready; the seconds it took."""
        began = time.monotonic()
        last = ""
        while time.monotonic() - began < within:
            if self.up is not None and self.up.poll() is not None:
                raise RuntimeError(f"zhicheng up exited with {self.up.returncode}; see {self.root / 'up.log'}")
            try:
                answer = httpx.get(f"{API}/healthz", timeout=3.0)
                last = answer.text
                if answer.status_code == 200 and answer.json().get("status") == "all services ready":
                    return time.monotonic() - began
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.5)
        raise TimeoutError(f"not healthy within {within:.0f}s: {last}")

    def service_pid(self, name: str) -> int:
        """The uvicorn process of a service of this stack (it changes with every restart).

        Only children of this run's `zhicheng up` are looked at: other systems on the machine (other
        network namespaces, other checkouts) run processes with the same command line.
        """
        if self.up is None:
            raise LookupError("the stack is not running")
        factory = SERVICES[name].app_factory
        for process in psutil.Process(self.up.pid).children(recursive=True):
            try:
                cmdline = process.cmdline()
            except psutil.NoSuchProcess:
                continue
            if factory in cmdline and "uvicorn" in cmdline:
                return int(process.pid)
        raise LookupError(f"{name} is not running under this stack's zhicheng up")

    def kill_service(self, name: str) -> None:
        _kill_group(self.service_pid(name))

    def kill_nats(self) -> None:
        self.nats.kill()

    def start_nats(self) -> None:
        self.nats.start()

    def kill_postgres(self) -> None:
        if self.postgres.process is not None:
            _kill_group(self.postgres.process.pid)
            self.postgres.process.wait(30)
            self.postgres.process = None

    def start_postgres(self) -> None:
        self.postgres.start()

    def stop(self) -> None:
        if self.up is not None and self.up.poll() is None:
            self.up.send_signal(signal.SIGTERM)
            try:
                self.up.wait(90)
            except subprocess.TimeoutExpired:
                _kill_group(self.up.pid)
        self.nats.stop()
        self.postgres.stop()
        if self.store_mounted:
            subprocess.run(["umount", "-l", str(self.store)], capture_output=True)


def started_stack(root: Path, kinds: tuple[str, ...]) -> tuple[ChaosStack, tuple[str, ...]]:
    """A started stack under ``root``, this process's clients pointed at it, and the fault kinds it
    can take (no disk-full fault without a file system of its own for NATS's store)."""
    stack = ChaosStack(root)
    stack.start()
    os.environ.update({"ZC_DATABASE_URL": stack.postgres.url, "ZC_NATS_URL": stack.nats.url})
    if not stack.store_mounted:
        kinds = tuple(kind for kind in kinds if kind != "fill_store_disk")
        print("  (not root: the NATS store has no file system of its own; no disk-full faults)", file=sys.stderr)
    return stack, kinds
