"""The eligibility engine: for every rule id an accepting and a refusing case, named by the id."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from services.intake.tests.builders import COMMITTEE_ID, committee_event, declaration_body, plan_event
from zhicheng_common.policy import PolicyPack, load_pack
from zhicheng_common.refusals import Refusal
from zhicheng_common.series import Rank, load_series_catalog
from zhicheng_intake import domain
from zhicheng_intake.reference import qualification_table
from zhicheng_intake.schemas import DeclarationCreate

PACK = load_pack("shanxi-2024")
TODAY = date(2024, 5, 1)


def committee(**changes: Any) -> domain.CommitteeScope:
    return domain.CommitteeScope.from_json(committee_event(**changes))


def window(**changes: Any) -> domain.DeclarationWindow:
    return domain.DeclarationWindow.from_json(plan_event(**changes))


def context(**changes: Any) -> domain.EligibilityContext:
    values: dict[str, Any] = {"today": TODAY, "committee": committee(), "windows": (window(),)}
    values.update(changes)
    return domain.EligibilityContext(**values)


def failures_of(
    body: dict[str, Any], *, ctx: domain.EligibilityContext | None = None, pack: PolicyPack = PACK
) -> list[domain.Failure]:
    """Every failure of ``body`` under ``pack``, in the domain's order."""
    return domain.check_eligibility(
        DeclarationCreate.model_validate(body),
        pack=pack,
        catalog=load_series_catalog(),
        table=qualification_table(),
        context=ctx or context(),
    )


def check(body: dict[str, Any], *, ctx: domain.EligibilityContext | None = None, pack: PolicyPack = PACK) -> list[str]:
    """The rule ids that refuse ``body`` (empty = accepted)."""
    return [f.rule or "" for f in failures_of(body, ctx=ctx, pack=pack)]


def with_param(name: str, value: Any) -> PolicyPack:
    """The Shanxi pack with one parameter changed (a province that sets it differently)."""
    parameters = PACK.parameters.model_copy(
        update={name: getattr(PACK.parameters, name).model_copy(update={"value": value})}
    )
    return PACK.model_copy(update={"parameters": parameters})


def test_a_complete_promotion_passes_every_rule() -> None:
    assert check(declaration_body()) == []


def test_failures_list_every_rule_with_message_and_facts() -> None:
    body = declaration_body(applicant__employment_status="retired")
    body["current_title"]["obtained_on"] = "2021-06-01"
    body["achievements"][0]["date"] = "2024-09-01"
    failures = failures_of(body)
    assert {f.rule for f in failures} >= {"NA-3", "EL-2", "EL-3"}
    for failure in failures:
        assert failure.message
        assert failure.code
    el2 = next(f for f in failures if f.rule == "EL-2")
    assert el2.facts["counted_to"] == "2024-12-31"


# --- channels ---
def test_CH_1_employer_channel_accepts_its_own_staff() -> None:
    assert check(declaration_body()) == []


def test_CH_1_freelancer_cannot_declare_through_an_employer() -> None:
    body = declaration_body(
        applicant__employer={**declaration_body()["applicant"]["employer"], "ownership": "freelancer"}
    )
    assert "CH-1" in check(body)


def test_CH_1_freelancer_goes_through_the_hr_department() -> None:
    body = declaration_body(channel={"kind": "hr_department", "name": "太原市人社局"})
    body["applicant"]["employer"]["ownership"] = "freelancer"
    assert "CH-1" not in check(body)


def test_CH_2_freelancer_may_go_through_an_industry_association() -> None:
    body = declaration_body(channel={"kind": "industry_association", "name": "山西省土木建筑学会"})
    body["applicant"]["employer"]["ownership"] = "freelancer"
    assert "CH-2" not in check(body)


def test_CH_2_employee_may_not_go_through_an_association() -> None:
    body = declaration_body(channel={"kind": "industry_association", "name": "山西省土木建筑学会"})
    assert "CH-2" in check(body)


def test_CH_3_private_enterprise_staff_may_use_a_service_point() -> None:
    body = declaration_body(channel={"kind": "hr_service_point", "name": "太原高新区人才服务站"})
    body["applicant"]["employer"]["ownership"] = "private_enterprise"
    assert check(body) == []


def test_CH_3_public_institution_staff_may_not_use_a_service_point() -> None:
    body = declaration_body(channel={"kind": "hr_service_point", "name": "太原高新区人才服务站"})
    assert check(body) == ["CH-3"]


