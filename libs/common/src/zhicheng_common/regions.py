"""Administrative region codes of GB/T 2260 (行政区划代码).

A code has six digits: two for the province-level unit, two for the prefecture-level unit
(city), two for the county-level unit; trailing ``00`` pairs mean "the whole unit above". Users,
committees and events carry such a code as their jurisdiction (DESIGN.md §6), and access
checks ask whether one region contains another.

The functions check the structure of a code and its province part, not the full national
list: county codes change every year, and an old code on a record must stay usable.

``100000`` (中华人民共和国) is not part of GB/T 2260, but is the common convention for the
national level: it stands for national bodies (MOHRSS) and contains every region.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = [
    "NATIONAL_CODE",
    "PROVINCE_CODES",
    "RegionLevel",
    "city_of",
    "is_region_code",
    "level_of",
    "province_of",
    "region_contains",
]

NATIONAL_CODE = "100000"

#: The 34 province-level units (省级行政区) by their two-digit prefix:
#: 22 provinces, 5 autonomous regions, 4 municipalities, Taiwan, Hong Kong and Macao.
PROVINCE_CODES: frozenset[str] = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82",
    }
)  # fmt: skip

RegionLevel = Literal["national", "province", "city", "county"]

_SIX_DIGITS = re.compile(r"[0-9]{6}")


def is_region_code(value: str) -> bool:
    """Tell whether ``value`` is a well-formed region code.

    Six ASCII digits whose province part is one of the 34 province-level units, with no county
    part under an empty city part (``xx00yy``); or the national code ``100000``.

    Args:
        value: The candidate code.

    Returns:
        True for a well-formed code.
    """
    if value == NATIONAL_CODE:
        return True
    if not _SIX_DIGITS.fullmatch(value) or value[:2] not in PROVINCE_CODES:
        return False
    return not (value[2:4] == "00" and value[4:] != "00")


def _checked(code: str) -> str:
    if not is_region_code(code):
        raise ValueError(f"行政区划代码格式不正确 (not a GB/T 2260 region code): {code!r}")
    return code


def level_of(code: str) -> RegionLevel:
    """Return the level of a region code.

    Args:
        code: A region code.

    Returns:
        ``"national"`` for ``100000``, ``"province"`` for ``xx0000``, ``"city"`` for ``xxyy00``,
        ``"county"`` otherwise.

    Raises:
        ValueError: ``code`` is not a region code.
    """
    _checked(code)
    if code == NATIONAL_CODE:
        return "national"
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"


def province_of(code: str) -> str:
    """Return the code of the province-level unit of ``code`` (``140105`` → ``140000``).

    Raises:
        ValueError: ``code`` is not a region code, or is the national code (no province).
    """
    if level_of(code) == "national":
        raise ValueError(f"全国代码没有所属省份 (the national code has no province): {code}")
    return code[:2] + "0000"


def city_of(code: str) -> str:
    """Return the code of the city of ``code`` (``140105`` → ``140100``).

    A province code returns itself, since it has no city part.

    Raises:
        ValueError: ``code`` is not a region code, or is the national code.
    """
    level = level_of(code)
    if level == "national":
        raise ValueError(f"全国代码没有所属城市 (the national code has no city): {code}")
    if level == "province":
        return code
    return code[:4] + "00"


def region_contains(outer: str, inner: str) -> bool:
    """Tell whether region ``outer`` contains region ``inner``.

    The nation contains everything; a province contains its cities and counties; a city its
    counties; every region contains itself. A malformed code contains nothing and lies in
    nothing: access checks built on this fail closed (a 403) rather than raise.

    Args:
        outer: The enclosing region (e.g. the region of a user).
        inner: The region asked about (e.g. the region of a record).

    Returns:
        True when ``inner`` lies within ``outer``; False when either code is malformed.
    """
    if not (is_region_code(outer) and is_region_code(inner)):
        return False
    level = level_of(outer)
    if level == "national":
        return True
    if inner == NATIONAL_CODE:
        return False
    if level == "province":
        return inner[:2] == outer[:2]
    if level == "city":
        return inner[:4] == outer[:4]
    return inner == outer
