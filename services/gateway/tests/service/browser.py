"""Headless Chromium from Debian's packages for the /verify page's tests, driven by Playwright.

No browser is ever downloaded: Playwright's Python package drives the executable apt installed
(``chromium-headless-shell``, or the full ``chromium``). When neither is there the fixture installs
``chromium-headless-shell`` with apt-get (as the CJK font fixture does; ``make service`` does it
first too, since a test run inside a network namespace of its own cannot reach the mirror).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

PACKAGE = "chromium-headless-shell"
EXECUTABLES = ("chromium-headless-shell", "chromium")
# Quiet: no first-run work, no component updates, no calls home.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
]


def chromium_executable() -> Path:
    """Debian's Chromium, installed with apt-get when it is missing."""
    for name in EXECUTABLES:
        found = shutil.which(name)
        if found:
            return Path(found)
    command = ["apt-get", "install", "-y", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300", PACKAGE]
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(command, env=environment, capture_output=True, check=False).returncode:
        subprocess.run(["apt-get", "update"], env=environment, capture_output=True, check=True)
        subprocess.run(command, env=environment, capture_output=True, check=True)
    for name in EXECUTABLES:
        found = shutil.which(name)
        if found:
            return Path(found)
    raise AssertionError(f"no Chromium after installing {PACKAGE}")


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Any]:
    """One headless Chromium for the session."""
    from playwright.async_api import async_playwright

    executable = chromium_executable()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(executable), args=ARGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()
