"""Reference data of intake: seniority table and qualification → title table (shipped YAML)."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from zhicheng_intake.domain import QualificationTable, Seniority


def _read(name: str) -> object:
    return yaml.safe_load(resources.files("zhicheng_intake").joinpath(f"data/{name}").read_text(encoding="utf-8"))


@cache
def seniority() -> Seniority:
    """Years per target rank (data/seniority.yaml)."""
    return Seniority.model_validate(_read("seniority.yaml"))


@cache
def qualification_table() -> QualificationTable:
    """Qualification → title correspondence and exam-based series (data/qualifications.yaml)."""
    return QualificationTable.model_validate(_read("qualifications.yaml"))
