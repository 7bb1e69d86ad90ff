"""The README's curl walkthrough, run verbatim against the running system."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def walkthrough_script() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## A walk through the system with curl", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "the README has no walkthrough block"
    return match.group(1)


def test_readme_walkthrough_works_verbatim(system: Any, tmp_path: Path) -> None:
    # The walkthrough runs in a checkout where `make run` keeps its data in .zhicheng/.
    (tmp_path / ".zhicheng").symlink_to(system.data_dir)
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    # The system's database and NATS for the CLI; its data folder (keys) is ./.zhicheng as in a checkout.
    env = {k: v for k, v in system.env.items() if k != "ZC_DATA_DIR"} | {"PATH": os.environ["PATH"]}
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", walkthrough_script()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert '"status":"all services ready"' in output
    assert '"code":"outside_jurisdiction"' in output
    assert output.count('"code":"token_missing"') == 2  # at the gateway and at the service
    assert re.search(r"ok: [1-9]\d* entries, chain intact, [1-9]\d* seal\(s\) verified", output)
    assert "message(s) replayed" in output
