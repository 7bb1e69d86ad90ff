"""Reference data of intake: the qualification → title table (shipped YAML, NA-18: data per province and date)."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from zhicheng_intake.domain import QualificationTable


def _read(name: str) -> object:
    return yaml.safe_load(resources.files("zhicheng_intake").joinpath(f"data/{name}").read_text(encoding="utf-8"))


@cache
def qualification_table() -> QualificationTable:
    """Qualification → title correspondence and exam-based series (data/qualifications.yaml)."""
    return QualificationTable.model_validate(_read("qualifications.yaml"))
