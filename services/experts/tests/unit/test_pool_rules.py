"""Pure rules of pool filings, with counts and dates worked out by hand (EX-3, EX-4, EX-5)."""

from __future__ import annotations

import uuid
from datetime import date

from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.policy import PolicyPack, Ratio, load_pack
from zhicheng_experts.pool.domain import (
    Member,
    counts,
    lapsed,
    next_evaluation,
    private_share_refusal,
    refiling_refusals,
    validity_refusal,
)

PACK = load_pack("shanxi-2024")
CALENDAR = WorkingDayCalendar()


def _members(n: int, *, private: int = 0) -> list[Member]:
    return [
        Member(uuid.uuid4(), "engineering", "active", "private_enterprise" if i < private else "public_institution")
        for i in range(n)
    ]


def _with_private_share(share: str) -> PolicyPack:
    p = PACK.parameters
    parameter = p.private_enterprise_expert_min_share.model_copy(update={"value": Ratio.model_validate(share)})
    return PACK.model_copy(
        update={"parameters": p.model_copy(update={"private_enterprise_expert_min_share": parameter})}
    )


def test_EX_3_filing_validity_ends_on_the_day_before_the_third_anniversary() -> None:
    assert validity_refusal(PACK, valid_from=date(2024, 1, 1), valid_until=date(2026, 12, 31)) is None
    refused = validity_refusal(PACK, valid_from=date(2024, 1, 1), valid_until=date(2027, 1, 1))
    assert refused is not None
    assert (refused.rule, refused.code) == ("EX-3", "filing_validity_too_long")
    # 29 February: three years later there is none, the period ends on 28 February.
    assert validity_refusal(PACK, valid_from=date(2024, 2, 29), valid_until=date(2027, 2, 28)) is None


def test_EX_4_new_experts_are_at_least_a_third_of_the_refiled_pool() -> None:
    members = _members(9)
    previous = {m.expert_id for m in members[:7]}  # 9 members, 2 new: a third of 9 is 3
    refused = refiling_refusals(
        PACK, CALENDAR, tally=counts(members, previous), applied_on=date(2024, 1, 2), evaluation_date=None
    )
    assert [(r.rule, r.code) for r in refused] == [("EX-4", "too_few_new_experts")]
    assert "共9人，须新增至少3人，实际新增2人" in refused[0].message
    previous = {m.expert_id for m in members[:6]}  # 3 new of 9: exactly a third passes
    assert (
        refiling_refusals(
            PACK, CALENDAR, tally=counts(members, previous), applied_on=date(2024, 1, 2), evaluation_date=None
        )
        == []
    )
    # 10 members: a third is 3.33…, so 3 new are too few and 4 are enough.
    ten = _members(10)
    assert counts(ten, {m.expert_id for m in ten[:7]}).new_members == 3
    assert refiling_refusals(
        PACK,
        CALENDAR,
        tally=counts(ten, {m.expert_id for m in ten[:7]}),
        applied_on=date(2024, 1, 2),
        evaluation_date=None,
    )
    assert not refiling_refusals(
        PACK,
        CALENDAR,
        tally=counts(ten, {m.expert_id for m in ten[:6]}),
        applied_on=date(2024, 1, 2),
        evaluation_date=None,
    )


def test_EX_4_refiling_is_applied_at_least_twenty_working_days_before_the_evaluation() -> None:
    members = _members(3)
    tally = counts(members, set())
    # Evaluation Fri 2024-11-29. Counting back, its day not counted: Nov 28-25 (4), 22-18 (9),
    # 15-11 (14), 8-4 (19), Fri 2024-11-01 is the 20th working day before it.
    in_time = refiling_refusals(
        PACK, CALENDAR, tally=tally, applied_on=date(2024, 11, 1), evaluation_date=date(2024, 11, 29)
    )
    assert in_time == []
    late = refiling_refusals(
        PACK, CALENDAR, tally=tally, applied_on=date(2024, 11, 4), evaluation_date=date(2024, 11, 29)
    )
    assert [(r.rule, r.code) for r in late] == [("EX-4", "refiling_too_late")]
    assert "最迟2024-11-01" in late[0].message


def test_EX_5_private_enterprise_share_where_the_pack_sets_one() -> None:
    tally = counts(_members(10, private=2), None)  # 2 of 10: a quarter of 10 needs 3 (ceil 2.5)
    assert private_share_refusal(PACK, tally=tally, enterprise_related=True) is None  # shanxi sets none
    refused = private_share_refusal(_with_private_share("1/4"), tally=tally, enterprise_related=True)
    assert refused is not None
    assert (refused.rule, refused.code) == ("EX-5", "too_few_private_enterprise_experts")
    assert "须至少3人，实际2人" in refused.message
    assert private_share_refusal(_with_private_share("1/4"), tally=tally, enterprise_related=False) is None
    enough = counts(_members(10, private=3), None)
    assert private_share_refusal(_with_private_share("1/4"), tally=enough, enterprise_related=True) is None


def test_the_evaluation_is_the_first_planned_meeting_not_before_the_day_and_filings_lapse_after_their_last_day() -> (
    None
):
    dates = [date(2026, 11, 20), date(2026, 6, 18), date(2026, 3, 1)]
    assert next_evaluation(dates, on_or_after=date(2026, 3, 2)) == date(2026, 6, 18)
    assert next_evaluation(dates, on_or_after=date(2026, 11, 21)) is None
    assert not lapsed(date(2026, 3, 31), date(2026, 3, 31))
    assert lapsed(date(2026, 3, 31), date(2026, 4, 1))
