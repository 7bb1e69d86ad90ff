"""Policy packs: loading, validation, and the values of RULES.md in both packs."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from zhicheng_common.policy import (
    KNOWN_RULE_IDS,
    Parameter,
    PolicyPack,
    PolicyPackError,
    PolicyParameters,
    Ratio,
    at_least_fraction,
    available_packs,
    load_pack,
    load_pack_file,
)
from zhicheng_common.series import Rank

PACKS = ["shanxi-2024", "yunnan-2023"]
SHANXI = load_pack("shanxi-2024")
YUNNAN = load_pack("yunnan-2023")


def _packaged_yaml(pack_id: str) -> dict[str, Any]:
    path = Path(__file__).parents[2] / "src" / "zhicheng_common" / "policies" / f"{pack_id}.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "pack.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


# --- Loading -------------------------------------------------------------------------------------


def test_both_packs_are_shipped_and_load() -> None:
    assert available_packs() == PACKS
    assert SHANXI.jurisdiction == "140000"
    assert SHANXI.year == 2024
    assert YUNNAN.jurisdiction == "530000"
    assert YUNNAN.year == 2023


def test_load_pack_is_cached() -> None:
    assert load_pack("shanxi-2024") is SHANXI


def test_unknown_pack_is_refused() -> None:
    with pytest.raises(PolicyPackError, match="shanxi-2024"):
        load_pack("atlantis-2024")


@pytest.mark.parametrize("pack", [SHANXI, YUNNAN], ids=PACKS)
def test_every_parameter_carries_a_known_rule_id(pack: PolicyPack) -> None:
    for name in PolicyParameters.model_fields:
        parameter = getattr(pack.parameters, name)
        assert isinstance(parameter, Parameter), name
        assert parameter.rule in KNOWN_RULE_IDS, name
        assert set(parameter.also) <= KNOWN_RULE_IDS, name


def test_every_parameter_description_names_its_rule() -> None:
    for name, field in PolicyParameters.model_fields.items():
        assert field.description, name
        assert SHANXI.parameters.model_dump()[name]["rule"] in field.description, name


def test_known_rule_ids_match_rules_md() -> None:
    # RULES.md lives outside the package (in the project's shared documents); check when present.
    here = Path(__file__).resolve()
    candidates = [parent / "shared" / "domain" / "RULES.md" for parent in here.parents]
    candidates += [parent / "docs" / "RULES.md" for parent in here.parents]
    found = next((path for path in candidates if path.is_file()), None)
    if found is None:
        pytest.skip("RULES.md not found next to the repository")
    stated = set(re.findall(r"^- ([A-Z]{2}-\d+) ", found.read_text(encoding="utf-8"), flags=re.MULTILINE))
    assert stated == KNOWN_RULE_IDS


def test_load_pack_file_reads_a_configured_pack(tmp_path: Path) -> None:
    assert load_pack_file(_write(tmp_path, _packaged_yaml("yunnan-2023"))) == YUNNAN


# --- Refusals ------------------------------------------------------------------------------------


def test_unknown_rule_id_is_refused_naming_the_field(tmp_path: Path) -> None:
    data = _packaged_yaml("shanxi-2024")
    data["parameters"]["publicity_working_days"]["rule"] = "RV-99"
    path = _write(tmp_path, data)
    with pytest.raises(PolicyPackError) as caught:
        load_pack_file(path)
    assert caught.value.source == str(path)
    assert caught.value.problems[0][0] == "parameters.publicity_working_days.rule"
    assert "RV-99" in str(caught.value)
    assert str(path) in str(caught.value)


def test_malformed_rule_id_in_also_is_refused(tmp_path: Path) -> None:
    data = _packaged_yaml("shanxi-2024")
    data["parameters"]["publicity_working_days"]["also"] = ["na-6"]
    with pytest.raises(PolicyPackError, match=r"parameters\.publicity_working_days\.also\.0"):
        load_pack_file(_write(tmp_path, data))


def test_missing_parameter_is_refused_naming_the_field(tmp_path: Path) -> None:
    data = _packaged_yaml("shanxi-2024")
    del data["parameters"]["quorum"]
    with pytest.raises(PolicyPackError) as caught:
        load_pack_file(_write(tmp_path, data))
    assert ("parameters.quorum", "Field required") in caught.value.problems


def test_unknown_parameter_is_refused(tmp_path: Path) -> None:
    data = _packaged_yaml("shanxi-2024")
    data["parameters"]["publicity_days"] = {"value": 5, "rule": "RV-6"}
    with pytest.raises(PolicyPackError, match=r"parameters\.publicity_days"):
        load_pack_file(_write(tmp_path, data))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("publicity_working_days", "5"),  # quoted number
        ("publicity_working_days", True),
        ("publicity_working_days", 0),
        ("members_odd", "yes"),
        ("quorum", "3/2"),  # more than the whole
        ("quorum", 0.667),  # fractions are never floats
        ("years_counted_to", "02-30"),
        ("assessment_grades_counting", ["excellent", "good"]),
    ],
)
def test_wrong_type_is_refused_naming_the_field(tmp_path: Path, name: str, value: object) -> None:
    data = _packaged_yaml("shanxi-2024")
    data["parameters"][name]["value"] = value
    with pytest.raises(PolicyPackError) as caught:
        load_pack_file(_write(tmp_path, data))
    assert all(field.startswith(f"parameters.{name}.value") for field, _ in caught.value.problems)


def test_unquoted_jurisdiction_is_refused(tmp_path: Path) -> None:
    data = _packaged_yaml("shanxi-2024")
    data["jurisdiction"] = 140000
    with pytest.raises(PolicyPackError, match="jurisdiction"):
        load_pack_file(_write(tmp_path, data))


def test_CM_6_deadlines_out_of_order_are_refused(tmp_path: Path) -> None:
    data = _packaged_yaml("shanxi-2024")
    data["parameters"]["results_confirmed_by"]["value"] = "12-25"
    with pytest.raises(PolicyPackError, match="results_confirmed_by"):
        load_pack_file(_write(tmp_path, data))


def test_duplicate_key_is_refused(tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "src/zhicheng_common/policies/shanxi-2024.yaml").read_text("utf-8")
    text += "  quorum: {value: '1/2', rule: MT-1}\n"
    path = tmp_path / "pack.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyPackError, match="duplicate key 'quorum'"):
        load_pack_file(path)


def test_unreadable_or_non_mapping_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyPackError, match=r"missing\.yaml"):
        load_pack_file(tmp_path / "missing.yaml")
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(PolicyPackError, match="mapping"):
        load_pack_file(path)


# --- Fractions -----------------------------------------------------------------------------------


def test_NA_7_two_thirds_includes_the_bound() -> None:
    assert at_least_fraction(2, 3, 2, 3)
    assert at_least_fraction(6, 9, 2, 3)
    assert not at_least_fraction(5, 9, 2, 3)
    assert at_least_fraction(0, 0, 2, 3)


def test_NA_7_min_yes_votes_is_the_ceiling_of_two_thirds() -> None:
    threshold = Ratio(numerator=2, denominator=3)
    assert [threshold.min_count(attending) for attending in (3, 7, 9, 11, 25)] == [2, 5, 6, 8, 17]


@given(
    count=st.integers(min_value=0, max_value=200),
    total=st.integers(min_value=0, max_value=200),
    numerator=st.integers(min_value=0, max_value=10),
    denominator=st.integers(min_value=1, max_value=10),
)
def test_at_least_fraction_agrees_with_min_count(count: int, total: int, numerator: int, denominator: int) -> None:
    ratio = Ratio(numerator=min(numerator, denominator), denominator=denominator)
    assert ratio.is_met_by(count, total) == (count >= ratio.min_count(total))


def test_at_least_fraction_refuses_a_zero_denominator() -> None:
    with pytest.raises(ValueError, match="denominator"):
        at_least_fraction(1, 1, 1, 0)


# --- Values of RULES.md --------------------------------------------------------------------------

BOTH = pytest.mark.parametrize("pack", [SHANXI, YUNNAN], ids=PACKS)


@BOTH
def test_EL_2_years_are_counted_to_31_december(pack: PolicyPack) -> None:
    assert pack.parameters.years_counted_to.value.in_year(pack.year) == date(pack.year, 12, 31)


@BOTH
def test_EL_4_EL_5_qualified_or_better_counts(pack: PolicyPack) -> None:
    assert set(pack.parameters.assessment_grades_counting.value) == {"excellent", "qualified"}
    assert set(pack.parameters.recent_assessment_grades_accepted.value) == {"excellent", "qualified"}
    assert pack.parameters.recent_assessment_years_back.value == 1


@BOTH
def test_EL_6_exceptional_needs_one_excellent_in_three_years(pack: PolicyPack) -> None:
    assert pack.parameters.exceptional_excellent_min_count.value == 1
    assert pack.parameters.exceptional_excellent_window_years.value == 3


@BOTH
def test_EL_8_to_EL_11_one_year_one_level_one_application(pack: PolicyPack) -> None:
    assert pack.parameters.transfer_min_years_in_new_post.value == 1
    assert pack.parameters.max_level_step.value == 1
    assert str(pack.parameters.initial_determination_deadline.value) == "11-30"
    assert pack.parameters.max_promotion_applications_per_year.value == 1


@BOTH
def test_NA_17_skilled_worker_bridge(pack: PolicyPack) -> None:
    bridge = {
        row.skill_level: (row.years_required, row.title_level) for row in pack.parameters.skilled_worker_bridge.value
    }
    assert bridge == {
        "senior_worker": (2, "junior"),
        "technician": (3, "intermediate"),
        "senior_technician": (4, "associate_senior"),
    }
    assert "engineering" in pack.parameters.skilled_worker_bridge_series.value


def test_EL_12_shanxi_bridges_the_series_of_TY21() -> None:
    assert set(SHANXI.parameters.skilled_worker_bridge_series.value) == {
        "engineering",
        "agriculture",
        "arts_and_crafts",
        "cultural_relics",
        "art",
        "sports",
        "technical_school_teachers",
    }


def test_EL_13_EL_15_shanxi_green_channels_are_open() -> None:
    p = SHANXI.parameters
    assert p.private_graduate_direct_next_level_enabled.value
    assert p.party_government_transfer_unbound_enabled.value
    assert p.direct_recognition_enabled.value
    assert p.qualification_recognition_enabled.value


@BOTH
def test_EL_17_EL_18_EL_19_private_enterprise_measures(pack: PolicyPack) -> None:
    assert pack.parameters.leave_post_original_unit_years.value == 3
    assert pack.parameters.posted_elsewhere_min_months.value == 12
    assert pack.parameters.private_enterprise_papers_required.value is False


@BOTH
def test_ED_1_no_hours_are_checked_without_a_source(pack: PolicyPack) -> None:
    assert pack.parameters.continuing_education_total_hours_min.value is None
    assert pack.parameters.continuing_education_public_hours_min.value is None
    assert pack.parameters.continuing_education_professional_hours_min.value is None


@BOTH
def test_RV_6_publicity_is_five_working_days_in_both_packs(pack: PolicyPack) -> None:
    assert pack.parameters.publicity_working_days.value == 5
    assert pack.parameters.publicity_working_days.rule == "RV-6"


@BOTH
def test_NA_1_committee_sizes_and_filing(pack: PolicyPack) -> None:
    p = pack.parameters
    assert p.senior_committee_min_members_per_series.value == 25
    assert p.senior_committee_min_members_per_specialty.value == 11
    assert p.committee_filing_validity_years.value == 3
    assert p.members_odd.value is True


@BOTH
def test_CM_3_senior_committees_are_approved_by_provincial_hr(pack: PolicyPack) -> None:
    authorities = pack.parameters.committee_approval_authorities.value
    assert authorities.senior == ("provincial_hr",)
    assert "city_hr" in authorities.intermediate
    assert "provincial_industry_department" in authorities.junior


def test_CM_6_shanxi_finishes_by_30_november_and_yunnan_in_early_december() -> None:
    assert str(SHANXI.parameters.evaluation_finished_by.value) == "11-30"
    assert str(YUNNAN.parameters.evaluation_finished_by.value) == "12-10"
    for pack in (SHANXI, YUNNAN):
        assert str(pack.parameters.results_confirmed_by.value) == "12-15"
        assert str(pack.parameters.results_reported_by.value) == "12-20"
        assert str(pack.parameters.results_published_by.value) == "12-31"


@BOTH
def test_CM_7_CM_8_CM_9_CM_11_working_day_deadlines(pack: PolicyPack) -> None:
    p = pack.parameters
    assert p.notice_working_days_before_meeting.value == 30
    assert p.pre_meeting_filing_working_days.value == 5
    assert p.post_meeting_filing_working_days.value == 15
    assert p.results_entry_working_days.value == 5


@BOTH
def test_EX_1_to_EX_4_draws_terms_and_refiling(pack: PolicyPack) -> None:
    p = pack.parameters
    assert p.draw_signers.value == 3
    assert p.expert_draw_working_days_before_meeting.value == 5
    assert p.expert_term_max_years.value == 3
    assert p.expert_pool_filing_validity_years.value == 3
    assert (
        p.expert_pool_new_member_min_share.value.numerator,
        p.expert_pool_new_member_min_share.value.denominator,
    ) == (1, 3)
    assert p.expert_pool_refiling_lead_working_days.value == 20


@BOTH
def test_NA_9_default_recusal_relationships(pack: PolicyPack) -> None:
    assert set(pack.parameters.recusal_relationships.value) == {
        "spouse",
        "lineal_relative",
        "collateral_relative_within_three_generations",
        "close_in_law",
        "same_unit",
        "teacher_student",
        "co_author",
    }


@BOTH
def test_MT_1_NA_7_quorum_and_pass_threshold_are_two_thirds(pack: PolicyPack) -> None:
    for ratio in (pack.parameters.quorum.value, pack.parameters.pass_threshold.value):
        assert (ratio.numerator, ratio.denominator) == (2, 3)
    assert pack.parameters.pass_threshold.value.is_met_by(6, 9)
    assert not pack.parameters.pass_threshold.value.is_met_by(5, 9)


@BOTH
def test_MT_2_NA_8_at_least_three_readers(pack: PolicyPack) -> None:
    assert pack.parameters.min_readers_per_applicant.value == 3


@BOTH
def test_IN_2_NA_13_integrity_records_and_bar_last_three_years(pack: PolicyPack) -> None:
    assert pack.parameters.integrity_record_years.value == 3
    assert pack.parameters.integrity_declaring_bar_years.value == 3


# --- Seniority and review chains (moved from service data into the packs) --------------------------


@BOTH
def test_EL_2_EL_13_years_required_per_rank(pack: PolicyPack) -> None:
    in_title = pack.parameters.years_in_title_required
    assert in_title.rule == "EL-2"
    assert in_title.value[Rank.INTERMEDIATE] == 4
    assert in_title.value[Rank.ASSOCIATE_SENIOR] == 5
    since_graduation = pack.parameters.years_since_graduation_required
    assert since_graduation.rule == "EL-13"
    assert since_graduation.value[Rank.ASSISTANT] == 1


def test_EL_2_an_unknown_rank_in_the_years_table_is_refused(tmp_path: Path) -> None:
    data = _packaged_yaml("shanxi-2024")
    data["parameters"]["years_in_title_required"]["value"]["grandmaster"] = 9
    with pytest.raises(PolicyPackError, match=r"parameters\.years_in_title_required\.value\.grandmaster"):
        load_pack_file(_write(tmp_path, data))


@BOTH
def test_CH_4_every_channel_level_has_one_review_chain_ending_at_the_committee_office(pack: PolicyPack) -> None:
    chains = pack.parameters.review_chains
    assert chains.rule == "CH-4"
    assert chains.value.default_channel == "employer"
    for chain in chains.value.chains:
        assert chain.steps[-1].role == "committee_office"
        assert any(step.kind == "publicity" for step in chain.steps)  # RV-6, NA-6
    assert pack.parameters.not_asked_again_fields.rule == "NA-5"
    assert "identity_document" in pack.parameters.not_asked_again_fields.value


def _first_chain(data: dict[str, Any]) -> dict[str, Any]:
    chain: dict[str, Any] = data["parameters"]["review_chains"]["value"]["chains"][0]
    return chain


def test_CH_4_a_review_step_without_working_days_is_refused(tmp_path: Path) -> None:
    data = _packaged_yaml("shanxi-2024")
    del _first_chain(data)["steps"][0]["working_days"]
    with pytest.raises(PolicyPackError, match="working_days"):
        load_pack_file(_write(tmp_path, data))


def test_RV_6_a_publicity_step_with_its_own_days_is_refused(tmp_path: Path) -> None:
    data = _packaged_yaml("shanxi-2024")
    _first_chain(data)["steps"][1]["working_days"] = 3
    with pytest.raises(PolicyPackError, match="publicity_working_days"):
        load_pack_file(_write(tmp_path, data))


def test_CH_1_a_channel_in_two_chains_of_one_level_is_refused(tmp_path: Path) -> None:
    data = _packaged_yaml("shanxi-2024")
    data["parameters"]["review_chains"]["value"]["chains"][1]["channels"].append("employer")
    with pytest.raises(PolicyPackError, match="employer"):
        load_pack_file(_write(tmp_path, data))


def test_CH_4_an_unknown_reviewer_role_or_a_default_channel_without_chain_is_refused(tmp_path: Path) -> None:
    data = _packaged_yaml("shanxi-2024")
    _first_chain(data)["steps"][0]["role"] = "janitor"
    with pytest.raises(PolicyPackError, match=r"review_chains\.value\.chains\.0\.steps\.0\.role"):
        load_pack_file(_write(tmp_path, data))
    data = _packaged_yaml("shanxi-2024")
    data["parameters"]["review_chains"]["value"]["default_channel"] = "carrier_pigeon"
    with pytest.raises(PolicyPackError, match="carrier_pigeon"):
        load_pack_file(_write(tmp_path, data))


# --- Experts of a draw (NA-2, NA-1) ----------------------------------------------------------------


@BOTH
def test_NA_2_experts_hold_at_least_the_rank_evaluated(pack: PolicyPack) -> None:
    held = pack.parameters.expert_min_rank_held
    assert held.rule == "NA-2"
    assert held.value[Rank.SENIOR] == Rank.SENIOR  # 正高 evaluations need 正高
    assert held.value[Rank.ASSOCIATE_SENIOR] == Rank.ASSOCIATE_SENIOR
    assert set(held.value) == set(Rank)


def test_NA_2_a_pack_may_raise_the_rank_experts_hold(tmp_path: Path) -> None:
    data = _packaged_yaml("shanxi-2024")
    data["parameters"]["expert_min_rank_held"]["value"]["intermediate"] = "associate_senior"
    pack = load_pack_file(_write(tmp_path, data))
    assert pack.parameters.expert_min_rank_held.value[Rank.INTERMEDIATE] == Rank.ASSOCIATE_SENIOR


def test_NA_2_an_expert_rank_below_the_rank_evaluated_is_refused(tmp_path: Path) -> None:
    data = _packaged_yaml("shanxi-2024")
    data["parameters"]["expert_min_rank_held"]["value"]["senior"] = "associate_senior"
    with pytest.raises(PolicyPackError, match=r"parameters\.expert_min_rank_held\.value: .*senior→associate_senior"):
        load_pack_file(_write(tmp_path, data))


def test_NA_2_a_rank_missing_from_the_expert_table_is_refused(tmp_path: Path) -> None:
    data = _packaged_yaml("shanxi-2024")
    del data["parameters"]["expert_min_rank_held"]["value"]["clerk"]
    with pytest.raises(PolicyPackError, match=r"parameters\.expert_min_rank_held\.value: .*ranks missing\): clerk"):
        load_pack_file(_write(tmp_path, data))


def test_NA_1_minimum_members_by_level_and_basis() -> None:
    p = SHANXI.parameters
    # Shanxi: 25 per series and 11 per specialty (N40), 15 intermediate and 9 junior (pack choice).
    assert p.minimum_members("senior", "per_series").value == 25
    assert p.minimum_members("senior", "per_specialty").value == 11
    assert p.minimum_members("intermediate", "per_series").value == 15
    assert p.minimum_members("junior", "per_specialty").value == 9
    assert p.minimum_members("senior", "per_series").rule == "NA-1"
