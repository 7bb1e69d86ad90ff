"""Pure rules of the integrity archive: validity (IN-2, NA-13, NA-14), kinds and effects, the state machine."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhicheng_common.clock import china_today
from zhicheng_common.periods import last_day_after
from zhicheng_common.policy import load_pack
from zhicheng_integrity.domain import (
    ACTION_NAMES,
    KIND_NAMES,
    KIND_SUBJECT,
    RECORD_KINDS,
    STATUS_NAMES,
    TRANSITIONS,
    Effects,
    decision_problems,
    default_valid_until,
    has_lapsed,
    is_active,
    next_status,
    record_problems,
    rule_ids_for,
    subject_id_problem,
    transition_refusal,
    validity_problems,
)

PACK = load_pack("shanxi-2024")
RECORD_YEARS = PACK.parameters.integrity_record_years.value
BAR_YEARS = PACK.parameters.integrity_declaring_bar_years.value

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


def test_IN_2_NA_13_the_pack_keeps_records_and_bars_for_three_years() -> None:
    assert (RECORD_YEARS, BAR_YEARS) == (3, 3)
    assert PACK.parameters.integrity_record_years.rule == "IN-2"
    assert "EL-20" in PACK.parameters.integrity_declaring_bar_years.also


def test_NA_14_a_record_decided_on_20_november_is_in_force_through_20_november_three_years_on() -> None:
    until = default_valid_until(date(2026, 11, 20), record_years=3, bar_years=3, bars_declaring=True)
    assert until == date(2029, 11, 20)
    assert not has_lapsed(until, date(2029, 11, 20))
    assert has_lapsed(until, date(2029, 11, 21))


def test_NA_14_a_record_decided_on_29_february_ends_on_28_february() -> None:
    assert last_day_after(date(2024, 2, 29), 3) == date(2027, 2, 28)
    assert last_day_after(date(2024, 2, 29), 4) == date(2028, 2, 29)


@given(start=dates, years=st.integers(min_value=1, max_value=10))
def test_IN_2_validity_lasts_the_packs_years_to_the_corresponding_day(start: date, years: int) -> None:
    end = last_day_after(start, years)
    assert end.year == start.year + years
    assert end.month == start.month
    assert end.day == start.day or (start.month, start.day, end.day) == (2, 29, 28)
    assert timedelta(days=365 * years) <= end - start <= timedelta(days=366 * years)


@given(
    start=dates,
    record_years=st.integers(min_value=1, max_value=10),
    bar_years=st.integers(min_value=1, max_value=10),
    bars=st.booleans(),
)
def test_NA_13_a_declaring_bar_keeps_the_record_in_force_for_the_longer_period(
    start: date, record_years: int, bar_years: int, bars: bool
) -> None:
    until = default_valid_until(start, record_years=record_years, bar_years=bar_years, bars_declaring=bars)
    assert until >= last_day_after(start, record_years)
    if bars:
        assert until >= last_day_after(start, bar_years)
    else:
        assert until == last_day_after(start, record_years)


@given(start=dates, days=st.integers(min_value=-2000, max_value=2000))
def test_IN_2_an_explicit_validity_must_lie_between_start_and_the_packs_end(start: date, days: int) -> None:
    latest = last_day_after(start, 3)
    end = start + timedelta(days=days)
    problems = validity_problems(start, end, latest=latest)
    if end < start:
        assert [p.code for p in problems] == ["validity_end_before_start"]
    elif end > latest:
        assert [(p.code, p.rule) for p in problems] == [("validity_too_long", "IN-2")]
    else:
        assert problems == []


def test_records_lapse_at_midnight_in_beijing_not_in_utc() -> None:
    assert china_today(datetime(2029, 11, 20, 15, 59, tzinfo=UTC)) == date(2029, 11, 20)
    assert china_today(datetime(2029, 11, 20, 16, 0, tzinfo=UTC)) == date(2029, 11, 21)


def test_IN_1_falsification_kinds_apply_IN_1_and_a_declaring_bar_applies_EL_20() -> None:
    for kind in ("falsified_materials", "plagiarism", "improper_means"):
        assert {"IN-1", "IN-2", "NA-13"} <= set(rule_ids_for(kind, Effects()))
    assert "EL-20" in rule_ids_for("staff_misconduct", Effects(bar_declaring=True))
    assert "IN-1" in rule_ids_for("expert_misconduct", Effects(revoke_certificate_number="X"))


def test_CM_10_IN_3_unit_kinds_apply_their_rules() -> None:
    assert "CM-10" in rule_ids_for("committee_violation", Effects(unit_sanction="suspension"))
    assert "IN-3" in rule_ids_for("unit_failed_review", Effects(unit_sanction="reminder"))


def test_every_kind_has_rules_and_a_subject() -> None:
    for kind in RECORD_KINDS:
        assert rule_ids_for(kind, Effects())
        assert KIND_SUBJECT[kind] in ("person", "unit")


def test_EL_20_a_unit_cannot_be_barred_from_declaring_nor_a_person_sanctioned_as_a_unit() -> None:
    unit = record_problems("unit", "unit_failed_review", Effects(bar_declaring=True, bar_expert_draws=True))
    assert {(p.fields[0], p.rule) for p in unit} == {
        ("effects.bar_declaring", "EL-20"),
        ("effects.bar_expert_draws", "NA-13"),
    }
    person = record_problems("person", "falsified_materials", Effects(unit_sanction="interview"))
    assert [(p.fields[0], p.rule) for p in person] == [("effects.unit_sanction", "IN-3")]
    assert record_problems("person", "unit_failed_review", Effects())[0].code == "kind_not_for_subject"


def test_CM_10_a_committee_violation_names_its_sanction() -> None:
    problems = record_problems("unit", "committee_violation", Effects())
    assert [(p.code, p.rule) for p in problems] == [("sanction_required", "CM-10")]
    assert record_problems("unit", "committee_violation", Effects(unit_sanction="power_withdrawal")) == []


def test_subject_identifiers_are_checked_by_the_subjects_kind() -> None:
    assert subject_id_problem("person", "11010519491231002x") is None
    assert subject_id_problem("person", "110105194912310021") is not None
    assert subject_id_problem("unit", "91350100M000100Y43") is None
    assert subject_id_problem("unit", "11010519491231002X") is not None
    assert subject_id_problem("company", "x") is not None


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        ("proposed", "decide", "decided"),
        ("decided", "appeal", "under_appeal"),
        ("under_appeal", "uphold", "decided"),
        ("under_appeal", "change", "superseded"),
        ("under_appeal", "withdraw", "withdrawn"),
        ("decided", "expire", "expired"),
        ("under_appeal", "expire", "expired"),
        ("under_appeal", "appeal", None),
        ("withdrawn", "appeal", None),
        ("expired", "withdraw", None),
        ("proposed", "expire", None),
        ("decided", "withdraw", None),
    ],
)
def test_record_state_machine(status: str, action: str, expected: str | None) -> None:
    assert next_status(status, action) == expected


def test_history_has_no_way_back_from_an_ended_record() -> None:
    for ended in ("expired", "withdrawn", "superseded"):
        assert all(ended not in sources for sources in TRANSITIONS.values())
        assert not is_active(ended)
    assert is_active("decided")
    assert is_active("under_appeal")
    assert not is_active("proposed")


def test_a_decision_cannot_be_dated_after_today() -> None:
    assert decision_problems(date(2026, 11, 22), date(2026, 11, 22)) == []
    assert [p.code for p in decision_problems(date(2026, 11, 23), date(2026, 11, 22))] == ["decision_in_future"]


def test_messages_name_kinds_statuses_and_actions_in_chinese_not_by_their_codes() -> None:
    assert set(KIND_NAMES) == set(RECORD_KINDS)
    assert set(ACTION_NAMES) == set(TRANSITIONS)
    assert set(STATUS_NAMES) == {status for moves in TRANSITIONS.values() for pair in moves.items() for status in pair}
    assert transition_refusal("expired", "appeal") == "记录当前状态为已届满，不能申诉"
    [problem] = [
        p for p in record_problems("unit", "falsified_materials", Effects()) if p.code == "kind_not_for_subject"
    ]
    assert problem.message == "记录类型“弄虚作假、伪造材料”只适用于个人"
