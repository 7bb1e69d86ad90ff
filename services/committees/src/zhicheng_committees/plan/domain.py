"""Pure rules of annual plans: the plan's dates (CM-6, CM-7, CM-8), its levels (CM-4), publication
before the pre-meeting filing (CM-5) and the post-meeting filing deadline (CM-9).

No I/O and no clock: every function takes the policy pack, the calendar and the dates it judges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.policy import PolicyPack
from zhicheng_common.refusals import Refusal


class PlanStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


def plan_levels_refusal(levels: Sequence[str], filed: Sequence[str]) -> Refusal | None:
    """CM-4: a plan covers only levels the committee is filed for."""
    outside = [level for level in levels if level not in filed]
    if not outside:
        return None
    return Refusal("CM-4", "level_outside_scope", f"评委会未备案以下层级：{'、'.join(outside)}").for_field(
        "levels", "level_outside_scope", "层级超出评委会备案范围"
    )


def pre_meeting_plan_refusal(plan_status: PlanStatus) -> Refusal | None:
    """CM-5: a meeting is filed only under a plan the HR department has published."""
    if plan_status != PlanStatus.PUBLISHED:
        return Refusal("CM-5", "plan_not_published", "评审计划尚未经人社部门核准发布，不能进行会前备案")
    return None


@dataclass(frozen=True)
class PlannedMeeting:
    meeting_date: date
    pre_meeting_filing_date: date


@dataclass(frozen=True)
class PlanDates:
    year: int
    declaration_opens: date
    declaration_closes: date
    notice_date: date
    meetings: tuple[PlannedMeeting, ...]
    cross_year_exception: bool = False


def plan_date_order_problems(plan: PlanDates) -> list[tuple[str, str]]:
    """Dates in the wrong order, as ``(field, message)`` pairs (a malformed plan, not a rule)."""
    out: list[tuple[str, str]] = []
    if plan.declaration_closes < plan.declaration_opens:
        out.append(("declaration_closes", "申报截止日期不能早于申报开始日期"))
    for i, meeting in enumerate(plan.meetings):
        if meeting.pre_meeting_filing_date >= meeting.meeting_date:
            out.append((f"meetings.{i}.pre_meeting_filing_date", "会前备案日期应早于评审会议日期"))
        if meeting.meeting_date <= plan.declaration_closes:
            out.append((f"meetings.{i}.meeting_date", "评审会议日期应晚于申报截止日期"))
    return out


def plan_refusals(pack: PolicyPack, calendar: WorkingDayCalendar, plan: PlanDates) -> list[Refusal]:
    """CM-6, CM-7, CM-8: notice and pre-meeting filing early enough, finished by the deadline, within the year.

    Working days follow NA-14 (``WorkingDayCalendar.has_at_least_working_days``).
    """
    p = pack.parameters
    out: list[Refusal] = []
    for i, meeting in enumerate(plan.meetings):
        notice = notice_refusal(
            pack,
            calendar,
            published_on=plan.notice_date,
            meeting_date=meeting.meeting_date,
            fields=("notice_date", f"meetings.{i}.meeting_date"),
        )
        if notice is not None:
            out.append(notice)
        late = pre_meeting_filing_refusal(
            pack,
            calendar,
            filed_on=meeting.pre_meeting_filing_date,
            meeting_date=meeting.meeting_date,
            field=f"meetings.{i}.pre_meeting_filing_date",
        )
        if late is not None:
            out.append(late)
    if not plan.cross_year_exception:
        finished_by = p.evaluation_finished_by.value.in_year(plan.year)
        for i, meeting in enumerate(plan.meetings):
            if meeting.meeting_date > finished_by:
                out.append(
                    Refusal(
                        p.evaluation_finished_by.rule,
                        "evaluation_too_late",
                        f"年度评审应于{finished_by.isoformat()}前完成",
                        (f"meetings.{i}.meeting_date",),
                    )
                )
        named = [
            ("declaration_opens", plan.declaration_opens),
            ("declaration_closes", plan.declaration_closes),
            ("notice_date", plan.notice_date),
            *[(f"meetings.{i}.meeting_date", m.meeting_date) for i, m in enumerate(plan.meetings)],
            *[
                (f"meetings.{i}.pre_meeting_filing_date", m.pre_meeting_filing_date)
                for i, m in enumerate(plan.meetings)
            ],
        ]
        outside = tuple(field for field, day in named if day.year != plan.year)
        if outside:
            out.append(
                Refusal(
                    "CM-6", "plan_crosses_years", f"年度评审不跨年度（{plan.year}年）；跨年须经人社部门批准", outside
                )
            )
    return out


def notice_refusal(
    pack: PolicyPack,
    calendar: WorkingDayCalendar,
    *,
    published_on: date,
    meeting_date: date,
    fields: tuple[str, ...] = ("notice_date",),
) -> Refusal | None:
    """CM-7: the evaluation notice is published at least the pack's working days before the meeting (NA-14).

    Checked on the planned notice day when a plan is drafted, and on the day the plan is really
    published (the server's date) when it is published or a published plan moves a meeting.
    """
    parameter = pack.parameters.notice_working_days_before_meeting
    days = parameter.value
    if calendar.has_at_least_working_days(published_on, meeting_date, days):
        return None
    between = calendar.working_days_ahead(published_on, meeting_date)
    return Refusal(
        parameter.rule,
        "notice_too_late",
        f"评审通知应至少在评审会议前{days}个工作日发布，"
        f"{published_on.isoformat()} 距 {meeting_date.isoformat()} 仅{between}个工作日",
        fields,
    )


def pre_meeting_filing_refusal(
    pack: PolicyPack, calendar: WorkingDayCalendar, *, filed_on: date, meeting_date: date, field: str = "filed_on"
) -> Refusal | None:
    """CM-8: the pre-meeting filing is made at least the pack's working days before the meeting (NA-14)."""
    parameter = pack.parameters.pre_meeting_filing_working_days
    days = parameter.value
    if calendar.has_at_least_working_days(filed_on, meeting_date, days):
        return None
    between = calendar.working_days_ahead(filed_on, meeting_date)
    return Refusal(
        parameter.rule,
        "pre_meeting_filing_too_late",
        f"会前备案应至少在评审会议前{days}个工作日完成（{meeting_date.isoformat()} 的会议最迟于 "
        f"{calendar.working_days_before(meeting_date, days).isoformat()} 备案），"
        f"{filed_on.isoformat()} 距会议仅{between}个工作日",
        (field,),
    )


def post_meeting_filing_due(pack: PolicyPack, calendar: WorkingDayCalendar, meeting_date: date) -> date:
    """CM-9: the post-meeting filing is due within the pack's working days after the meeting."""
    return calendar.deadline(meeting_date, pack.parameters.post_meeting_filing_working_days.value)
