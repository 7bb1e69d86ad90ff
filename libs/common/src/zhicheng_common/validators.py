"""Checks of national identifiers, and pydantic types built on them.

* Resident ID number (公民身份号码), GB 11643-1999: 6-digit region code, 8-digit birth date,
  3-digit sequence (odd for men, even for women), 1 check character (ISO 7064 MOD 11-2).
* Unified social credit code (统一社会信用代码), GB 32100-2015: 17 characters from a 31-letter
  alphabet and a check character (MOD 31).
* Region code, GB/T 2260: see :mod:`zhicheng_common.regions`.

The ``*_problem`` functions return a Chinese message for the user, or ``None`` when the value
is valid. The ``Annotated`` types raise ``ValueError`` with that message, so a FastAPI request
carrying a bad value gets a 422 naming the field, and the value a handler sees is normalised.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator

from zhicheng_common.regions import PROVINCE_CODES, is_region_code

__all__ = [
    "CreditCode",
    "RegionCode",
    "ResidentIdNumber",
    "birth_date_from_resident_id",
    "credit_code_problem",
    "gender_from_resident_id",
    "normalize_credit_code",
    "normalize_resident_id",
    "region_code_problem",
    "resident_id_problem",
]

# GB 11643-1999: weight of position i (1-based) is 2**(18-i) mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
# Residence permits of Taiwan residents (台湾居民居住证, 2018) use the GB 11643 format with the
# prefix 830000, which is not a GB/T 2260 province; Hong Kong (81) and Macao (82) ones are.
_ID_EXTRA_PROVINCES = frozenset({"83"})

# GB 32100-2015: the alphabet leaves out I, O, Z, S, V (confusable with digits / each other).
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUES = {char: value for value, char in enumerate(_CREDIT_ALPHABET)}
# Weight of position i (1-based) is 3**(i-1) mod 31.
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalize_resident_id(value: str) -> str:
    """Strip surrounding blanks and upper-case the check character ``x``."""
    return value.strip().upper()


def _resident_id_check_char(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def _embedded_birth_date(value: str) -> date | None:
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def resident_id_problem(value: str) -> str | None:
    """Say what is wrong with a resident ID number (GB 11643-1999).

    The value is checked as given; call :func:`normalize_resident_id` first to accept a
    lower-case ``x`` or surrounding blanks.

    Args:
        value: The candidate number.

    Returns:
        A Chinese message describing the first problem found, or ``None`` when valid.
    """
    if len(value) != 18:
        return f"公民身份号码应为18位，实际为{len(value)}位"
    if not _ID_SHAPE.fullmatch(value):
        return "公民身份号码前17位应为数字，最后一位应为数字或X"
    if value[:2] not in PROVINCE_CODES | _ID_EXTRA_PROVINCES:
        return f"公民身份号码的地址码（前6位）不是有效的行政区划代码：{value[:6]}"
    if _embedded_birth_date(value) is None:
        return f"公民身份号码中的出生日期（第7至14位）不是有效日期：{value[6:14]}"
    expected = _resident_id_check_char(value[:17])
    if value[17] != expected:
        return f"公民身份号码校验码错误：最后一位应为{expected}，实际为{value[17]}"
    return None


def _checked(normalize: Callable[[str], str], problem_of: Callable[[str], str | None]) -> Callable[[str], str]:
    """An after-validator: the normalised value, or ``ValueError`` carrying the Chinese problem."""

    def check(value: str) -> str:
        value = normalize(value)
        problem = problem_of(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    return check


def _as_given(value: str) -> str:
    return value


_resident_id = _checked(normalize_resident_id, resident_id_problem)


def birth_date_from_resident_id(value: str) -> date:
    """Return the birth date embedded in a resident ID number.

    Raises:
        ValueError: The number is not valid (message in Chinese).
    """
    value = _resident_id(value)
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def gender_from_resident_id(value: str) -> Literal["male", "female"]:
    """Return the gender encoded by the sequence digit (17th, odd for men) of a resident ID.

    Raises:
        ValueError: The number is not valid (message in Chinese).
    """
    value = _resident_id(value)
    return "male" if int(value[16]) % 2 == 1 else "female"


def normalize_credit_code(value: str) -> str:
    """Strip surrounding blanks and upper-case a unified social credit code."""
    return value.strip().upper()


def credit_code_problem(value: str) -> str | None:
    """Say what is wrong with a unified social credit code (GB 32100-2015).

    The value is checked as given; call :func:`normalize_credit_code` first to accept
    lower-case letters or surrounding blanks.

    Args:
        value: The candidate code.

    Returns:
        A Chinese message describing the first problem found, or ``None`` when valid.
    """
    if len(value) != 18:
        return f"统一社会信用代码应为18位，实际为{len(value)}位"
    bad = sorted({char for char in value if char not in _CREDIT_VALUES})
    if bad:
        return f"统一社会信用代码含有不允许的字符：{''.join(bad)}（不使用I、O、Z、S、V）"
    total = sum(_CREDIT_VALUES[char] * weight for char, weight in zip(value[:17], _CREDIT_WEIGHTS, strict=True))
    expected = _CREDIT_ALPHABET[(31 - total % 31) % 31]
    if value[17] != expected:
        return f"统一社会信用代码校验码错误：最后一位应为{expected}，实际为{value[17]}"
    return None


def region_code_problem(value: str) -> str | None:
    """Say what is wrong with a GB/T 2260 region code, or return ``None`` when valid."""
    if is_region_code(value):
        return None
    return f"行政区划代码应为6位数字且省级代码有效（GB/T 2260）：{value!r}"


_credit_code = _checked(normalize_credit_code, credit_code_problem)
_region_code = _checked(_as_given, region_code_problem)


ResidentIdNumber = Annotated[str, AfterValidator(_resident_id)]
"""A valid resident ID number (GB 11643-1999), normalised (blanks stripped, upper-case X)."""

CreditCode = Annotated[str, AfterValidator(_credit_code)]
"""A valid unified social credit code (GB 32100-2015), normalised (blanks stripped, upper-case)."""

RegionCode = Annotated[str, AfterValidator(_region_code)]
"""A well-formed GB/T 2260 region code (or ``100000`` for the nation)."""
