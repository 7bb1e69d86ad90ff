"""The README's run command, as a newcomer uses it: up within 60 s, Ctrl-C leaves nothing behind."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

from zhicheng_common.embedded import port_is_open
from zhicheng_common.topology import ALL_SERVICES

pytestmark = pytest.mark.integration

READY_WITHIN_SECONDS = 60.0
GATEWAY = "http://127.0.0.1:8000"
EMBEDDED_PORTS = (54329, 42229)  # PostgreSQL and NATS that `zhicheng up` starts


def _processes_mentioning(marker: str) -> list[str]:
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(process.info.get("cmdline") or [])
        if marker in cmdline:
            found.append(f"{process.info['pid']}: {cmdline}")
    return found


def _open_ports() -> list[int]:
    ports = [info.port for info in ALL_SERVICES] + list(EMBEDDED_PORTS)
    return [port for port in ports if port_is_open("127.0.0.1", port)]


def test_up_brings_every_service_ready_within_60_s_and_ctrl_c_leaves_no_process(
    tmp_path: Path, newcomer_env: dict[str, str], system_factory: Callable[..., Any]
) -> None:
    data_dir = tmp_path / "zhicheng-data"
    running = system_factory(newcomer_env, data_dir)
    assert running.started_in <= READY_WITHIN_SECONDS, f"ready after {running.started_in:.1f}s"
    children = [p.pid for p in psutil.Process(running.process.pid).children(recursive=True)]
    assert len(children) >= len(ALL_SERVICES) + 2  # services, gateway, PostgreSQL, NATS

    assert running.stop() == 0
    assert _open_ports() == []
    alive = [pid for pid in children if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    assert alive == []
    assert _processes_mentioning(str(data_dir)) == []
