"""Types shared by the request bodies of the committees service.

Series and policy packs are checked against their catalogs here, so an unknown one is a 422 naming
the field; rules (NA-1, CM-*) are checked by the services and refused with their id.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from zhicheng_common.policy import available_packs
from zhicheng_common.series import Level, load_series_catalog


def _known_series(value: str) -> str:
    if load_series_catalog().get(value) is None:
        raise ValueError(f"职称系列目录中没有此系列：{value}")
    return value


def _known_pack(value: str) -> str:
    if value not in available_packs():
        # The same code as every other service's refusal of a pack id that no pack has.
        raise PydanticCustomError(
            "unknown_policy_pack",
            "没有此政策包：{value}（可用：{available}）",
            {"value": value, "available": "、".join(available_packs())},
        )
    return value


def _unique(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


SeriesCode = Annotated[str, AfterValidator(_known_series), Field(examples=["engineering"])]


PackId = Annotated[str, AfterValidator(_known_pack), Field(examples=["shanxi-2024"])]


Levels = Annotated[list[Level], AfterValidator(_unique), Field(min_length=1, examples=[["associate_senior", "senior"]])]
