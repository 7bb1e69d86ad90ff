"""Pure rules of direct recognition (EL-8, EL-10, EL-14, EL-16/NA-18) and of status changes."""

from __future__ import annotations

from datetime import date

from zhicheng_certificates.certificate.domain import (
    Correspondence,
    corresponding_title,
    initial_determination_problem,
    recognition_level_problem,
    transfer_problem,
)
from zhicheng_certificates.status.domain import published_size, status_move
from zhicheng_common.refusals import Refusal

NATIONAL = Correspondence("cpa", "注册会计师", "00", "accounting", "accounting", "intermediate", date(2019, 1, 1), None)
SHANXI = Correspondence(
    "cpa", "注册会计师", "14", "accounting", "accounting", "associate_senior", date(2026, 1, 1), date(2026, 12, 31)
)


def test_NA_18_EL_16_a_provinces_own_row_wins_while_in_force_then_the_national_row_holds() -> None:
    table = (NATIONAL, SHANXI)
    assert corresponding_title(table, qualification="cpa", province="14", on=date(2026, 6, 1)) == SHANXI
    assert corresponding_title(table, qualification="cpa", province="14", on=date(2027, 1, 1)) == NATIONAL
    assert corresponding_title(table, qualification="cpa", province="53", on=date(2026, 6, 1)) == NATIONAL
    before = corresponding_title(table, qualification="cpa", province="14", on=date(2018, 12, 31))
    assert isinstance(before, Refusal)
    assert (before.rule, before.code) == ("EL-16", "qualification_not_corresponding")


def test_EL_10_the_deadline_day_is_still_in_time_the_next_day_is_late() -> None:
    assert initial_determination_problem(obtained_on=date(2026, 11, 30), month=11, day=30) is None
    late = initial_determination_problem(obtained_on=date(2026, 12, 1), month=11, day=30)
    assert late is not None
    assert late.rule == "EL-10"
    assert recognition_level_problem("initial_determination", "senior", None) is not None


def test_EL_14_postdocs_associate_senior_only_talents_up_to_senior() -> None:
    assert recognition_level_problem("talent", "associate_senior", "enterprise_postdoc") is None
    assert recognition_level_problem("talent", "senior", "high_level_talent") is None
    refused = recognition_level_problem("talent", "senior", "enterprise_postdoc")
    assert refused is not None
    assert refused.rule == "EL-14"
    assert recognition_level_problem("talent", "senior", None) is not None


def test_EL_8_one_whole_year_in_the_new_post_counts_from_the_same_day_a_year_later() -> None:
    common = dict(old_series="engineering", old_level="intermediate", old_status="valid", old_holder_key="k",
                  holder_key="k", new_series="economics", new_level="intermediate", min_years=1)  # fmt: skip
    # 2025-10-15 → 2026-10-15: one whole year; → 2026-10-14: zero.
    assert transfer_problem(**common, new_post_since=date(2025, 10, 15), obtained_on=date(2026, 10, 15)) is None  # type: ignore[arg-type]
    early = transfer_problem(**common, new_post_since=date(2025, 10, 15), obtained_on=date(2026, 10, 14))  # type: ignore[arg-type]
    assert early is not None
    assert early.code == "transfer_too_early"


def test_status_moves_and_the_published_list_length() -> None:
    assert status_move("valid", "revoke") == "revoked"
    assert status_move("suspended", "revoke") == "revoked"
    assert status_move("suspended", "reinstate") == "valid"
    assert isinstance(status_move("revoked", "reinstate"), Refusal)
    assert isinstance(status_move("superseded", "suspend"), Refusal)
    # 131,072 entries a block: index 131,071 still fits one block, 131,072 needs two.
    assert [published_size(i) for i in (-1, 0, 131_071, 131_072, 999_999)] == [
        131_072,
        131_072,
        131_072,
        262_144,
        1_048_576,
    ]
