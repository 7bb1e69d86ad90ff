"""Pure rules of committees: composition (NA-1), authority (CM-3), validity (CM-2), scope (CM-4), plans (CM-6..CM-9)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from zhicheng_committees.committee.domain import (
    CommitteeKind,
    CommitteeStatus,
    FilingReason,
    FormationBasis,
    SanctionKind,
    Scope,
    can_open_meetings,
    composition_refusals,
    evaluation_refusal,
    filing_approval_refusal,
    in_scope,
    is_expired,
    kind_refusals,
    may_decide,
    minimum_members,
    refiling_refusal,
    sanction_refusal,
    status_after_sanction,
    validity,
)
from zhicheng_committees.plan.domain import (
    PlanDates,
    PlannedMeeting,
    PlanStatus,
    plan_date_order_problems,
    plan_levels_refusal,
    plan_refusals,
    post_meeting_filing_due,
    pre_meeting_filing_refusal,
    pre_meeting_plan_refusal,
)
from zhicheng_common.auth import Principal
from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.policy import committee_level, load_pack

PACK = load_pack("shanxi-2024")
CAL = WorkingDayCalendar()
SENIOR = ["associate_senior", "senior"]


def hr(region: str, role: str = "hr_admin") -> Principal:
    return Principal(subject="u", roles=frozenset({role}), region=region)


def test_NA_1_senior_and_associate_senior_make_a_senior_committee() -> None:
    assert committee_level(["associate_senior"]) == "senior"
    assert committee_level(["intermediate", "junior"]) == "intermediate"
    assert committee_level(["junior"]) == "junior"


def test_NA_1_minimum_sizes_come_from_the_pack() -> None:
    p = PACK.parameters
    assert minimum_members(PACK, "senior", FormationBasis.PER_SERIES) == p.senior_committee_min_members_per_series.value
    assert (
        minimum_members(PACK, "senior", FormationBasis.PER_SPECIALTY)
        == p.senior_committee_min_members_per_specialty.value
    )
    assert (
        minimum_members(PACK, "intermediate", FormationBasis.PER_SERIES) == p.intermediate_committee_min_members.value
    )
    assert minimum_members(PACK, "junior", FormationBasis.PER_SPECIALTY) == p.junior_committee_min_members.value


@given(st.integers(min_value=1, max_value=500))
def test_NA_1_a_senior_per_series_committee_passes_iff_odd_and_at_least_the_minimum(members: int) -> None:
    refusals = composition_refusals(
        PACK, levels=["senior"], basis=FormationBasis.PER_SERIES, specialties=[], member_count=members
    )
    minimum = PACK.parameters.senior_committee_min_members_per_series.value
    assert (not refusals) == (members % 2 == 1 and members >= minimum)
    assert all(r.rule == "NA-1" for r in refusals)


def test_NA_1_24_members_of_a_senior_per_series_committee_break_both_rules() -> None:
    codes = {
        r.code
        for r in composition_refusals(
            PACK, levels=SENIOR, basis=FormationBasis.PER_SERIES, specialties=[], member_count=24
        )
    }
    assert codes == {"members_not_odd", "too_few_members"}


def test_CM_3_self_evaluation_only_at_the_packs_levels() -> None:
    assert kind_refusals(PACK, kind=CommitteeKind.ENTERPRISE_SELF_EVALUATION, series="engineering", levels=SENIOR)
    assert not kind_refusals(
        PACK, kind=CommitteeKind.ENTERPRISE_SELF_EVALUATION, series="engineering", levels=["intermediate"]
    )
    refused = kind_refusals(PACK, kind=CommitteeKind.PRIVATE_ENTERPRISE_ENGINEERING, series="accounting", levels=SENIOR)
    assert [r.rule for r in refused] == ["CM-3"]


def test_CM_3_only_provincial_hr_decides_senior_committees() -> None:
    assert may_decide(PACK, hr("140000"), levels=SENIOR, region="140100") is None
    assert may_decide(PACK, hr("140000", "province_admin"), levels=SENIOR, region="140000") is None
    refusal = may_decide(PACK, hr("140100"), levels=SENIOR, region="140100")
    assert refusal is not None
    assert refusal.rule == "CM-3"


def test_CM_3_city_hr_decides_intermediate_committees_of_its_city_only() -> None:
    assert may_decide(PACK, hr("140100"), levels=["intermediate"], region="140105") is None
    refusal = may_decide(PACK, hr("140100"), levels=["intermediate"], region="140800")
    assert refusal is not None
    assert refusal.code == "outside_jurisdiction"
    assert may_decide(PACK, hr("140100", "committee_office"), levels=["junior"], region="140100") is not None


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
def test_CM_2_a_filing_is_valid_for_the_packs_years_and_expires_the_day_after(approved: date) -> None:
    start, end = validity(PACK, approved)
    years = PACK.parameters.committee_filing_validity_years.value
    assert start == approved
    assert years * 365 - 1 <= (end - start).days <= years * 366
    assert not is_expired(end, end)
    assert is_expired(end, end + timedelta(days=1))


def test_CM_2_refiling_needs_a_reason_and_a_committee_that_held_power() -> None:
    assert refiling_refusal(CommitteeStatus.ACTIVE, FilingReason.NEW) is not None
    assert refiling_refusal(CommitteeStatus.ACTIVE, FilingReason.SCOPE_CHANGE) is None
    assert refiling_refusal(CommitteeStatus.EXPIRED, FilingReason.EXPIRY) is None
    assert refiling_refusal(CommitteeStatus.WITHDRAWN, FilingReason.RENAME) is not None
    assert refiling_refusal(CommitteeStatus.PENDING, FilingReason.RENAME) is not None


def test_CM_10_suspension_stops_meetings_and_withdrawal_is_final() -> None:
    suspended = status_after_sanction(CommitteeStatus.ACTIVE, SanctionKind.SUSPENSION)
    assert suspended is CommitteeStatus.SUSPENDED
    assert not can_open_meetings(suspended)
    assert status_after_sanction(CommitteeStatus.ACTIVE, SanctionKind.REMINDER) is CommitteeStatus.ACTIVE
    withdrawn = status_after_sanction(CommitteeStatus.SUSPENDED, SanctionKind.POWER_WITHDRAWAL)
    assert withdrawn is CommitteeStatus.WITHDRAWN
    assert sanction_refusal(withdrawn, SanctionKind.REMINDER) is not None
    assert sanction_refusal(CommitteeStatus.SUSPENDED, SanctionKind.SUSPENSION) is not None


SCOPE = Scope(
    series="engineering",
    specialties=("mining",),
    levels=("associate_senior", "senior"),
    regions=("140800",),
    ownership_kinds=("private_enterprise",),
)


def test_CM_4_an_applicant_inside_every_part_of_the_scope_is_in_scope() -> None:
    assert in_scope(
        SCOPE,
        series="engineering",
        level="senior",
        region="140802",
        specialty="mining",
        ownership_kind="private_enterprise",
    )
    assert in_scope(SCOPE, series="engineering", level="senior", region="140800")


def test_CM_4_outside_any_part_of_the_scope_is_out_of_scope() -> None:
    base = {"series": "engineering", "level": "senior", "region": "140802", "specialty": "mining"}
    assert not in_scope(SCOPE, **{**base, "series": "accounting"})
    assert not in_scope(SCOPE, **{**base, "level": "intermediate"})
    assert not in_scope(SCOPE, **{**base, "region": "140105"})
    assert not in_scope(SCOPE, **{**base, "specialty": "electrical"})
    assert not in_scope(SCOPE, **base, ownership_kind="public_institution")


def _plan(notice: date, meeting: date, filing: date, *, year: int = 2024, exception: bool = False) -> PlanDates:
    return PlanDates(
        year=year,
        declaration_opens=date(2024, 8, 1),
        declaration_closes=date(2024, 8, 31),
        notice_date=notice,
        meetings=(PlannedMeeting(meeting, filing),),
        cross_year_exception=exception,
    )


@given(st.dates(min_value=date(2024, 8, 1), max_value=date(2024, 11, 14)))
def test_CM_7_a_notice_passes_iff_at_least_30_working_days_before_the_meeting(notice: date) -> None:
    meeting = date(2024, 11, 15)
    codes = {r.code for r in plan_refusals(PACK, CAL, _plan(notice, meeting, date(2024, 11, 8)))}
    needed = PACK.parameters.notice_working_days_before_meeting.value
    assert ("notice_too_late" not in codes) == (CAL.working_days_ahead(notice, meeting) >= needed)


def test_CM_7_NA_14_a_notice_on_a_holiday_after_the_30th_working_day_before_is_too_late() -> None:
    # Meeting Fri 2024-11-15. Back from it, the meeting day not counted: Nov 14..11 (4), Nov 8..4 (9),
    # Nov 1..Oct 28 (14), Oct 25..21 (19), Oct 18..14 (24), Sat Oct 12 make-up, Oct 11..8 (29);
    # Oct 1-7 holidays; Mon Sep 30 is the 30th. So Mon 7 Oct (a holiday) is one day late.
    meeting = date(2024, 11, 15)
    late = {r.code for r in plan_refusals(PACK, CAL, _plan(date(2024, 10, 7), meeting, date(2024, 11, 8)))}
    in_time = {r.code for r in plan_refusals(PACK, CAL, _plan(date(2024, 9, 30), meeting, date(2024, 11, 8)))}
    assert "notice_too_late" in late
    assert "notice_too_late" not in in_time


def test_CM_8_NA_14_a_filing_on_saturday_before_a_friday_meeting_is_too_late() -> None:
    # Meeting Fri 2024-11-15: the 5th working day before is Fri 11-08; Sat 11-09 is after it.
    late = pre_meeting_filing_refusal(PACK, CAL, filed_on=date(2024, 11, 9), meeting_date=date(2024, 11, 15))
    assert late is not None
    assert (late.rule, late.code) == ("CM-8", "pre_meeting_filing_too_late")
    assert "最迟于 2024-11-08 备案" in late.message
    assert "仅4个工作日" in late.message
    assert pre_meeting_filing_refusal(PACK, CAL, filed_on=date(2024, 11, 8), meeting_date=date(2024, 11, 15)) is None


@given(st.dates(min_value=date(2024, 9, 1), max_value=date(2024, 11, 14)))
def test_CM_8_a_pre_meeting_filing_passes_iff_at_least_5_working_days_before(filing: date) -> None:
    meeting = date(2024, 11, 15)
    refusals = plan_refusals(PACK, CAL, _plan(date(2024, 9, 2), meeting, filing))
    late = [r for r in refusals if r.code == "pre_meeting_filing_too_late"]
    assert (not late) == CAL.has_at_least_working_days(filing, meeting, 5)
    assert all(r.rule == "CM-8" for r in late)


@given(st.dates(min_value=date(2024, 9, 1), max_value=date(2024, 10, 11)))
def test_CM_8_a_meeting_is_filed_iff_at_least_the_packs_working_days_before_it(filed_on: date) -> None:
    meeting = date(2024, 10, 11)  # after the National Day holidays
    refusal = pre_meeting_filing_refusal(PACK, CAL, filed_on=filed_on, meeting_date=meeting)
    assert (refusal is None) == CAL.has_at_least_working_days(filed_on, meeting, 5)
    assert refusal is None or (refusal.rule, refusal.code, refusal.fields) == (
        "CM-8",
        "pre_meeting_filing_too_late",
        ("filed_on",),
    )


def test_CM_8_the_number_of_working_days_comes_from_the_pack() -> None:
    p = PACK.parameters
    three = p.pre_meeting_filing_working_days.model_copy(update={"value": 3})
    pack = PACK.model_copy(update={"parameters": p.model_copy(update={"pre_meeting_filing_working_days": three})})
    meeting, filed_on = date(2024, 10, 11), date(2024, 10, 8)  # 3 working days
    assert pre_meeting_filing_refusal(PACK, CAL, filed_on=filed_on, meeting_date=meeting) is not None
    assert pre_meeting_filing_refusal(pack, CAL, filed_on=filed_on, meeting_date=meeting) is None


def test_CM_10_CM_2_only_an_active_committee_within_its_validity_opens_meetings() -> None:
    today = date(2024, 9, 30)
    assert evaluation_refusal(CommitteeStatus.ACTIVE, valid_until=today, today=today) is None
    expected = {
        CommitteeStatus.SUSPENDED: ("CM-10", "committee_suspended"),
        CommitteeStatus.WITHDRAWN: ("CM-10", "committee_withdrawn"),
        CommitteeStatus.EXPIRED: ("CM-2", "committee_expired"),
        CommitteeStatus.PENDING: ("CM-1", "committee_pending"),
        CommitteeStatus.REJECTED: ("CM-1", "committee_rejected"),
    }
    for status, (rule, code) in expected.items():
        refusal = evaluation_refusal(status, valid_until=date(2027, 2, 28), today=today)
        assert refusal is not None
        assert (refusal.rule, refusal.code) == (rule, code)
    # Past its last valid day an active committee is expired, before the expiry job marks it so.
    past = evaluation_refusal(CommitteeStatus.ACTIVE, valid_until=today - timedelta(days=1), today=today)
    assert past is not None
    assert (past.rule, past.code) == ("CM-2", "committee_expired")


def test_CM_6_meetings_after_the_deadline_and_plans_across_years_need_an_exception() -> None:
    late = _plan(date(2024, 9, 2), date(2024, 12, 2), date(2024, 11, 22))
    assert {r.rule for r in plan_refusals(PACK, CAL, late)} == {"CM-6"}
    excepted = _plan(date(2024, 9, 2), date(2024, 12, 2), date(2024, 11, 22), exception=True)
    assert plan_refusals(PACK, CAL, excepted) == []
    crossing = _plan(date(2023, 12, 29), date(2024, 11, 15), date(2024, 11, 8))
    assert [r.code for r in plan_refusals(PACK, CAL, crossing)] == ["plan_crosses_years"]


def test_plan_dates_out_of_order_name_their_fields() -> None:
    plan = PlanDates(
        year=2024,
        declaration_opens=date(2024, 8, 31),
        declaration_closes=date(2024, 8, 1),
        notice_date=date(2024, 7, 1),
        meetings=(PlannedMeeting(date(2024, 8, 20), date(2024, 8, 25)),),
    )
    fields = {field for field, _ in plan_date_order_problems(plan)}
    assert fields == {"declaration_closes", "meetings.0.pre_meeting_filing_date"}


def test_CM_9_the_post_meeting_filing_is_due_15_working_days_after_the_meeting() -> None:
    due = post_meeting_filing_due(PACK, CAL, date(2024, 9, 20))
    assert CAL.working_days_between(date(2024, 9, 20), due) == PACK.parameters.post_meeting_filing_working_days.value
    assert due == date(2024, 10, 16)  # over National Day; make-up Sun 29 Sep and Sat 12 Oct count


def test_CM_3_a_provincial_industry_department_decides_the_levels_the_pack_names() -> None:
    industry = hr("140000", "industry_admin")
    assert may_decide(PACK, industry, levels=["intermediate"], region="140100") is None
    assert may_decide(PACK, industry, levels=["junior"], region="140000") is None
    refusal = may_decide(PACK, industry, levels=SENIOR, region="140000")
    assert refusal is not None
    assert refusal.rule == "CM-3"
    assert "省级人社部门" in refusal.message
    # A city's industry bureau is not the provincial department the pack names.
    assert may_decide(PACK, hr("140100", "industry_admin"), levels=["intermediate"], region="140100") is not None


def test_CM_10_a_withdrawn_committee_is_not_approved_again_by_an_old_filing() -> None:
    refusal = filing_approval_refusal(CommitteeStatus.WITHDRAWN, approve=True)
    assert refusal is not None
    assert (refusal.rule, refusal.code) == ("CM-10", "committee_withdrawn")
    assert filing_approval_refusal(CommitteeStatus.WITHDRAWN, approve=False) is None
    assert filing_approval_refusal(CommitteeStatus.ACTIVE, approve=True) is None


def test_CM_4_a_plan_names_only_levels_the_committee_is_filed_for() -> None:
    refusal = plan_levels_refusal(["intermediate", "senior"], ["intermediate", "associate_senior"])
    assert refusal is not None
    assert (refusal.rule, refusal.code) == ("CM-4", "level_outside_scope")
    assert [(e.field, e.rule) for e in refusal.field_errors()] == [("levels", "CM-4")]
    assert plan_levels_refusal(["intermediate"], ["intermediate", "senior"]) is None


def test_CM_5_a_meeting_is_filed_only_under_a_published_plan() -> None:
    refusal = pre_meeting_plan_refusal(PlanStatus.DRAFT)
    assert refusal is not None
    assert (refusal.rule, refusal.code) == ("CM-5", "plan_not_published")
    assert pre_meeting_plan_refusal(PlanStatus.PUBLISHED) is None


def test_CM_2_NA_13_refusals_name_the_committees_status_in_chinese_not_its_code() -> None:
    refiling = refiling_refusal(CommitteeStatus.WITHDRAWN, FilingReason.RENAME)
    sanction = sanction_refusal(CommitteeStatus.EXPIRED, SanctionKind.REMINDER)
    assert refiling is not None
    assert sanction is not None
    assert refiling.message == "评委会当前状态为已收回评审权，不能重新备案"
    assert sanction.message == "评委会当前状态为备案有效期届满，不能处理"
