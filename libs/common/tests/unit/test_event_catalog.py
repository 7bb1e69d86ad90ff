"""The committed event catalog is exactly what the code registers and publishes."""

from __future__ import annotations

from pathlib import Path

import yaml

from zhicheng_common.events.catalog import load_all_event_modules, render_catalog
from zhicheng_common.events.envelope import EVENT_TYPES

CATALOG = Path(__file__).resolve().parents[4] / "docs" / "asyncapi.yaml"


def test_committed_catalog_matches_the_registered_event_types() -> None:
    assert CATALOG.read_text() == render_catalog(), "run `zhicheng catalog` and commit docs/asyncapi.yaml"


def test_every_registered_event_has_a_versioned_message_in_the_catalog() -> None:
    load_all_event_modules()
    document = yaml.safe_load(CATALOG.read_text())
    names = {message["name"] for message in document["components"]["messages"].values()}
    for spec in EVENT_TYPES.values():
        if spec.model.__module__.startswith("zhicheng_"):
            assert spec.type in names
            assert spec.type.endswith(f".v{spec.version}")
