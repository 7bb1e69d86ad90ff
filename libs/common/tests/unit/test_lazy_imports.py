"""No service imports a library only some of its routes need when it starts (issue 18: ≤ 150 MB each).

openpyxl (xlsx files), reportlab and Pillow (PDFs) and numpy (which openpyxl imports when it is
installed, as it is in the development environment) cost about 20 to 40 MB of resident memory in
every process that imports them, for the few requests that make or read a file. Each service
imports them in the function that needs them; this holds the line: a fresh interpreter imports the
service's app module, builds the app as ``uvicorn --factory`` does, and reports which of them
came in with it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SERVICES = ("intake", "review", "experts", "committees", "integrity", "certificates", "gateway")
HEAVY = ("openpyxl", "reportlab", "PIL", "numpy", "scipy", "pypdfium2", "playwright", "hypothesis", "schemathesis")

PROBE = """
import json, sys
from zhicheng_{service}.app import create_app
create_app()
print(json.dumps(sorted(name for name in {heavy!r} if name in sys.modules)))
"""


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_starts_without_the_libraries_only_some_routes_need(service: str) -> None:
    probe = PROBE.format(service=service, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert imported == [], f"zhicheng_{service}.app imports {imported} at start: import them where they are used"