# --- EL-1 .. EL-20 ---
def test_EL_1_declared_specialty_matches_practice() -> None:
    assert "EL-1" not in check(declaration_body())


def test_EL_1_declared_specialty_other_than_practiced_is_refused() -> None:
    assert "EL-1" in check(declaration_body(applicant__practiced_specialty="electrical"))


def test_EL_2_years_in_title_count_to_31_december() -> None:
    # Obtained 2019-12-31: on 2024-05-01 only 4 years have passed, but counted to 31 Dec it is 5.
    body = declaration_body()
    body["current_title"]["obtained_on"] = "2019-12-31"
    assert "EL-2" not in check(body)


def test_EL_2_too_few_years_in_title_is_refused() -> None:
    body = declaration_body()
    body["current_title"]["obtained_on"] = "2020-01-01"
    assert check(body) == ["EL-2"]


def test_EL_3_achievements_before_the_deadline_count() -> None:
    body = declaration_body()
    body["achievements"][0]["date"] = "2024-04-30"
    assert "EL-3" not in check(body)


def test_EL_3_achievement_after_the_declaration_deadline_is_refused() -> None:
    body = declaration_body()
    body["achievements"][0]["date"] = "2024-07-01"
    assert "EL-3" in check(body)


def test_EL_4_a_basically_qualified_year_does_not_count() -> None:
    body = declaration_body()
    body["current_title"]["obtained_on"] = "2019-03-01"
    body["assessments"] = [{"year": 2020, "grade": "basically_qualified"}, {"year": 2023, "grade": "qualified"}]
    assert check(body) == ["EL-4"]


def test_EL_4_qualified_years_all_count() -> None:
    body = declaration_body()
    body["current_title"]["obtained_on"] = "2019-03-01"
    assert "EL-4" not in check(body)


def _failure(body: dict[str, Any], rule: str) -> Refusal:
    return next(f for f in failures_of(body) if f.rule == rule)


def test_EL_4_years_without_a_declared_assessment_do_not_count_and_are_named() -> None:
    # Title obtained 2018-12-01, application year 2024: 6 full years to 2024-12-31 (EL-2), the years
    # 2019..2024. Declared: 2019, 2020, 2023 qualified; 2021 and 2022 missing; 2024 is assessed only at
    # the year's end. Counted by hand: 2019, 2020, 2023, 2024 = 4 years < 5 required for associate senior.
    body = declaration_body()
    body["assessments"] = [{"year": y, "grade": "qualified"} for y in (2018, 2019, 2020, 2023)]
    assert check(body) == ["EL-4"]
    failure = _failure(body, "EL-4")
    assert failure.facts["missing"] == [2021, 2022]
    assert failure.facts["counted"] == 4
    assert "2021、2022年度未申报年度考核结果" in failure.message


def test_EL_4_one_missing_year_of_six_still_leaves_the_five_required() -> None:
    # 2019..2024 less 2021 (missing) = 5 counted years: exactly the 5 required (以上 includes the bound).
    body = declaration_body()
    body["assessments"] = [{"year": y, "grade": "qualified"} for y in (2018, 2019, 2020, 2022, 2023)]
    assert "EL-4" not in check(body)


def test_EL_4_a_missing_and_a_basically_qualified_year_are_both_named() -> None:
    body = declaration_body()
    body["assessments"] = [
        {"year": 2019, "grade": "qualified"},
        {"year": 2020, "grade": "basically_qualified"},
        {"year": 2022, "grade": "qualified"},
        {"year": 2023, "grade": "qualified"},
    ]
    # 2019..2024 less 2020 (basically qualified) and 2021 (missing) = 4 < 5.
    failure = _failure(body, "EL-4")
    assert (failure.facts["not_counted"], failure.facts["missing"], failure.facts["counted"]) == ([2020], [2021], 4)


def test_EL_7_exempt_applicant_without_assessments_is_not_refused_by_EL_4() -> None:
    body = declaration_body(assessments=[])
    body["applicant"]["employer"]["ownership"] = "private_enterprise"
    assert "EL-4" not in check(body)


def test_EL_5_recent_assessment_qualified_is_accepted() -> None:
    assert "EL-5" not in check(declaration_body(assessments=[{"year": 2023, "grade": "excellent"}]))


