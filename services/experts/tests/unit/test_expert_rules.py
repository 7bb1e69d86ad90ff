"""Pure rules of expert records and the import file's rows (EX-3 terms, NA-2 catalogs, NA-13)."""

from __future__ import annotations

from datetime import date

from zhicheng_common.policy import committee_level, load_pack
from zhicheng_common.series import Rank, load_series_catalog
from zhicheng_experts.expert.domain import Term, field_problems, status_after_bar, term_problems
from zhicheng_experts.expert.files import read_rows, row_to_body
from zhicheng_experts.projection.domain import enterprise_related, ranks_of_levels

PACK = load_pack("shanxi-2024")
CATALOG = load_series_catalog()


def test_EX_3_a_term_is_at_most_three_years_and_terms_do_not_overlap() -> None:
    assert term_problems([Term(date(2024, 3, 1), date(2027, 2, 28))], PACK) == []
    too_long = term_problems([Term(date(2024, 3, 1), date(2027, 3, 1))], PACK)
    assert [(p.fields[0], p.code, p.rule) for p in too_long] == [("terms.0", "term_too_long", "EX-3")]
    overlapping = term_problems(
        [Term(date(2026, 12, 1), date(2029, 11, 30)), Term(date(2024, 1, 1), date(2026, 12, 31))], PACK
    )
    assert [(p.fields[0], p.code) for p in overlapping] == [("terms.0", "terms_overlap")]


def test_NA_2_series_rank_and_title_from_the_catalog() -> None:
    ok = field_problems(
        CATALOG, series="engineering", specialties=["electrical"], rank_held=Rank.SENIOR, title_name="教授级高级工程师"
    )  # a historical name of 正高级工程师
    assert ok == []
    wrong = field_problems(CATALOG, series="nonexistent", specialties=[], rank_held=Rank.SENIOR, title_name=None)
    assert [p.code for p in wrong] == ["unknown_series"]
    # 高等学校教师 has no 员级 title.
    clerk = field_problems(
        CATALOG, series="higher_education_teachers", specialties=["x"], rank_held=Rank.CLERK, title_name=None
    )
    assert [p.code for p in clerk] == ["rank_not_in_series"]


def test_NA_2_a_meetings_levels_are_its_ranks_and_the_committees_level() -> None:
    assert ranks_of_levels(["senior", "associate_senior"]) == (Rank.ASSOCIATE_SENIOR, Rank.SENIOR)
    assert ranks_of_levels(["junior"]) == (Rank.CLERK, Rank.ASSISTANT)
    assert committee_level(["intermediate", "associate_senior"]) == "senior"
    assert committee_level(["junior"]) == "junior"


def test_NA_13_only_an_expert_misconduct_record_takes_expert_status_away() -> None:
    assert status_after_bar(current="active", kind="expert_misconduct", bars_draws=True) == "disqualified"
    assert status_after_bar(current="active", kind="falsified_materials", bars_draws=True) == "active"
    assert status_after_bar(current="suspended", kind="expert_misconduct", bars_draws=False) == "suspended"


def test_EX_5_enterprise_related_committees() -> None:
    assert enterprise_related("private_enterprise_engineering", [])
    assert enterprise_related("government_hr", ["private_enterprise"])
    assert not enterprise_related("government_hr", ["public_institution", "state_owned_enterprise"])


def test_rows_are_numbered_as_a_spreadsheet_shows_them_and_blank_rows_skipped() -> None:
    data = (
        "姓名,身份证号,工作单位,统一社会信用代码,单位性质,职称系列,专业\n"
        "甲,1,u,c,事业单位,engineering,a、b\n,,,,,,\n乙,2,u,c,private_enterprise,engineering,a\n"
    )
    rows = read_rows(data.encode("gb18030"), "csv")
    assert [(r.number, r.values["name"]) for r in rows] == [(2, "甲"), (4, "乙")]
    body = row_to_body(rows[0])
    assert (body["ownership_kind"], body["specialties"]) == ("public_institution", ["a", "b"])
