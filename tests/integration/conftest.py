"""The whole system as processes (`zhicheng up`), driven over HTTP through the gateway."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import nats
import pytest

from zhicheng_common.backup import deployment_streams
from zhicheng_common.embedded import port_is_open
from zhicheng_common.pdf_font import DEFAULT_CJK_FONT
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import TestStack, create_database, ensure_cjk_font
from zhicheng_common.topology import ALL_SERVICES, GATEWAY

GATEWAY_URL = GATEWAY.default_url


@dataclass
class RunningSystem:
    process: subprocess.Popen[str]
    data_dir: Path
    output: Path
    started_in: float
    env: dict[str, str]

    def stop(self) -> int:
        """Ctrl-C, as an operator would; returns the exit code."""
        return stop_system(self.process)

    @property
    def admin_password(self) -> str:
        return (self.data_dir / "admin-password").read_text().strip()

    def create_user(self, headers: dict[str, str], **fields: object) -> dict[str, object]:
        response = httpx.post(f"{GATEWAY_URL}/api/v1/users", json=fields, headers=headers)
        assert response.status_code == 201, response.text
        body: dict[str, object] = response.json()
        return body

    def bind_user(self, headers: dict[str, str], user: dict[str, object], **bindings: object) -> None:
        """Bind an account (its unit's credit code, its committees), as staff do after checking (issue 12)."""
        body = {"reason": "测试：核验后绑定", **bindings}
        response = httpx.put(f"{GATEWAY_URL}/api/v1/users/{user['id']}/bindings", json=body, headers=headers)
        assert response.status_code == 200, response.text

    def decide_integrity_record(
        self, headers: dict[str, str], *, person: str, name: str, kind: str, facts: str, effects: dict[str, bool]
    ) -> dict[str, object]:
        """HR decides an integrity record on a person today (its effects: bars on declaring or draws)."""
        body = {
            "subject_kind": "person",
            "subject_id_number": person,
            "subject_name": name,
            "kind": kind,
            "facts": facts,
            "deciding_authority": "山西省人力资源和社会保障厅",
            "decision_date": date.today().isoformat(),
            "effects": effects,
        }
        response = httpx.post(f"{GATEWAY_URL}/api/v1/integrity/records", json=body, headers=headers)
        assert response.status_code == 201, response.text
        decided: dict[str, object] = response.json()
        return decided

    def admin_headers(self) -> dict[str, str]:
        response = httpx.post(
            f"{GATEWAY_URL}/api/v1/auth/token", data={"username": "admin", "password": self.admin_password}
        )
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="session", autouse=True)
def cjk_font() -> Path:
    """Meeting files and certificates embed a CJK font: a fresh machine gets it here (apt), so the
    integration tests do not depend on the unit tests having run first."""
    return ensure_cjk_font(DEFAULT_CJK_FONT)


def ports_in_use() -> list[int]:
    return [info.port for info in ALL_SERVICES if port_is_open("127.0.0.1", info.port)]


def start_system(
    env: dict[str, str], data_dir: Path, *, ready_within: float = 90.0, up_options: tuple[str, ...] = ()
) -> RunningSystem:
    busy = ports_in_use()
    if busy:
        pytest.fail(f"ports {busy} are in use: stop the running Zhicheng (make run) before the integration tests")
    output = data_dir.parent / f"{data_dir.name}-up.log"
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "zhicheng_common.cli", "up", "--data-dir", str(data_dir), *up_options],
        env=env,
        stdout=output.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = started + ready_within
    last = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"zhicheng up exited with {process.returncode}:\n{output.read_text()[-3000:]}")
        try:
            response = httpx.get(f"{GATEWAY_URL}/api/v1/healthz", timeout=2.0)
            last = response.text
            if response.status_code == 200 and response.json().get("status") == "all services ready":
                return RunningSystem(process, data_dir, output, time.monotonic() - started, env)
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.5)
    stop_system(process)
    pytest.fail(f"not ready within {ready_within}s; last healthz: {last}\n{output.read_text()[-3000:]}")