def test_EL_5_no_qualified_assessment_this_or_last_year_is_refused() -> None:
    body = declaration_body(assessments=[{"year": 2023, "grade": "unqualified"}, {"year": 2022, "grade": "qualified"}])
    assert "EL-5" in check(body)


def _exceptional(**changes: Any) -> dict[str, Any]:
    body = declaration_body(kind="exceptional", **changes)
    body["current_title"]["obtained_on"] = "2022-01-01"
    body["achievements"][0]["major"] = True
    return body


def test_EL_6_exceptional_with_an_excellent_in_three_years_is_accepted() -> None:
    body = _exceptional(assessments=[{"year": 2022, "grade": "excellent"}, {"year": 2023, "grade": "qualified"}])
    assert check(body) == []


def test_EL_6_exceptional_without_an_excellent_is_refused() -> None:
    body = _exceptional(assessments=[{"year": 2022, "grade": "qualified"}, {"year": 2023, "grade": "qualified"}])
    assert check(body) == ["EL-6"]


def test_EL_7_private_enterprise_may_omit_assessments() -> None:
    body = declaration_body(assessments=[])
    body["applicant"]["employer"]["ownership"] = "private_enterprise"
    assert check(body) == []


def test_EL_7_public_institution_may_not_omit_assessments() -> None:
    # No assessment at all: EL-5 (none this or last year) and EL-4 (2019..2023 unassessed: 1 counted year of 5).
    assert check(declaration_body(assessments=[])) == ["EL-4", "EL-5"]


def test_EL_8_transfer_after_a_year_in_the_new_post_is_accepted() -> None:
    body = declaration_body(kind="transfer", post_changed_on="2023-03-01")
    body["target"].update(series="agriculture", rank="intermediate")
    body["target"]["specialty"] = "civil_construction"
    body["target"]["committee_id"] = str(COMMITTEE_ID)
    ctx = context(committee=committee(series="agriculture"), windows=(window(series="agriculture"),))
    assert check(body, ctx=ctx) == []


def test_EL_8_promotion_in_a_new_series_before_transfer_is_refused() -> None:
    body = declaration_body(post_changed_on="2023-03-01")
    body["current_title"]["series"] = "agriculture"
    assert "EL-8" in check(body)


def test_EL_8_transfer_before_a_year_in_the_new_post_is_refused() -> None:
    body = declaration_body(kind="transfer", post_changed_on="2023-09-01")
    body["target"].update(series="agriculture", rank="intermediate")
    ctx = context(committee=committee(series="agriculture"), windows=(window(series="agriculture"),))
    assert check(body, ctx=ctx) == ["EL-8"]


def test_EL_9_one_level_up_is_accepted() -> None:
    assert "EL-9" not in check(declaration_body())


def test_EL_9_skipping_a_level_is_refused() -> None:
    body = declaration_body()
    body["target"]["rank"] = "senior"
    body["current_title"]["obtained_on"] = "2015-01-01"
    assert check(body) == ["EL-9"]


def held(rank_title: str, level: str, number: str = "14-2023-0000005-8") -> domain.HeldTitle:
    """A valid engineering certificate of this platform, as intake's ``titles_held`` keeps it."""
    return domain.HeldTitle(number, "engineering", level, rank_title, date(2023, 6, 1))


def test_EL_9_a_title_held_by_certificate_above_the_declared_one_makes_the_same_level_no_promotion() -> None:
    # Declared: 工程师 (intermediate), applying for 高级工程师 (associate_senior): one level up, accepted
    # on its own. Held by certificate: 高级工程师 already, so the application is not a promotion.
    ctx = context(titles_held=(held("高级工程师", "associate_senior"),))
    [failure] = failures_of(declaration_body(), ctx=ctx)
    assert (failure.rule, failure.code) == ("EL-9", "not_a_promotion")
    assert failure.message == "申报层级须高于已持有的职称高级工程师（证书 14-2023-0000005-8）"
    assert failure.facts == {
        "current": "associate_senior",
        "target": "associate_senior",
        "current_from": "titles_held",
        "certificate_number": "14-2023-0000005-8",
    }


