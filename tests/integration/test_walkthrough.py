"""The README's curl walkthroughs, each run verbatim against a running system."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from zhicheng_common.testing import TestStack

from .conftest import RunningSystem, delete_streams, isolated_env, set_clock_before_start, start_system, stop_system

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def walkthrough_script(heading: str = "## A walk through the system with curl") -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split(heading, 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, f"the README has no block under {heading!r}"
    return match.group(1)


def run_in_checkout(system: RunningSystem, tmp_path: Path, script: str, timeout: float) -> str:
    """Run ``script`` with bash -euo pipefail where a checkout running `make run` would be; its output."""
    # The walkthrough runs in a checkout where `make run` keeps its data in .zhicheng/.
    (tmp_path / ".zhicheng").symlink_to(system.data_dir)
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    # The system's database and NATS for the CLI; its data folder (keys) is ./.zhicheng as in a checkout.
    env = {k: v for k, v in system.env.items() if k != "ZC_DATA_DIR"} | {"PATH": os.environ["PATH"]}
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


@pytest.fixture
def controlled_system(
    zc_stack: TestStack, zc_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningSystem]:
    """`ZC_CLOCK=controlled make run`, stopped after its test (before the module's ``system`` starts:
    both listen on the same ports, so this module's controlled test comes first)."""
    env = isolated_env(zc_stack, zc_env, "season")
    env["ZC_CLOCK"] = "controlled"
    # A newcomer's rate limits, not the tests' (the walkthrough signs in more than 30 times a minute).
    env.pop("ZC_GATEWAY_LOGIN_RATE_BURST")
    env.pop("ZC_GATEWAY_PUBLIC_RATE_BURST")
    set_clock_before_start(env, "2026-11-09T09:00:00+08:00")  # the walkthrough's first move
    running = start_system(env, Path(tmp_path_factory.mktemp("season-system")) / "data")
    try:
        yield running
    finally:
        stop_system(running.process)
        delete_streams(env)


def test_readme_committee_to_certificate_walkthrough_works_verbatim(
    controlled_system: RunningSystem, tmp_path: Path
) -> None:
    """CM-7, NA-7, NA-11, CM-11, CE-3: the second walkthrough, a committee's season to a verified certificate."""
    script = walkthrough_script("## From a new committee to a verified certificate")
    output = run_in_checkout(controlled_system, tmp_path, script, timeout=900)
    assert "qualified" in output
    assert "evaluated 1, passed 1, publicity through" in output
    assert re.search(r'"valid": ?true', output)
    assert "证书有效" in output


def test_readme_walkthrough_works_verbatim(system: Any, tmp_path: Path) -> None:
    output = run_in_checkout(system, tmp_path, walkthrough_script(), timeout=120)
    assert '"status":"all services ready"' in output
    assert '"code":"outside_jurisdiction"' in output
    assert output.count('"code":"token_missing"') == 2  # at the gateway and at the service
    assert re.search(r"ok: [1-9]\d* entries, chain intact, [1-9]\d* seal\(s\) verified", output)
    assert "message(s) replayed" in output
