"""Schemathesis against the running gateway's OpenAPI: no 5xx, every response as the schema says.

The whole system runs (`zhicheng up` on its own database and prefix); schemathesis reads the
gateway's merged OpenAPI (every service's routes) and calls every operation with the documented
examples and with generated inputs, as the platform administrator (who passes every role gate,
so the inputs reach the handlers). Bounded: a fixed seed, a few examples per operation, two
workers; the run takes a few minutes at most on a loaded machine.

Checks: ``not_a_server_error`` (no 5xx anywhere) and ``response_schema_conformance`` (each
response's body matches the schema documented for its status code and content type).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import GATEWAY_URL, RunningSystem

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 10
SEED = 20261203


def test_no_operation_answers_5xx_or_off_its_schema(system: RunningSystem, tmp_path: Path) -> None:
    headers = system.admin_headers()
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{GATEWAY_URL}/api/v1/openapi.json",
        "--url",
        GATEWAY_URL,
        "--checks",
        "not_a_server_error,response_schema_conformance",
        "--phases",
        "examples,fuzzing",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "2",
        "--request-timeout",
        "30",
        "--header",
        f"Authorization: {headers['Authorization']}",
        "--no-color",
    ]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
        check=False,
    )
    output = result.stdout + result.stderr
    (tmp_path / "schemathesis.log").write_text(output)
    # The failures section (each with its curl line to reproduce), not the warnings after it.
    failures = output[output.find("FAILURES") :] if "FAILURES" in output else output
    assert result.returncode == 0, failures[:12000]
    assert "No issues found" in output or "passed" in output, output[-3000:]