def test_EL_9_an_applicant_declaring_no_title_is_held_to_the_title_held_by_certificate() -> None:
    # Held: 工程师 (intermediate). Target 正高级工程师 (senior): intermediate → associate_senior → senior is
    # two steps, the Shanxi pack allows one (max_level_step = 1): refused as skipping a level.
    body = declaration_body(current_title=None)
    body["target"]["rank"] = "senior"
    failures = failures_of(body, ctx=context(titles_held=(held("工程师", "intermediate"),)))
    ladder = [f for f in failures if f.rule == "EL-9"]
    assert [(f.code, f.message) for f in ladder] == [
        ("skips_a_level", "须逐级申报：已持有的职称工程师（证书 14-2023-0000005-8），只可申报高1级")
    ]
    assert ladder[0].facts["current"] == "intermediate"
    assert ladder[0].facts["max_step"] == 1
    # Without the certificate the same declaration names no current title, and EL-9 has nothing to count from.
    assert "EL-9" not in check(body)


def test_EL_9_a_held_title_below_the_declared_one_leaves_the_declared_one_to_count_from() -> None:
    # Held: 助理工程师 (assistant); declared 工程师 (intermediate, obtained before the platform): the
    # declared title counts, and associate_senior is one level above it.
    assert check(declaration_body(), ctx=context(titles_held=(held("助理工程师", "junior"),))) == []


def test_EL_9_the_highest_of_several_titles_held_counts_and_an_unknown_name_counts_by_its_level() -> None:
    # 技术员 (clerk) and a title the catalog does not name at level intermediate (counted as intermediate):
    # the highest is intermediate, so associate_senior is one level up.
    titles = (held("技术员", "junior", "14-2015-0000001-3"), held("某某工程师", "intermediate"))
    assert titles[1].rank(load_series_catalog()) is Rank.INTERMEDIATE
    assert titles[0].rank(load_series_catalog()) is Rank.CLERK
    assert "EL-9" not in check(declaration_body(current_title=None), ctx=context(titles_held=titles))
    body = declaration_body(current_title=None)
    body["target"]["rank"] = "intermediate"
    [failure] = [f for f in failures_of(body, ctx=context(titles_held=titles)) if f.rule == "EL-9"]
    assert failure.code == "not_a_promotion"


def _initial(**changes: Any) -> dict[str, Any]:
    body = declaration_body(kind="initial_determination", current_title=None, assessments=[], **changes)
    body["target"]["rank"] = "assistant"
    body["applicant"]["education"]["graduated_on"] = "2023-07-01"
    return body


JUNIOR = committee(levels=["junior"])
JUNIOR_WINDOW = window(levels=["junior"], declaration_closes="2024-12-31")


def test_EL_10_initial_determination_before_30_november() -> None:
    assert check(_initial(), ctx=context(committee=JUNIOR, windows=(JUNIOR_WINDOW,))) == []


def test_EL_10_initial_determination_after_30_november_is_refused() -> None:
    ctx = context(today=date(2024, 12, 2), committee=JUNIOR, windows=(JUNIOR_WINDOW,))
    assert check(_initial(), ctx=ctx) == ["EL-10"]


def test_EL_11_first_promotion_application_of_the_year_is_accepted() -> None:
    assert "EL-11" not in check(declaration_body())


def test_EL_11_second_promotion_application_in_a_year_is_refused() -> None:
    other = domain.OtherDeclaration(uuid.uuid4(), 2024, "economics", "finance", "associate_senior", "normal")
    assert check(declaration_body(), ctx=context(other_declarations=(other,))) == ["EL-11"]


@pytest.mark.parametrize("status", ["rejected", "disqualified", "abandoned", "returned", "qualified"])
def test_EL_11_a_submitted_declaration_uses_the_year_whatever_its_outcome(status: str) -> None:
    other = domain.OtherDeclaration(uuid.uuid4(), 2024, "economics", "finance", "associate_senior", "normal", status)
    assert check(declaration_body(), ctx=context(other_declarations=(other,))) == ["EL-11"]


def test_EL_11_withdrawal_before_review_frees_the_year_only_where_the_pack_says_so() -> None:
    freed = domain.OtherDeclaration(
        uuid.uuid4(), 2024, "economics", "finance", "associate_senior", "normal", "withdrawn", True
    )
    late = domain.OtherDeclaration(
        uuid.uuid4(), 2024, "economics", "finance", "associate_senior", "normal", "withdrawn", False
    )
    assert check(declaration_body(), ctx=context(other_declarations=(freed,))) == []
    assert check(declaration_body(), ctx=context(other_declarations=(late,))) == ["EL-11"]
    strict = with_param("withdrawal_before_review_frees_year", False)
    assert check(declaration_body(), ctx=context(other_declarations=(freed,)), pack=strict) == ["EL-11"]


