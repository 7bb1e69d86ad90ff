"""The repository's own docs say what the code does, and point at nothing outside the repository.

- docs/architecture.md's event-flow table is the registered event types (producers) and every
  app's subscriptions (consumers);
- the README and docs/ name no path outside the repository (no ``../shared``, no absolute
  paths), and every ``docs/...`` file the README names exists;
- no log file is committed, and ``*.log`` is ignored.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from zhicheng_common.events.catalog import load_all_event_modules
from zhicheng_common.events.envelope import EVENT_TYPES
from zhicheng_common.settings import CommonSettings
from zhicheng_common.testing import build_app
from zhicheng_common.topology import ALL_SERVICES

ROOT = Path(__file__).resolve().parents[4]
README = ROOT / "README.md"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))

FLOW_ROW = re.compile(r"^\| `([a-z_]+\.[a-z_]+\.[a-z_]+)` \| ([a-z]+) \| ([a-z, -]+) \|$")
OUTSIDE = [
    re.compile(r"\.\./shared|\bshared/(domain|DESIGN|STYLE)"),
    # An absolute path on a developer's machine (URLs and API paths such as /api/v1 are fine).
    re.compile(r"(?<![\w.:/<>-])/(work|home|root|tmp|opt|Users|srv|mnt)/"),
    re.compile(r"beside this repository|project's shared folder"),
]


def documented_flow() -> dict[str, tuple[str, frozenset[str]]]:
    flow: dict[str, tuple[str, frozenset[str]]] = {}
    for line in ARCHITECTURE.read_text(encoding="utf-8").splitlines():
        match = FLOW_ROW.match(line)
        if match:
            event, producer, consumers = match.groups()
            names = frozenset() if consumers.strip() == "-" else frozenset(c.strip() for c in consumers.split(","))
            assert event not in flow, f"{event} listed twice"
            flow[event] = (producer, names)
    return flow


def code_flow(tmp_path: Path) -> dict[str, tuple[str, frozenset[str]]]:
    consumers: dict[str, set[str]] = {}
    for info in ALL_SERVICES:
        common = CommonSettings(environment="test", data_dir=tmp_path / info.name, keys_dir=tmp_path / info.name / "k")
        app = build_app(info, common, scheduler_enabled=False, consumers_enabled=False, relay_enabled=False)
        for subscription in app.state.runtime.subscriptions:
            for subject in subscription.subjects:
                consumers.setdefault(subject, set()).add(info.name)
    load_all_event_modules()
    published = {spec.name for spec in EVENT_TYPES.values()}
    # A subscription to every event of a producer (``<producer>.>``, the gateway's feed log) consumes each of them.
    for subject in [s for s in consumers if s.endswith(".>")]:
        readers = consumers.pop(subject)
        for name in published:
            if name.startswith(subject.removesuffix(">")):
                consumers.setdefault(name, set()).update(readers)
    assert set(consumers) <= published, set(consumers) - published
    return {name: (name.split(".")[0], frozenset(consumers.get(name, ()))) for name in published}


def test_the_event_flow_table_is_what_the_code_publishes_and_subscribes(tmp_path: Path) -> None:
    documented = documented_flow()
    # 29 rows when written (committees 13, gateway 1, intake 4, integrity 3, review 8).
    assert len(documented) >= 29
    assert documented == code_flow(tmp_path)


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda p: p.name)
def test_no_doc_points_outside_the_repository(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = [f"{pattern.pattern}: {m.group(0)!r}" for pattern in OUTSIDE for m in pattern.finditer(text)]
    assert found == []


def test_the_readme_points_at_the_architecture_and_the_rule_index_and_every_doc_it_names_exists() -> None:
    text = README.read_text(encoding="utf-8")
    named = set(re.findall(r"\bdocs/[\w.-]+\.(?:md|yaml)", text))
    assert {"docs/architecture.md", "docs/rules.md"} <= named
    assert sorted(name for name in named if not (ROOT / name).is_file()) == []


def test_no_log_file_is_committed_and_logs_are_ignored() -> None:
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "*.log" in ignored
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert [name for name in tracked.splitlines() if name.endswith(".log")] == []
