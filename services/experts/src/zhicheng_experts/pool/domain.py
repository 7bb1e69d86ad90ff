"""Pure rules of pool filings (专家库备案): validity (EX-3), re-filing with enough new experts and
early enough before the annual evaluation (EX-4), a share of private-enterprise experts (EX-5).

No I/O: the caller passes the pack, the working-day calendar, the previous filing's members and
the proposed members' facts, and gets refusals back (each a 409 problem with its rule id).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from zhicheng_common.calendar import WorkingDayCalendar
from zhicheng_common.periods import last_day_from
from zhicheng_common.policy import PolicyPack
from zhicheng_common.reference import series_name
from zhicheng_common.refusals import Refusal


@dataclass(frozen=True)
class Member:
    """What the filing rules read of a proposed member."""

    expert_id: uuid.UUID
    series: str
    status: str
    ownership_kind: str


@dataclass(frozen=True)
class Counts:
    """The hand-checkable counts a filing is judged on (stored with the filing)."""

    members: int
    new_members: int
    private_enterprise: int


def counts(members: Sequence[Member], previous: Collection[uuid.UUID] | None) -> Counts:
    """Members, new ones (not in the previous filing; all of them for a first filing), private-enterprise ones."""
    before = set(previous or ())
    return Counts(
        members=len(members),
        new_members=sum(1 for m in members if m.expert_id not in before),
        private_enterprise=sum(1 for m in members if m.ownership_kind == "private_enterprise"),
    )


def validity_refusal(pack: PolicyPack, *, valid_from: date, valid_until: date) -> Refusal | None:
    """EX-3: a filing is valid at most the pack's years from its first day (NA-14: 届满 includes the day)."""
    years = pack.parameters.expert_pool_filing_validity_years
    if valid_until < valid_from:
        return Refusal("", "validity_order", f"备案有效期结束日{valid_until}早于开始日{valid_from}", ("valid_until",))
    limit = last_day_from(valid_from, years.value)
    if valid_until > limit:
        message = f"专家库备案有效期不超过{years.value}年：自{valid_from}起最迟至{limit}，申请至{valid_until}"
        return Refusal(years.rule, "filing_validity_too_long", message, ("valid_until",))
    return None


def member_refusals(members: Sequence[Member], *, committee_series: str) -> list[Refusal]:
    """Members are experts of the committee's series (NA-2, committees never cross series) and not
    disqualified (NA-13); a suspended expert may stay filed (the draw leaves them out)."""
    out: list[Refusal] = []
    for index, member in enumerate(members):
        where = (f"expert_ids.{index}",)
        if member.series != committee_series:
            message = (
                f"专家 {member.expert_id} 的职称系列（{series_name(member.series)}）"
                f"不是评委会的系列（{series_name(committee_series)}）"
            )
            out.append(Refusal("NA-2", "member_series_mismatch", message, where))
        if member.status == "disqualified":
            out.append(Refusal("NA-13", "member_disqualified", f"专家 {member.expert_id} 已被取消专家资格", where))
    return out


def refiling_refusals(
    pack: PolicyPack, calendar: WorkingDayCalendar, *, tally: Counts, applied_on: date, evaluation_date: date | None
) -> list[Refusal]:
    """EX-4: a re-filing brings at least the pack's share of new experts, and is applied for at least
    the pack's working days before the annual evaluation (NA-14 counting, the evaluation's day not
    counted). Without a known evaluation date only the share is checked.

    Raises:
        UnknownCalendarYear: The calendar does not know a year between the two days.
    """
    out: list[Refusal] = []
    share = pack.parameters.expert_pool_new_member_min_share
    if not share.value.is_met_by(tally.new_members, tally.members):
        needed = share.value.min_count(tally.members)
        message = (
            f"重新备案的专家库中新增专家不得少于{share.value}：共{tally.members}人，"
            f"须新增至少{needed}人，实际新增{tally.new_members}人"
        )
        out.append(Refusal(share.rule, "too_few_new_experts", message, ("expert_ids",)))
    lead = pack.parameters.expert_pool_refiling_lead_working_days
    if evaluation_date is not None and not calendar.has_at_least_working_days(applied_on, evaluation_date, lead.value):
        latest = calendar.working_days_before(evaluation_date, lead.value)
        message = (
            f"专家库重新备案应于年度评审{lead.value}个工作日前申请（年度评审{evaluation_date}，"
            f"最迟{latest}），申请日为{applied_on}"
        )
        out.append(Refusal(lead.rule, "refiling_too_late", message, ("applied_on",)))
    return out


def private_share_refusal(pack: PolicyPack, *, tally: Counts, enterprise_related: bool) -> Refusal | None:
    """EX-5: where the pack sets a share, an enterprise-related committee's pool has at least that
    share of private-enterprise experts."""
    share = pack.parameters.private_enterprise_expert_min_share
    if share.value is None or not enterprise_related:
        return None
    if share.value.is_met_by(tally.private_enterprise, tally.members):
        return None
    needed = share.value.min_count(tally.members)
    message = (
        f"评委会涉及企业，专家库中非公有制经济组织专家不得少于{share.value}：共{tally.members}人，"
        f"须至少{needed}人，实际{tally.private_enterprise}人"
    )
    return Refusal(share.rule, "too_few_private_enterprise_experts", message, ("expert_ids",))


def next_evaluation(meeting_dates: Sequence[date], *, on_or_after: date) -> date | None:
    """The annual evaluation a re-filing is counted against: the first planned meeting not before the
    filing's first day."""
    later = sorted(day for day in meeting_dates if day >= on_or_after)
    return later[0] if later else None


def lapsed(valid_until: date, today: date) -> bool:
    """A filing lapses the day after its last day (NA-14: the last day is still in force)."""
    return today > valid_until
