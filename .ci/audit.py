"""Dependency audit of every locked package (make audit): pip-audit against PyPI's vulnerability data.

1. ``pip-audit --vulnerability-service pypi`` over ``uv export --frozen`` (every group, hashes):
   any vulnerability it reports fails the run.
2. What this machine's PyPI answers: its per-release JSON (``/pypi/<name>/<version>/json``, which
   pip-audit reads) is not served here (404), so pip-audit can only skip those packages ("not
   found on PyPI"). The project JSON (``/pypi/<name>/json``) is served, and its
   ``vulnerabilities`` are those of the project's newest release: for every locked package that is
   at its newest release this is the same data pip-audit would have read, and any entry fails.
   A package behind its newest release is listed by name as not audited, so the report says
   plainly what was and was not checked.

Ends with ``N passed, M failed`` (audited packages clean / vulnerable); exits 1 on a finding.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TOOLS = Path(sys.executable).parent
PYPI = "https://pypi.org/pypi"


def project_json(name: str) -> dict[str, Any]:
    for attempt in range(3):
        try:
            with urllib.request.urlopen(f"{PYPI}/{name}/json", timeout=30) as response:  # noqa: S310 (fixed https URL)
                data: dict[str, Any] = json.load(response)
                return data
        except (urllib.error.URLError, TimeoutError):
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="zc-audit-") as scratch:
        requirements = Path(scratch) / "requirements.txt"
        subprocess.run(
            [str(ROOT / ".tools/bin/uv"), "export", "--frozen", "--all-groups", "--no-emit-workspace",
             "--format", "requirements-txt", "--quiet", "-o", str(requirements)],
            check=True, cwd=ROOT,
        )  # fmt: skip
        report = Path(scratch) / "audit.json"
        result = subprocess.run(
            [str(TOOLS / "pip-audit"), "--disable-pip", "--require-hashes", "-r", str(requirements),
             "--vulnerability-service", "pypi", "--format", "json", "--output", str(report),
             "--progress-spinner", "off"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if not report.exists():
            print(result.stdout + result.stderr)
            return 1
        audit = json.loads(report.read_text(encoding="utf-8"))
        packages = dict(
            line.split(";")[0].strip(" \\").split("==", 1)
            for line in requirements.read_text(encoding="utf-8").splitlines()
            if "==" in line and not line.startswith((" ", "#"))
        )
    found: dict[str, list[dict[str, Any]]] = {d["name"]: d["vulns"] for d in audit["dependencies"] if d.get("vulns")}
    pip_audited = {d["name"] for d in audit["dependencies"] if "skip_reason" not in d}
    with ThreadPoolExecutor(max_workers=8) as pool:
        projects = dict(zip(packages, pool.map(project_json, packages), strict=True))
    newest = {name for name, data in projects.items() if data["info"]["version"] == packages[name]}
    for name in newest:
        if projects[name].get("vulnerabilities"):
            found.setdefault(name, projects[name]["vulnerabilities"])
    audited = pip_audited | newest
    not_audited = sorted(set(packages) - audited)
    print(f"pip-audit (PyPI, per release): {len(pip_audited)} of {len(packages)} packages audited")
    print(f"PyPI project data (newest release): {len(newest)} more at their newest release audited")
    print(f"not audited (behind their newest release, no per-release data here): {len(not_audited)}")
    for name in not_audited:
        print(f"    {name} {packages[name]} (newest {projects[name]['info']['version']})")
    for name, vulns in sorted(found.items()):
        for vuln in vulns:
            ident = vuln.get("id")
            fixed = vuln.get("fix_versions") or vuln.get("fixed_in")
            print(f"VULNERABLE {name} {packages[name]}: {ident} (fixed in {fixed})")
    print(f"{len(audited) - len(found)} passed, {len(found)} failed")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
