"""The series catalog (职称系列目录): series, title names per rank, historical names.

Data in ``catalogs/series.yaml``; a deployment may supply its own file with the same shape.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field


class Rank(StrEnum):
    """Title ranks, lowest first; ``assistant`` and ``clerk`` make up the junior level."""

    CLERK = "clerk"  # 员级
    ASSISTANT = "assistant"  # 助理级
    INTERMEDIATE = "intermediate"  # 中级
    ASSOCIATE_SENIOR = "associate_senior"  # 副高级
    SENIOR = "senior"  # 正高级


Level = Literal["junior", "intermediate", "associate_senior", "senior"]

RANK_ORDER: tuple[Rank, ...] = tuple(Rank)


def level_of(rank: Rank) -> Level:
    """The level (层级) a rank belongs to: 员级 and 助理级 are both junior (初级)."""
    if rank in (Rank.CLERK, Rank.ASSISTANT):
        return "junior"
    return rank.value  # type: ignore[return-value]


def steps_between(lower: Rank, higher: Rank) -> int:
    return RANK_ORDER.index(higher) - RANK_ORDER.index(lower)


class Series(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    name: str
    titles: dict[Rank, str]
    historical: dict[str, Rank] = Field(default_factory=dict)
    specialties: dict[str, str] = Field(default_factory=dict)

    def title(self, rank: Rank) -> str | None:
        return self.titles.get(rank)

    def specialty_code(self, value: str) -> str | None:
        """A specialty of this series given by its code, or by its Chinese name (rows written
        before declarations carried codes), as its code; ``None`` when the catalog has no such one."""
        if value in self.specialties:
            return value
        for code, name in self.specialties.items():
            if name == value:
                return code
        return None

    def rank_of_title(self, title: str) -> Rank | None:
        """A title name, current or historical, as a rank of this series."""
        for rank, name in self.titles.items():
            if name == title:
                return rank
        return self.historical.get(title)


class SeriesCatalog(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    series: tuple[Series, ...]

    def get(self, code: str) -> Series | None:
        for series in self.series:
            if series.code == code:
                return series
        return None

    def codes(self) -> list[str]:
        return [s.code for s in self.series]


def load_series_catalog(path: Path | None = None) -> SeriesCatalog:
    """The shipped catalog, or one from ``path``."""
    if path is None:
        return _shipped()
    return SeriesCatalog.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


@cache
def _shipped() -> SeriesCatalog:
    text = resources.files("zhicheng_common").joinpath("catalogs/series.yaml").read_text(encoding="utf-8")
    return SeriesCatalog.model_validate(yaml.safe_load(text))
