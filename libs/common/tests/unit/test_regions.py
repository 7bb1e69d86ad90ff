"""GB/T 2260 region codes: structure, levels, containment (jurisdiction checks)."""

from __future__ import annotations

import pytest

from zhicheng_common.regions import (
    NATIONAL_CODE,
    PROVINCE_CODES,
    city_of,
    is_region_code,
    level_of,
    province_of,
    region_contains,
)

TAIYUAN = "140100"
XIAODIAN = "140105"  # 小店区, Taiyuan
YUNCHENG = "140800"
QUJING = "530300"


def test_there_are_34_province_level_units() -> None:
    assert len(PROVINCE_CODES) == 34


@pytest.mark.parametrize("code", ["110000", "140000", TAIYUAN, XIAODIAN, QUJING, "820000", NATIONAL_CODE])
def test_well_formed_codes(code: str) -> None:
    assert is_region_code(code)


@pytest.mark.parametrize(
    "code",
    [
        "000000",  # no region
        "990000",  # no such province
        "160000",  # no such province
        "14010",  # five digits
        "1401050",  # seven digits
        "14010a",
        "１４００００",  # full-width digits
        "140005",  # county part under no city
        "",
    ],
)
def test_malformed_codes(code: str) -> None:
    assert not is_region_code(code)


def test_levels() -> None:
    assert level_of("140000") == "province"
    assert level_of(TAIYUAN) == "city"
    assert level_of(XIAODIAN) == "county"
    assert level_of(NATIONAL_CODE) == "national"


def test_province_and_city_of() -> None:
    assert province_of(XIAODIAN) == "140000"
    assert province_of(TAIYUAN) == "140000"
    assert province_of("140000") == "140000"
    assert city_of(XIAODIAN) == TAIYUAN
    assert city_of(TAIYUAN) == TAIYUAN
    assert city_of("140000") == "140000"


def test_national_code_has_no_province_or_city() -> None:
    with pytest.raises(ValueError, match="全国"):
        province_of(NATIONAL_CODE)
    with pytest.raises(ValueError, match="全国"):
        city_of(NATIONAL_CODE)


def test_malformed_codes_are_refused_by_the_helpers() -> None:
    with pytest.raises(ValueError, match="行政区划代码"):
        level_of("990000")


def test_malformed_codes_contain_nothing_and_lie_in_nothing() -> None:
    assert not region_contains("140000", "14010")
    assert not region_contains("14000", "140105")
    assert not region_contains(NATIONAL_CODE, "abcdef")
    assert not region_contains("140000", "140005")


def test_province_contains_its_cities_and_counties() -> None:
    assert region_contains("140000", TAIYUAN)
    assert region_contains(TAIYUAN, XIAODIAN)
    assert region_contains("140000", XIAODIAN)


def test_every_region_contains_itself() -> None:
    for code in ("140000", TAIYUAN, XIAODIAN, NATIONAL_CODE):
        assert region_contains(code, code)


def test_a_city_does_not_contain_another_city_or_its_province() -> None:
    assert not region_contains(TAIYUAN, YUNCHENG)
    assert not region_contains(TAIYUAN, "140000")
    assert not region_contains(XIAODIAN, TAIYUAN)


def test_other_provinces_are_outside() -> None:
    assert not region_contains("140000", QUJING)
    assert not region_contains("530000", XIAODIAN)


def test_nation_contains_everything_and_nothing_contains_the_nation() -> None:
    assert region_contains(NATIONAL_CODE, QUJING)
    assert region_contains(NATIONAL_CODE, "140000")
    assert not region_contains("140000", NATIONAL_CODE)
