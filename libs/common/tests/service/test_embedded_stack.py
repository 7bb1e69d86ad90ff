"""The session's embedded PostgreSQL outlives other pytest sessions started beside it."""

from __future__ import annotations

import asyncio
import getpass
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import asyncpg
import pytest

from zhicheng_common.db import asyncpg_dsn
from zhicheng_common.testing import TestStack


def test_another_pytest_session_does_not_cut_the_embedded_server_off_its_data(
    zc_stack: TestStack, tmp_path: Path
) -> None:
    if not zc_stack.embedded or os.geteuid() != 0:
        pytest.skip("only an embedded server run as its own user (as root) can lose its data directory")
    # A plain pytest session (not ours) that uses tmp_path resets /tmp/pytest-of-<user> to 0700.
    (tmp_path / "test_other.py").write_text("def test_other(tmp_path):\n    assert tmp_path.exists()\n")
    other = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "test_other.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert other.returncode == 0, other.stdout + other.stderr
    private = Path(tempfile.gettempdir()) / f"pytest-of-{getpass.getuser()}"
    assert private.stat().st_mode & 0o777 == 0o700

    async def checkpoint_and_read() -> int:
        # CHECKPOINT makes the server open its control file: it fails once the directory is cut off.
        conn = await asyncpg.connect(asyncpg_dsn(zc_stack.server_url))
        try:
            await conn.execute("CHECKPOINT")
            return int(await conn.fetchval("SELECT 1"))
        finally:
            await conn.close()

    assert asyncio.run(checkpoint_and_read()) == 1
    assert private not in tmp_path.parents  # why it still answers: its files are not under the private root