@pytest.mark.parametrize("kind", ["initial_determination", "high_level_talent", "postdoc", "qualification_mapping"])
def test_EL_11_initial_determination_and_direct_recognition_are_not_promotion_applications(kind: str) -> None:
    other = domain.OtherDeclaration(uuid.uuid4(), 2024, "engineering", "civil_construction", "intermediate", kind)
    assert check(declaration_body(), ctx=context(other_declarations=(other,))) == []


def _skilled(level: str, obtained_on: str, rank: str) -> dict[str, Any]:
    body = declaration_body(kind="skilled_worker", current_title=None)
    body["target"]["rank"] = rank
    body["skill_certificates"] = [
        {"level": level, "specialty": "civil_construction", "obtained_on": obtained_on, "number": "S-1"}
    ]
    return body


def test_EL_12_senior_technician_applies_for_associate_senior_engineer() -> None:
    assert check(_skilled("senior_technician", "2020-01-01", "associate_senior")) == []


def test_EL_12_series_outside_the_bridge_is_refused() -> None:
    body = _skilled("senior_technician", "2020-01-01", "associate_senior")
    body["target"]["series"] = "accounting"
    ctx = context(committee=committee(series="accounting"), windows=(window(series="accounting"),))
    assert "EL-12" in check(body, ctx=ctx)


def test_NA_17_technician_after_three_years_applies_for_engineer() -> None:
    assert check(_skilled("technician", "2021-06-01", "intermediate")) == []


def test_NA_17_technician_before_three_years_is_refused() -> None:
    assert check(_skilled("technician", "2022-06-01", "intermediate")) == ["NA-17"]


def _graduate(**changes: Any) -> dict[str, Any]:
    body = declaration_body(current_title=None, **changes)
    body["target"]["rank"] = "intermediate"
    body["applicant"]["employer"]["ownership"] = "private_enterprise"
    body["applicant"]["education"]["graduated_on"] = "2018-07-01"
    return body


def test_EL_13_private_graduate_without_title_applies_for_the_next_level() -> None:
    assert check(_graduate()) == []


def test_EL_13_public_unit_graduate_without_title_needs_initial_determination() -> None:
    body = _graduate()
    body["applicant"]["employer"]["ownership"] = "public_institution"
    assert "EL-13" in check(body)


def test_EL_14_enterprise_postdoc_is_recognised_at_associate_senior() -> None:
    body = declaration_body(kind="postdoc", current_title=None, assessments=[])
    body["applicant"]["employer"]["ownership"] = "private_enterprise"
    assert check(body) == []


def test_EL_14_public_institution_postdoc_is_refused() -> None:
    assert "EL-14" in check(declaration_body(kind="postdoc", current_title=None, assessments=[]))


def test_EL_15_first_application_after_leaving_a_party_organ_is_unbound() -> None:
    body = declaration_body(from_party_government_organ=True)
    body["applicant"]["employer"]["ownership"] = "private_enterprise"
    body["current_title"]["obtained_on"] = "2023-01-01"
    assert check(body) == []


def test_EL_15_not_at_a_private_enterprise_keeps_the_seniority_rule() -> None:
    body = declaration_body(from_party_government_organ=True)
    body["current_title"]["obtained_on"] = "2023-01-01"
    assert check(body) == ["EL-2"]


def _accounting(rank: str, **changes: Any) -> tuple[dict[str, Any], domain.EligibilityContext]:
    body = declaration_body(**changes)
    body["target"].update(series="accounting", specialty="accounting", rank=rank)
    body["applicant"]["practiced_specialty"] = "accounting"
    body["current_title"].update(series="accounting")
    ctx = context(committee=committee(series="accounting"), windows=(window(series="accounting"),))
    return body, ctx


def test_EL_16_exam_plus_evaluation_with_the_exam_passed_is_accepted() -> None:
    body, ctx = _accounting(
        "associate_senior", qualifications=[{"name": "高级会计师考试", "obtained_on": "2023-09-01", "number": "K-1"}]
    )
    assert check(body, ctx=ctx) == []


