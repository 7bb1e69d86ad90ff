"""The series catalog: ranks, title names, historical names."""

from __future__ import annotations

from zhicheng_common.series import Rank, level_of, load_series_catalog, steps_between


def test_catalog_holds_the_series_of_the_rules_table() -> None:
    catalog = load_series_catalog()
    for code in ("engineering", "accounting", "higher_education_teachers", "primary_secondary_teachers"):
        assert catalog.get(code) is not None
    assert catalog.get("astrology") is None


def test_engineering_titles_and_historical_name() -> None:
    engineering = load_series_catalog().get("engineering")
    assert engineering is not None
    assert engineering.title(Rank.ASSOCIATE_SENIOR) == "高级工程师"
    assert engineering.rank_of_title("教授级高级工程师") == Rank.SENIOR
    assert engineering.rank_of_title("工程师") == Rank.INTERMEDIATE


def test_assistant_and_clerk_are_the_junior_level() -> None:
    assert level_of(Rank.CLERK) == "junior"
    assert level_of(Rank.ASSISTANT) == "junior"
    assert level_of(Rank.SENIOR) == "senior"
    assert steps_between(Rank.ASSISTANT, Rank.INTERMEDIATE) == 1
