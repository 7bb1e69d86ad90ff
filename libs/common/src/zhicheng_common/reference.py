"""Reference data (参考数据): every code of the API with its Chinese name, and the display names
that refusal messages use instead of internal codes ("经济系列", not "economics系列").

Data in ``catalogs/reference.yaml`` (ranks, levels, ownership kinds, channels, attachment kinds,
the code lists of refusal facts, review steps and statuses)
and ``catalogs/series.yaml`` (series, title names, specialties). :func:`catalog_version` is a
digest of both files: the ETag of the reference routes, so a client re-reads only after a change.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

from zhicheng_common.series import Rank, load_series_catalog


class LevelEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    ranks: tuple[Rank, ...]


class ReferenceCatalog(BaseModel):
    """Code → Chinese name of every enumerated value the API uses besides series."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ranks: dict[Rank, str]
    levels: dict[str, LevelEntry]
    ownership_kinds: dict[str, str]
    channels: dict[str, str]
    attachment_kinds: dict[str, str]
    employment_statuses: dict[str, str]
    sanction_kinds: dict[str, str]
    skill_levels: dict[str, str]
    continuing_education_kinds: dict[str, str]
    committee_statuses: dict[str, str]
    filing_statuses: dict[str, str]
    review_steps: dict[str, str]
    declaration_statuses: dict[str, str]
    review_statuses: dict[str, str]


#: The code lists of the reference catalog that :func:`code_name` reads.
CodeList = Literal[
    "ownership_kinds",
    "channels",
    "attachment_kinds",
    "employment_statuses",
    "sanction_kinds",
    "skill_levels",
    "continuing_education_kinds",
    "committee_statuses",
    "filing_statuses",
    "review_steps",
    "declaration_statuses",
    "review_statuses",
]


def _text(name: str) -> str:
    return resources.files("zhicheng_common").joinpath(f"catalogs/{name}").read_text(encoding="utf-8")


@cache
def load_reference_catalog() -> ReferenceCatalog:
    return ReferenceCatalog.model_validate(yaml.safe_load(_text("reference.yaml")))


@cache
def catalog_version() -> str:
    """A short digest of the shipped catalogs (reference and series): changes whenever either does."""
    digest = hashlib.sha256()
    for name in ("reference.yaml", "series.yaml"):
        digest.update(_text(name).encode())
    return digest.hexdigest()[:16]


# --- display names for messages (a code nobody catalogued shows as itself) ----------------------


def rank_name(rank: Rank | str) -> str:
    """``associate_senior`` → 副高级."""
    try:
        return load_reference_catalog().ranks[Rank(rank)]
    except ValueError:
        return str(rank)


def level_name(level: str) -> str:
    """``junior`` → 初级."""
    entry = load_reference_catalog().levels.get(level)
    return entry.name if entry is not None else level


def series_name(code: str) -> str:
    """``economics`` → 经济."""
    series = load_series_catalog().get(code)
    return series.name if series is not None else code


def specialty_name(series_code: str, specialty: str) -> str:
    """``engineering``, ``electrical`` → 电气工程; a specialty given as free text shows as given."""
    series = load_series_catalog().get(series_code)
    if series is None:
        return specialty
    return series.specialties.get(specialty, specialty)


def specialty_code(series_code: str, specialty: str) -> str:
    """The one form of a specialty: its catalog code (``电气工程`` → ``electrical`` in engineering).

    Accepts the code or the catalog's Chinese name, so a row written before declarations carried
    codes compares equal to a committee's code; a specialty the catalog does not list (a series
    without a specialty list) stays as given.
    """
    series = load_series_catalog().get(series_code)
    code = series.specialty_code(specialty) if series is not None else None
    return code if code is not None else specialty


def channel_name(code: str) -> str:
    """``employer`` → 用人单位."""
    return load_reference_catalog().channels.get(code, code)


def ownership_name(code: str) -> str:
    """``private_enterprise`` → 非公有制经济组织."""
    return load_reference_catalog().ownership_kinds.get(code, code)


def step_name(key: str) -> str:
    """``unit_review`` → 用人单位审核 (a review chain's step)."""
    return code_name("review_steps", key)


def review_status_name(code: str) -> str:
    """``in_publicity`` → 公示中."""
    return code_name("review_statuses", code)


def attachment_kind_name(code: str) -> str:
    """``identity_document`` → 身份证件."""
    return code_name("attachment_kinds", code)


def code_name(code_list: CodeList, code: str) -> str:
    """The Chinese name of ``code`` in one code list, e.g. ``("sanction_kinds", "demerit")`` → 记过."""
    names: dict[str, str] = getattr(load_reference_catalog(), code_list)
    return names.get(code, code)