def stop_system(process: subprocess.Popen[str], timeout: float = 60.0) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def set_clock_before_start(env: dict[str, str], to: str) -> None:
    """Move the controlled clock of the system ``env`` describes before it starts (``zhicheng clock set``).

    Each service then reads the moved time first. A first move made after the start reaches a
    service only at its next look for the clock bucket (half a second, more on a loaded machine),
    so a plan published meanwhile would meet CM-7 on the real date.
    """
    moved = subprocess.run(
        [sys.executable, "-m", "zhicheng_common.cli", "clock", "set", to, "--force"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert moved.returncode == 0, moved.stdout + moved.stderr


@pytest.fixture
def system_factory() -> Iterator[Callable[[dict[str, str], Path], RunningSystem]]:
    """Start `zhicheng up` as a test wants it; whatever is still running is stopped afterwards."""
    started: list[RunningSystem] = []

    def start(env: dict[str, str], data_dir: Path) -> RunningSystem:
        running = start_system(env, data_dir)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def newcomer_env() -> dict[str, str]:
    """The environment a newcomer has: no ZC_* settings at all."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ZC_")}


def isolated_env(zc_stack: TestStack, zc_env: dict[str, str], name: str) -> dict[str, str]:
    """An environment for one running system: its own database and event prefix.

    Service tests of the same pytest session may leave processes consuming the session's prefix;
    a prefix of its own keeps them from taking this system's events.
    """
    env = dict(zc_env)
    suffix = uuid.uuid4().hex[:8]
    env["ZC_DATABASE_URL"] = create_database(zc_stack, f"{name}_{suffix}")
    env["ZC_EVENTS_PREFIX"] = f"{zc_env['ZC_EVENTS_PREFIX']}{name[:3]}{suffix}"
    # Plans computed from today reach into years chinese-calendar does not know yet: the services
    # count them provisionally (docs/calendar.md), as the tests' own WorkingDayCalendar() does.
    if zc_stack.nats_keys_dir is not None:
        # The session's NATS authenticates: every service of this system runs with its own key.
        env["ZC_NATS_KEYS_DIR"] = str(zc_stack.nats_keys_dir)
    # Every test client comes from 127.0.0.1 and signs in many accounts in a minute: the login's
    # rate limit (ZC_GATEWAY_LOGIN_RATE_*, 30 a minute by default) is the gateway service tests'.
    env["ZC_GATEWAY_LOGIN_RATE_BURST"] = "1000"
    env["ZC_GATEWAY_PUBLIC_RATE_BURST"] = "5000"
    env.pop("ZC_JWT_JWKS", None)  # `up` wires its own issuer's keys
    env.pop("ZC_JWT_ISSUER", None)
    return env


def zhicheng(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """A `zhicheng` command with the system's settings, as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "zhicheng_common.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def events_settled(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`zhicheng events check` until every consumer applied every event (it exits 1 while one is missing)."""
    result = zhicheng(env, "events", "check", "--settle-seconds", "0")
    for _ in range(60):
        if result.returncode == 0:
            break
        time.sleep(1.0)
        result = zhicheng(env, "events", "check", "--settle-seconds", "0")
    return result


def delete_streams(env: dict[str, str]) -> None:
    """Delete the deployment's streams: its events, dead letters and KV buckets (calendar, clock)."""
    settings = CommonSettings(events_prefix=env["ZC_EVENTS_PREFIX"])

    async def run() -> None:
        nc = await nats.connect(env["ZC_NATS_URL"])
        try:
            js = nc.jetstream()
            for name in deployment_streams(settings):
                with contextlib.suppress(Exception):
                    await js.delete_stream(name)
        finally:
            await nc.close()

    asyncio.run(run())


def empty_stack(zc_stack: TestStack, env: dict[str, str]) -> dict[str, str]:
    """Empty the stack ``env`` ran on, as a restore needs it (docs/backups.md): the prefix's streams
    and KV buckets deleted, and the environment of the same deployment on a new, empty database."""
    delete_streams(env)
    empty = dict(env)
    empty["ZC_DATABASE_URL"] = create_database(zc_stack, f"restored_{env['ZC_EVENTS_PREFIX'][-8:]}")
    return empty


@pytest.fixture(scope="module")
def system(
    zc_stack: TestStack, zc_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningSystem]:
    """The system on a database and an event prefix of its own, on the session's servers."""
    env = isolated_env(zc_stack, zc_env, "system")
    running = start_system(env, Path(tmp_path_factory.mktemp("system")) / "data")
    try:
        yield running
    finally:
        stop_system(running.process)
        delete_streams(env)
