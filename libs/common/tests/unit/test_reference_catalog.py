"""The reference catalog names every code the services take, and messages show names, not codes."""

from __future__ import annotations

from typing import get_args

import pytest

from zhicheng_committees.committee.domain import CommitteeStatus, FilingStatus
from zhicheng_committees.committee.domain import OwnershipKind as CommitteeOwnership
from zhicheng_common.policy import SkillLevel, available_packs, load_pack
from zhicheng_common.reference import (
    channel_name,
    code_name,
    level_name,
    load_reference_catalog,
    ownership_name,
    rank_name,
    review_status_name,
    series_name,
    specialty_code,
    specialty_name,
    step_name,
)
from zhicheng_common.series import Level, Rank
from zhicheng_experts.draw.domain import OwnershipKind as ExpertOwnership
from zhicheng_intake.schemas import ChannelKind, DeclarationStatus, EmploymentStatus, Ownership, SanctionKind
from zhicheng_review.domain import ReviewStatus

CATALOG = load_reference_catalog()


def test_every_rank_and_level_has_a_name() -> None:
    assert set(CATALOG.ranks) == set(Rank)
    assert set(CATALOG.levels) == set(get_args(Level))
    assert [r for entry in CATALOG.levels.values() for r in entry.ranks] == list(Rank)


def test_every_ownership_kind_a_service_takes_is_catalogued() -> None:
    taken = set(get_args(Ownership)) | {k.value for k in CommitteeOwnership} | set(get_args(ExpertOwnership))
    assert taken <= set(CATALOG.ownership_kinds), taken - set(CATALOG.ownership_kinds)


@pytest.mark.parametrize("pack_id", available_packs())
def test_every_channel_of_intake_and_of_the_packs_chains_is_catalogued(pack_id: str) -> None:
    chains = load_pack(pack_id).parameters.review_chains.value
    in_chains = {channel for chain in chains.chains for channel in chain.channels}
    assert set(get_args(ChannelKind)) | in_chains <= set(CATALOG.channels)


def test_every_status_sanction_and_skill_level_a_message_names_is_catalogued() -> None:
    assert set(CATALOG.employment_statuses) == set(get_args(EmploymentStatus))
    assert set(CATALOG.sanction_kinds) == set(get_args(SanctionKind))
    assert set(CATALOG.skill_levels) == set(get_args(SkillLevel))
    assert set(CATALOG.committee_statuses) == {status.value for status in CommitteeStatus}
    assert set(CATALOG.declaration_statuses) == set(get_args(DeclarationStatus))
    assert set(CATALOG.filing_statuses) == {status.value for status in FilingStatus}
    assert code_name("declaration_statuses", "returned") == "退回补正"
    assert set(CATALOG.continuing_education_kinds) == {"total", "public", "professional"}


@pytest.mark.parametrize("pack_id", available_packs())
def test_every_step_of_the_packs_review_chains_and_every_review_status_is_named(pack_id: str) -> None:
    chains = load_pack(pack_id).parameters.review_chains.value
    steps = {step.key for chain in chains.chains for step in chain.steps}
    assert steps <= set(CATALOG.review_steps), steps - set(CATALOG.review_steps)
    assert set(CATALOG.review_statuses) == {status.value for status in ReviewStatus}
    assert step_name("county_hr_publicity") == "县级人社部门公示"
    assert review_status_name("in_publicity") == "公示中"


def test_NA_5_the_kinds_a_pack_never_asks_again_are_attachment_kinds() -> None:
    for pack_id in available_packs():
        kinds = set(load_pack(pack_id).parameters.not_asked_again_fields.value)
        assert kinds <= set(CATALOG.attachment_kinds), (pack_id, kinds - set(CATALOG.attachment_kinds))


def test_display_names_replace_codes_and_an_uncatalogued_code_shows_as_itself() -> None:
    assert series_name("economics") == "经济"
    assert rank_name(Rank.ASSOCIATE_SENIOR) == "副高级"
    assert level_name("junior") == "初级"
    assert specialty_name("engineering", "electrical") == "电气工程"
    assert specialty_name("engineering", "桥梁") == "桥梁"
    assert channel_name("employer") == "用人单位"
    assert ownership_name("freelancer") == "自由职业者"
    assert series_name("unknown_series") == "unknown_series"


def test_a_specialty_has_one_form_its_code_whether_given_by_code_or_by_catalog_name() -> None:
    assert specialty_code("engineering", "electrical") == "electrical"
    assert specialty_code("engineering", "电气工程") == "electrical"  # a row written before codes
    assert specialty_code("engineering", "桥梁") == "桥梁"  # not catalogued: stays as given
    assert specialty_code("accounting", "会计") == "会计"  # a series without a specialty list