def test_EL_16_exam_instead_series_is_not_evaluated() -> None:
    body, ctx = _accounting("intermediate")
    body["current_title"]["rank"] = "assistant"
    assert "EL-16" in check(body, ctx=ctx)


def test_EL_16_exam_plus_evaluation_without_the_exam_is_refused() -> None:
    body, ctx = _accounting("associate_senior")
    assert check(body, ctx=ctx) == ["EL-16"]


def _mapping(name: str, rank: str) -> dict[str, Any]:
    body = declaration_body(kind="qualification_mapping", current_title=None, assessments=[])
    body["target"]["rank"] = rank
    body["qualifications"] = [{"name": name, "obtained_on": "2022-05-01", "number": "Q-1"}]
    return body


def test_NA_18_first_class_constructor_maps_to_engineer() -> None:
    assert check(_mapping("一级建造师", "intermediate")) == []


def test_NA_18_second_class_constructor_does_not_map_to_engineer() -> None:
    assert check(_mapping("二级建造师", "intermediate")) == ["NA-18"]


def test_EL_17_on_leave_for_two_years_declares_at_the_original_unit() -> None:
    body = declaration_body(leave_started_on="2022-06-01")
    body["applicant"]["employment_status"] = "on_leave_business"
    assert check(body) == []


def test_EL_17_on_leave_beyond_three_years_is_refused() -> None:
    body = declaration_body(leave_started_on="2021-03-01")
    body["applicant"]["employment_status"] = "on_leave_business"
    assert check(body) == ["EL-17"]


def test_EL_18_posted_for_a_year_declares_where_posted() -> None:
    body = declaration_body(posted_since="2023-04-01", declaring_where_posted=True)
    body["applicant"]["employer"]["ownership"] = "private_enterprise"
    assert check(body) == []


def test_EL_18_posted_for_less_than_a_year_is_refused() -> None:
    body = declaration_body(posted_since="2023-09-01", declaring_where_posted=True)
    body["applicant"]["employer"]["ownership"] = "private_enterprise"
    assert check(body) == ["EL-18"]


def test_EL_19_private_enterprise_needs_no_paper() -> None:
    body = declaration_body()
    body["applicant"]["employer"]["ownership"] = "private_enterprise"
    assert check(body) == []


def test_EL_19_a_pack_requiring_papers_refuses_without_one() -> None:
    body = declaration_body()
    body["applicant"]["employer"]["ownership"] = "private_enterprise"
    assert check(body, pack=with_param("private_enterprise_papers_required", True)) == ["EL-19"]


def test_EL_20_no_integrity_bar_is_accepted() -> None:
    assert "EL-20" not in check(declaration_body())


def test_EL_20_active_integrity_bar_is_refused() -> None:
    assert check(declaration_body(), ctx=context(integrity_bars=("rec-1",))) == ["EL-20"]


def test_ED_1_no_minimum_in_the_pack_checks_nothing() -> None:
    assert check(declaration_body(continuing_education=[])) == []


def test_ED_1_below_a_pack_minimum_is_refused() -> None:
    pack = with_param("continuing_education_total_hours_min", 90)
    assert check(declaration_body(), pack=pack) == []
    assert check(declaration_body(continuing_education=[]), pack=pack) == ["ED-1"]


def test_NA_3_in_service_applicant_is_accepted() -> None:
    assert "NA-3" not in check(declaration_body())


def test_NA_3_retired_applicant_is_refused() -> None:
    assert "NA-3" in check(declaration_body(applicant__employment_status="retired"))


def test_NA_3_public_staff_under_a_demerit_is_refused() -> None:
    body = declaration_body(applicant__sanction={"kind": "demerit", "until": "2024-12-31"})
    assert check(body) == ["NA-3"]


def test_NA_4_exceptional_with_a_major_contribution_is_accepted() -> None:
    assert "NA-4" not in check(_exceptional(assessments=[{"year": 2023, "grade": "excellent"}]))


def test_NA_4_exceptional_without_a_major_contribution_is_refused() -> None:
    body = _exceptional(assessments=[{"year": 2023, "grade": "excellent"}])
    body["achievements"][0]["major"] = False
    assert check(body) == ["NA-4"]


