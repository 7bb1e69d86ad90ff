"""Shared set-up of the benchmarks: the embedded stack (or ZC_DATABASE_URL / ZC_NATS_URL), migrated."""

from __future__ import annotations

import os
import platform
import re
import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx

from zhicheng_common.embedded import SYNC_INTERVAL, EmbeddedNats, EmbeddedPostgres, free_port


@dataclass(frozen=True)
class BenchStack:
    database_url: str
    nats_url: str
    prefix: str


@contextmanager
def bench_stack(*, nats_sync_interval: str | None = SYNC_INTERVAL) -> Iterator[BenchStack]:
    """``nats_sync_interval``: JetStream's sync policy of the embedded server (the platform's by default)."""
    with TemporaryDirectory(prefix="zc-bench-") as tmp:
        postgres = nats_server = None
        database_url = os.environ.get("ZC_DATABASE_URL")
        nats_url = os.environ.get("ZC_NATS_URL")
        if not database_url:
            postgres = EmbeddedPostgres(Path(tmp) / "pg", free_port(), database="zhicheng_bench")
            database_url = postgres.start()
        if not nats_url:
            nats_server = EmbeddedNats(Path(tmp) / "nats", free_port(), sync_interval=nats_sync_interval)
            nats_url = nats_server.start()
        try:
            yield BenchStack(database_url, nats_url, f"zcb{secrets.token_hex(3)}")
        finally:
            if nats_server:
                nats_server.stop()
            if postgres:
                postgres.stop()


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.splitlines()
    total = mem[1].split()[1] + " GiB" if len(mem) > 1 else "?"
    return f"{os.cpu_count()} cores ({cpu}), {total} RAM, Python {platform.python_version()}, {platform.system()}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def wait_ready(url: str, timeout: float = 30.0) -> None:
    """Poll ``url`` until it answers 200 (a started server), bounded by ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(url)


def write_section(results: Path, heading: str, text: str) -> None:
    """Replace the section under ``heading`` of the results file with ``text`` (or append it)."""
    current = results.read_text() if results.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    found = pattern.search(current) is not None
    updated = pattern.sub(lambda _: text, current) if found else current.rstrip("\n") + "\n\n" + text
    results.write_text(updated)
