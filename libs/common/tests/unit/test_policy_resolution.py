"""Packs bound to a jurisdiction and a year (issue 12): a record's pack is resolved for that
record, an unknown id is refused, and a region/year no pack covers is a clear error."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from zhicheng_common.policy import NoPolicyPack, UnknownPolicyPack, pack_by_id, pack_for, resolve_pack


@pytest.mark.parametrize(
    ("region", "year", "pack_id"),
    [
        ("140105", 2024, "shanxi-2024"),  # a county of Taiyuan → the Shanxi pack of 2024
        ("140800", 2024, "shanxi-2024"),  # the city of Yuncheng
        ("140000", 2024, "shanxi-2024"),  # the province itself
        ("530102", 2023, "yunnan-2023"),  # a district of Kunming → the Yunnan pack of 2023
        ("140105", 2026, "shanxi-2024"),  # carried forward: shanxi-2024 applies through 2026
    ],
)
def test_a_record_of_a_region_and_year_gets_the_pack_of_that_jurisdiction_and_year(
    region: str, year: int, pack_id: str
) -> None:
    assert resolve_pack(region, year).id == pack_id


@pytest.mark.parametrize(
    ("region", "year"),
    [
        ("140105", 2023),  # Shanxi has a 2024 pack only: 2023 is not covered by it
        ("140105", 2027),  # past the Shanxi pack's applies_through_year (2026)
        ("530102", 2024),  # Yunnan has 2023 only
        ("440300", 2024),  # Guangdong has no pack at all
        ("999999", 2024),  # not a region code
    ],
)
def test_a_region_and_year_without_a_pack_is_a_clear_422(region: str, year: int) -> None:
    with pytest.raises(NoPolicyPack) as raised:
        resolve_pack(region, year)
    problem = raised.value.to_problem()
    assert (problem.status, problem.code) == (422, "no_policy_pack")
    assert problem.errors[0].facts == {"jurisdiction": region, "year": year}


def test_an_unknown_pack_id_is_refused_not_replaced_by_another_pack() -> None:
    with pytest.raises(UnknownPolicyPack) as raised:
        pack_by_id("shanxi-2019")
    problem = raised.value.to_problem()
    assert (problem.status, problem.code) == (422, "unknown_policy_pack")
    assert "shanxi-2019" in (problem.detail or "")


@dataclass
class _Record:
    policy_pack: str


def test_pack_for_loads_the_pack_the_record_was_bound_to() -> None:
    assert pack_for(_Record("yunnan-2023")).jurisdiction == "530000"
    with pytest.raises(UnknownPolicyPack):
        pack_for(_Record("atlantis-2024"))