def test_NA_4_an_urgently_needed_talent_needs_one_year_fewer_in_title() -> None:
    body = declaration_body(relaxed_category="urgently_needed")
    body["current_title"]["obtained_on"] = "2020-01-01"  # 4 years counted to 31 December; 5 required
    assert check(body) == []
    body["current_title"]["obtained_on"] = "2021-01-01"  # 3 years: even relaxed, too few
    assert check(body) == ["EL-2"]


def test_NA_4_relaxation_follows_the_pack() -> None:
    body = declaration_body(relaxed_category="overseas_high_level")
    body["current_title"]["obtained_on"] = "2020-01-01"
    assert check(body, pack=with_param("relaxed_seniority_categories", ())) == ["EL-2"]
    assert check(body, pack=with_param("relaxed_seniority_years_fewer", 2)) == []


def test_NA_4_long_term_grassroots_staff_have_the_packs_years_at_the_grassroots() -> None:
    body = declaration_body(relaxed_category="grassroots_long_term", grassroots_years=10)
    body["current_title"]["obtained_on"] = "2020-01-01"
    assert check(body) == []


def test_NA_4_too_few_grassroots_years_is_refused_and_not_relaxed() -> None:
    body = declaration_body(relaxed_category="grassroots_long_term", grassroots_years=9)
    body["current_title"]["obtained_on"] = "2020-01-01"
    failures = failures_of(body)
    assert sorted(f.rule or "" for f in failures) == ["EL-2", "NA-4"]
    assert next(f for f in failures if f.rule == "NA-4").facts == {"grassroots_years": 9, "required": 10}


def test_NA_5_written_commitment_replaces_paper_proofs() -> None:
    assert check(declaration_body(written_commitment=True)) == []


def test_NA_5_without_the_written_commitment_is_refused() -> None:
    assert check(declaration_body(written_commitment=False)) == ["NA-5"]


# --- committees ---
def test_CM_4_inside_the_committee_scope_is_accepted() -> None:
    assert "CM-4" not in check(declaration_body())


def test_CM_4_level_outside_the_committee_scope_is_refused() -> None:
    ctx = context(committee=committee(levels=["intermediate"]))
    assert "CM-4" in check(declaration_body(), ctx=ctx)


def test_CM_4_series_outside_the_committee_scope_is_refused() -> None:
    ctx = context(committee=committee(series="agriculture"))
    assert "CM-4" in check(declaration_body(), ctx=ctx)


def test_CM_4_region_outside_the_committee_scope_is_refused() -> None:
    ctx = context(committee=committee(scope_regions=["140800"]))
    assert check(declaration_body(), ctx=ctx) == ["CM-4"]


def test_CM_5_inside_the_declaration_window_is_accepted() -> None:
    assert check(declaration_body(), ctx=context(today=date(2024, 6, 30))) == []


def test_CM_5_outside_the_declaration_window_is_refused() -> None:
    assert check(declaration_body(), ctx=context(today=date(2024, 7, 1))) == ["CM-5"]


def test_three_failed_rules_are_all_listed() -> None:
    body = declaration_body(applicant__practiced_specialty="electrical", written_commitment=False)
    assert sorted(check(body, ctx=context(integrity_bars=("r",)))) == ["EL-1", "EL-20", "NA-5"]


# --- state machine and corrections ---
def test_RV_3_only_a_returned_declaration_can_be_resubmitted_or_abandoned() -> None:
    assert domain.can_move("returned", "resubmitted")
    assert domain.can_move("returned", "abandoned")
    assert not domain.can_move("submitted", "abandoned")
    assert not domain.can_move("abandoned", "resubmitted")
    assert not domain.can_move("qualified", "withdrawn")


def test_RV_3_changes_outside_the_listed_fields_are_named() -> None:
    before = {"applicant": {"post": "a", "name": "张三"}, "achievements": [{"title": "x"}]}
    after = {"applicant": {"post": "b", "name": "张三"}, "achievements": [{"title": "y"}]}
    changed = domain.changed_paths(before, after)
    assert changed == {"applicant.post", "achievements.0.title"}
    assert domain.outside_correction(changed, ["achievements"]) == ["applicant.post"]
    assert domain.outside_correction(changed, ["achievements", "applicant.post"]) == []


def test_future_dates_are_found_wherever_they_are() -> None:
    body = declaration_body()
    body["achievements"][0]["date"] = "2024-05-02"
    assert domain.future_dates(DeclarationCreate.model_validate(body), TODAY) == ["achievements.0.date"]
