"""What a draw request may ask: size (NA-1), specialties, timing (EX-2), and a pool big enough."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import date

import pytest

from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_experts.draw.domain import (
    Candidate,
    DrawRequest,
    Meeting,
    Quota,
    derive_panel,
    draw_date_refusal,
    pool_too_small,
    request_refusals,
    shortfalls,
)

from .conftest import MEETING, PACK

CAL = WorkingDayCalendar()
IN_TIME = date(2024, 11, 8)  # Friday: Mon 11 … Fri 15 are five working days up to the meeting


def codes(req: DrawRequest, *, meeting: Meeting = MEETING, draw_date: date = IN_TIME) -> list[tuple[str | None, str]]:
    return [(r.rule, r.code) for r in request_refusals(PACK, CAL, meeting=meeting, request=req, draw_date=draw_date)]


def test_a_well_formed_request_has_no_refusal() -> None:
    req = DrawRequest(size=11, quotas=(Quota("civil", 6, 2), Quota("power", 5, 2)))
    assert codes(req) == []


# --- NA-1: size ------------------------------------------------------------------------------------


def test_NA_1_an_even_panel_is_refused() -> None:
    req = DrawRequest(size=12, quotas=(Quota("civil", 6, 0), Quota("power", 6, 0)))
    assert codes(req) == [("NA-1", "members_not_odd")]


@pytest.mark.parametrize(
    ("level", "basis", "smallest"),
    [
        # Shanxi 2024: senior 25 per series and 11 per specialty (N40); intermediate 15, junior 9.
        ("senior", "per_series", 25),
        ("senior", "per_specialty", 11),
        ("intermediate", "per_series", 15),
        ("junior", "per_specialty", 9),
    ],
)
def test_NA_1_the_panel_is_at_least_the_packs_minimum_for_the_level(level: str, basis: str, smallest: int) -> None:
    meeting = replace(MEETING, committee_level=level, formation_basis=basis)
    assert codes(DrawRequest(size=smallest, quotas=(Quota("civil", smallest, 0),)), meeting=meeting) == []
    two_fewer = smallest - 2  # still odd, one step below the minimum
    refused = codes(DrawRequest(size=two_fewer, quotas=(Quota("civil", two_fewer, 0),)), meeting=meeting)
    assert refused == [("NA-1", "too_few_members")]


# --- Specialties -----------------------------------------------------------------------------------


def test_the_specialty_counts_must_add_up_to_the_size() -> None:
    req = DrawRequest(size=11, quotas=(Quota("civil", 6, 0), Quota("power", 4, 0)))
    assert codes(req) == [(None, "specialty_counts_mismatch")]


def test_specialties_must_be_the_meetings_named_once_with_sensible_counts() -> None:
    req = DrawRequest(size=11, quotas=(Quota("civil", 5, 0), Quota("civil", 3, 0), Quota("water", 3, -1)))
    assert codes(req) == [(None, "specialty_repeated"), (None, "specialty_not_in_meeting"), (None, "quota_invalid")]
    assert codes(DrawRequest(size=11, quotas=())) == [(None, "specialties_required")]


# --- EX-2: at least five working days before the meeting -------------------------------------------


def test_EX_2_a_draw_five_working_days_before_passes_and_four_is_refused() -> None:
    # Meeting Fri 2024-11-15. Counting back without the meeting day: Thu 14, Wed 13, Tue 12, Mon 11,
    # Fri 8 → the fifth working day before is Fri 8 Nov. Mon 11 leaves only four.
    req = DrawRequest(size=11, quotas=(Quota("civil", 11, 0),))
    assert codes(req, draw_date=date(2024, 11, 8)) == []
    assert codes(req, draw_date=date(2024, 11, 11)) == [("EX-2", "draw_too_late")]


def test_EX_2_the_national_day_holidays_do_not_count() -> None:
    # Meeting Wed 2024-10-09. Back from it: Tue 8 Oct (1), Mon 30 Sep (2), Sun 29 Sep, a make-up
    # working day (3), Fri 27 (4), Thu 26 (5); 1–7 Oct are holidays. So Thu 26 Sep is the last day.
    meeting_day = date(2024, 10, 9)
    assert draw_date_refusal(PACK, CAL, draw_date=date(2024, 9, 26), meeting_date=meeting_day) is None
    late = draw_date_refusal(PACK, CAL, draw_date=date(2024, 9, 27), meeting_date=meeting_day)
    assert late is not None
    assert (late.rule, late.code, late.fields) == ("EX-2", "draw_too_late", ("draw_date",))
    assert "最迟2024-09-26" in late.message


def test_EX_2_a_make_up_saturday_counts() -> None:
    # Meeting Tue 2024-10-15: Mon 14 (1), Sat 12 Oct make-up day (2), Fri 11 (3), Thu 10 (4), Wed 9 (5).
    meeting_day = date(2024, 10, 15)
    assert draw_date_refusal(PACK, CAL, draw_date=date(2024, 10, 9), meeting_date=meeting_day) is None
    assert draw_date_refusal(PACK, CAL, draw_date=date(2024, 10, 10), meeting_date=meeting_day) is not None


def test_EX_2_a_draw_after_the_meeting_is_refused() -> None:
    assert draw_date_refusal(PACK, CAL, draw_date=date(2024, 11, 18), meeting_date=MEETING.date) is not None


# --- pool_too_small --------------------------------------------------------------------------------


def candidates(civil_only: int, shared: int, power_only: int) -> list[Candidate]:
    out = [Candidate(f"c{i:02d}", ("civil",)) for i in range(civil_only)]
    out += [Candidate(f"s{i:02d}", ("civil", "power")) for i in range(shared)]
    out += [Candidate(f"p{i:02d}", ("power",)) for i in range(power_only)]
    return out


def test_a_pool_that_can_fill_the_request_is_not_too_small() -> None:
    assert pool_too_small(candidates(5, 0, 5), (Quota("civil", 4, 1), Quota("power", 4, 1))) is None


def test_pool_too_small_names_each_specialty_and_its_shortfall() -> None:
    # civil: 3 candidates for 4 + 2 → 3 missing; power: 5 for 5 + 0 → fine.
    refusal = pool_too_small(candidates(3, 0, 5), (Quota("civil", 4, 2), Quota("power", 5, 0)))
    assert refusal is not None
    assert (refusal.code, refusal.fields) == ("pool_too_small", ("quotas.0",))
    assert "专业 civil 需6人，可抽取3人，缺3人" in refusal.message


def test_pool_too_small_counts_shared_candidates_an_earlier_specialty_may_take() -> None:
    # civil: 5 own + 2 shared = 7 for 5 places. power: 3 own + 2 shared, but civil may take both
    # shared ones (it draws 5 ≥ 2), so power is sure of 3 for 4 + 1 = 5 places: 2 missing.
    pool = candidates(5, 2, 3)
    (short,) = shortfalls(pool, (Quota("civil", 4, 1), Quota("power", 4, 1)))
    assert (short.specialty, short.needed, short.available, short.missing) == ("power", 5, 3, 2)


def test_when_the_pool_is_not_too_small_every_draw_fills_the_request() -> None:
    # civil draws 2 of 5 + 2 shared; power is sure of 5 - min(2 shared, 2 taken) = 3 for 3 places.
    pool = candidates(5, 2, 3)
    quotas = (Quota("civil", 2, 0), Quota("power", 3, 0))
    assert pool_too_small(pool, quotas) is None
    snapshot_hash = bytes(32)
    for n in range(300):
        lots = derive_panel(
            candidates=pool,
            quotas=quotas,
            snapshot_sha256=snapshot_hash,
            secret=secrets.token_bytes(32),
            external_seed=str(n),
        )
        assert [len(lot.members) for lot in lots] == [2, 3]


def test_the_derivation_refuses_to_run_short() -> None:
    with pytest.raises(ValueError, match="3 candidates for 6 places"):
        derive_panel(
            candidates=candidates(3, 0, 0),
            quotas=(Quota("civil", 4, 2),),
            snapshot_sha256=bytes(32),
            secret=bytes(32),
            external_seed="x",
        )
