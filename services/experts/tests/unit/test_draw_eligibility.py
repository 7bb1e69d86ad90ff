"""Step 2 of a draw: who is eligible, and every exclusion with its reason and rule id."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from zhicheng_common.series import Rank
from zhicheng_experts.draw.domain import (
    Applicant,
    DrawParameters,
    Eligibility,
    Expert,
    Meeting,
    PoolFiling,
    Relationship,
    Term,
    eligibility,
    last_day_of_years,
)

from .conftest import FILING, FROZEN_ON, MEETING, PARAMS, applicant, expert


def sort(
    experts: list[Expert],
    *,
    applicants: tuple[Applicant, ...] = (),
    meeting: Meeting = MEETING,
    filing: PoolFiling = FILING,
    params: DrawParameters = PARAMS,
) -> Eligibility:
    return eligibility(
        meeting=meeting, filing=filing, experts=experts, applicants=applicants, frozen_on=FROZEN_ON, params=params
    )


def reasons(result: Eligibility, expert_id: str) -> list[tuple[str, str]]:
    found = [e for e in result.excluded if e.expert_id == expert_id]
    return [(r.code, r.rule) for r in found[0].reasons] if found else []


def eligible_ids(result: Eligibility) -> list[str]:
    return [c.id for c in result.eligible]


def test_every_expert_is_either_eligible_or_excluded_sorted_by_id() -> None:
    pool = [expert(3), expert(1, status="suspended"), expert(2)]
    result = sort(pool)
    assert eligible_ids(result) == ["e0002", "e0003"]
    assert [e.expert_id for e in result.excluded] == ["e0001"]


# --- EX-3: terms and pool filings ------------------------------------------------------------------


def test_NA_14_a_period_of_years_ends_the_day_before_the_corresponding_day() -> None:
    # First day D, n years: the day before D's corresponding day (Civil Code art. 201-202).
    assert last_day_of_years(date(2024, 1, 1), 3) == date(2026, 12, 31)
    assert last_day_of_years(date(2021, 11, 16), 3) == date(2024, 11, 15)
    assert last_day_of_years(date(2024, 3, 1), 3) == date(2027, 2, 28)  # the day before is 29 Feb
    assert last_day_of_years(date(2024, 2, 29), 3) == date(2027, 2, 28)


def test_EX_3_an_expert_in_term_on_the_meeting_day_is_eligible_up_to_the_last_day() -> None:
    # 2021-11-16 + 3 years ends on 2024-11-15, the meeting day: still in term.
    result = sort([expert(1, terms=(Term(date(2021, 11, 16), date(2024, 11, 15)),))])
    assert eligible_ids(result) == ["e0001"]


def test_EX_3_term_ended_before_the_meeting_is_excluded() -> None:
    result = sort([expert(1, terms=(Term(date(2021, 11, 14), date(2024, 11, 14)),))])
    assert reasons(result, "e0001") == [("term_ended", "EX-3")]


def test_EX_3_a_term_longer_than_the_packs_years_ends_at_the_limit() -> None:
    # Stated to end on the meeting day, but 3 years from 2021-11-15 end on 2024-11-14.
    result = sort([expert(1, terms=(Term(date(2021, 11, 15), date(2024, 11, 15)),))])
    assert reasons(result, "e0001") == [("term_ended", "EX-3")]
    assert "2024-11-14届满" in result.excluded[0].reasons[0].message


def test_EX_3_a_term_not_begun_or_no_term_at_all_is_excluded() -> None:
    later = expert(1, terms=(Term(date(2024, 11, 16), date(2027, 11, 15)),))
    none = expert(2, terms=())
    result = sort([later, none])
    assert reasons(result, "e0001") == [("term_ended", "EX-3")]
    assert reasons(result, "e0002") == [("term_ended", "EX-3")]


def test_EX_3_a_second_term_counts() -> None:
    terms = (Term(date(2018, 1, 1), date(2020, 12, 31)), Term(date(2024, 1, 1), date(2026, 12, 31)))
    assert eligible_ids(sort([expert(1, terms=terms)])) == ["e0001"]


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "eligible"),
    [
        (date(2021, 11, 16), date(2024, 11, 15), True),  # last valid day is the meeting day
        (date(2021, 11, 15), date(2024, 11, 15), False),  # 3 years from 2021-11-15 end on 2024-11-14
        (date(2023, 1, 1), date(2024, 11, 14), False),  # expires the day before the meeting
        (date(2024, 11, 2), date(2026, 12, 31), False),  # not yet in force when the pool was frozen (11-01)
        (date(2024, 11, 1), date(2026, 12, 31), True),  # in force from the freezing day
    ],
)
def test_EX_3_pool_filing_in_force_from_freezing_through_the_meeting(
    valid_from: date, valid_until: date, eligible: bool
) -> None:
    filing = PoolFiling("filing-2", "committee-1", valid_from, valid_until)
    result = sort([expert(1), expert(2)], filing=filing)
    if eligible:
        assert eligible_ids(result) == ["e0001", "e0002"]
    else:
        assert eligible_ids(result) == []
        assert reasons(result, "e0001") == reasons(result, "e0002") == [("pool_filing_expired", "EX-3")]


def test_EX_3_the_term_and_filing_years_come_from_the_pack() -> None:
    # With 4-year terms, a term from 2020-11-16 is in force through 2024-11-15.
    term = (Term(date(2020, 11, 16), date(2024, 11, 15)),)
    assert reasons(sort([expert(1, terms=term)]), "e0001") == [("term_ended", "EX-3")]
    longer = PARAMS.model_copy(
        update={"expert_term_max_years": PARAMS.expert_term_max_years.model_copy(update={"value": 4})}
    )
    assert eligible_ids(sort([expert(1, terms=term)], params=longer)) == ["e0001"]


def test_a_filing_of_another_committee_is_a_callers_error() -> None:
    with pytest.raises(ValueError, match="committee-9"):
        sort([expert(1)], filing=replace(FILING, committee_id="committee-9"))


# --- Status and NA-13 integrity bars ---------------------------------------------------------------


def test_NA_13_an_expert_under_an_integrity_bar_is_excluded_naming_the_record() -> None:
    result = sort([expert(1, integrity_bars=("record-7", "record-3")), expert(2)])
    assert reasons(result, "e0001") == [("integrity_bar", "NA-13"), ("integrity_bar", "NA-13")]
    assert "record-3" in result.excluded[0].reasons[0].message
    assert "record-7" in result.excluded[0].reasons[1].message
    assert eligible_ids(result) == ["e0002"]


def test_NA_13_a_disqualified_expert_and_EX_1_a_suspended_one_are_excluded() -> None:
    result = sort([expert(1, status="disqualified"), expert(2, status="suspended")])
    assert reasons(result, "e0001") == [("expert_disqualified", "NA-13")]
    assert reasons(result, "e0002") == [("expert_suspended", "EX-1")]


# --- NA-2: series, rank and field ------------------------------------------------------------------


def test_NA_2_an_expert_of_another_series_is_excluded() -> None:
    result = sort([expert(1, series="economics")])
    assert reasons(result, "e0001") == [("series_not_held", "NA-2")]
    [excluded] = result.excluded
    # The series by the catalog's names, never their codes (issue 13).
    assert excluded.reasons[0].message == "专家职称系列（经济）与评委会系列（工程技术）不同"


def test_NA_2_a_zheng_gao_evaluation_needs_zheng_gao_experts() -> None:
    zheng_gao = replace(MEETING, evaluation_ranks=(Rank.SENIOR,))
    result = sort([expert(1, rank_held=Rank.ASSOCIATE_SENIOR), expert(2, rank_held=Rank.SENIOR)], meeting=zheng_gao)
    assert reasons(result, "e0001") == [("level_not_held", "NA-2")]
    assert "正高级" in result.excluded[0].reasons[0].message
    assert eligible_ids(result) == ["e0002"]


def test_NA_2_a_fu_gao_evaluation_takes_fu_gao_and_zheng_gao_experts() -> None:
    pool = [
        expert(1, rank_held=Rank.ASSOCIATE_SENIOR),
        expert(2, rank_held=Rank.SENIOR),
        expert(3, rank_held=Rank.INTERMEDIATE),
    ]
    result = sort(pool)
    assert eligible_ids(result) == ["e0001", "e0002"]
    assert reasons(result, "e0003") == [("level_not_held", "NA-2")]


def test_NA_2_a_meeting_evaluating_both_senior_ranks_needs_the_higher() -> None:
    both = replace(MEETING, evaluation_ranks=(Rank.ASSOCIATE_SENIOR, Rank.SENIOR))
    assert reasons(sort([expert(1)], meeting=both), "e0001") == [("level_not_held", "NA-2")]


def test_NA_2_the_rank_experts_hold_comes_from_the_pack() -> None:
    intermediate = replace(
        MEETING, committee_level="intermediate", evaluation_ranks=(Rank.INTERMEDIATE,), formation_basis="per_series"
    )
    pool = [expert(1, rank_held=Rank.INTERMEDIATE)]
    assert eligible_ids(sort(pool, meeting=intermediate)) == ["e0001"]
    table = dict(PARAMS.expert_min_rank_held.value) | {Rank.INTERMEDIATE: Rank.ASSOCIATE_SENIOR}
    stricter = PARAMS.model_copy(
        update={"expert_min_rank_held": PARAMS.expert_min_rank_held.model_copy(update={"value": table})}
    )
    assert reasons(sort(pool, meeting=intermediate, params=stricter), "e0001") == [("level_not_held", "NA-2")]


def test_NA_2_an_expert_outside_the_meetings_specialties_is_excluded() -> None:
    result = sort([expert(1, specialties=("water",)), expert(2, specialties=("water", "power", "civil"))])
    assert reasons(result, "e0001") == [("specialty_not_wanted", "NA-2")]
    # The snapshot keeps only the meeting's specialties an expert covers, sorted.
    assert result.eligible[0].specialties == ("civil", "power")


# --- NA-9 / EX-6: recusal against the applicants ---------------------------------------------------


def test_NA_9_EX_6_an_expert_from_an_applicants_unit_is_excluded_naming_the_applicant() -> None:
    result = sort([expert(1), expert(2)], applicants=(applicant(7, unit_credit_code="U0002"),))
    assert eligible_ids(result) == ["e0001"]
    (reason,) = result.excluded[0].reasons
    assert (reason.code, reason.rule, reason.also, reason.applicant) == (
        "same_unit_as_applicant",
        "NA-9",
        ("EX-6",),
        "applicant-0007",
    )


def test_NA_9_same_unit_is_checked_only_when_the_pack_lists_it() -> None:
    kinds = tuple(k for k in PARAMS.recusal_relationships.value if k != "same_unit")
    relaxed = PARAMS.model_copy(
        update={"recusal_relationships": PARAMS.recusal_relationships.model_copy(update={"value": kinds})}
    )
    applicants = (applicant(7, unit_credit_code="U0002"),)
    assert eligible_ids(sort([expert(2)], applicants=applicants, params=relaxed)) == ["e0002"]


def test_NA_9_EX_6_a_relationship_the_expert_declared_with_an_applicant_excludes() -> None:
    spouse = Relationship("spouse", "applicant-0007")
    unrelated = Relationship("co_author", "someone-else")
    result = sort(
        [expert(1, relationships=(spouse,)), expert(2, relationships=(unrelated,))], applicants=(applicant(7),)
    )
    assert reasons(result, "e0001") == [("relationship_with_applicant", "NA-9")]
    assert "配偶" in result.excluded[0].reasons[0].message
    assert result.excluded[0].reasons[0].applicant == "applicant-0007"
    assert eligible_ids(result) == ["e0002"]


def test_NA_9_a_relationship_the_applicant_declared_with_the_expert_excludes_too() -> None:
    teacher = applicant(7, relationships=(Relationship("teacher_student", "person-0001"),))
    result = sort([expert(1), expert(2)], applicants=(teacher,))
    assert reasons(result, "e0001") == [("relationship_with_applicant", "NA-9")]
    assert eligible_ids(result) == ["e0002"]


def test_NA_9_only_the_relationship_kinds_the_pack_lists_exclude() -> None:
    co_author = Relationship("co_author", "applicant-0007")
    applicants = (applicant(7),)
    assert reasons(sort([expert(1, relationships=(co_author,))], applicants=applicants), "e0001") == [
        ("relationship_with_applicant", "NA-9")
    ]
    kinds = tuple(k for k in PARAMS.recusal_relationships.value if k != "co_author")
    relaxed = PARAMS.model_copy(
        update={"recusal_relationships": PARAMS.recusal_relationships.model_copy(update={"value": kinds})}
    )
    result = sort([expert(1, relationships=(co_author,))], applicants=applicants, params=relaxed)
    assert eligible_ids(result) == ["e0001"]


def test_NA_9_an_expert_who_is_an_applicant_of_the_meeting_is_excluded() -> None:
    result = sort([expert(1)], applicants=(Applicant("person-0001", "U0001"),))
    # Their own unit is not a second reason: the applicant is the expert.
    assert reasons(result, "e0001") == [("is_applicant", "NA-9")]


def test_NA_9_one_reason_per_applicant_concerned() -> None:
    applicants = (applicant(7, unit_credit_code="U0001"), applicant(8, unit_credit_code="U0001"))
    result = sort([expert(1, relationships=(Relationship("close_in_law", "applicant-0008"),))], applicants=applicants)
    concerned = [(r.code, r.applicant) for r in result.excluded[0].reasons]
    assert concerned == [
        ("same_unit_as_applicant", "applicant-0007"),
        ("same_unit_as_applicant", "applicant-0008"),
        ("relationship_with_applicant", "applicant-0008"),
    ]


def test_every_reason_that_applies_is_recorded_in_a_fixed_order() -> None:
    pool = [
        expert(1, status="suspended", integrity_bars=("record-1",), series="economics", rank_held=Rank.INTERMEDIATE)
    ]
    result = sort(pool, applicants=(applicant(7, unit_credit_code="U0001"),))
    assert reasons(result, "e0001") == [
        ("expert_suspended", "EX-1"),
        ("integrity_bar", "NA-13"),
        ("series_not_held", "NA-2"),
        ("level_not_held", "NA-2"),
        ("same_unit_as_applicant", "NA-9"),
    ]


def test_two_experts_with_one_id_are_a_callers_error() -> None:
    with pytest.raises(ValueError, match="share an id"):
        sort([expert(1), expert(1)])
