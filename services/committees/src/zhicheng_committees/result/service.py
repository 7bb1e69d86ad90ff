"""Use cases of a meeting's results: the results entry with its meeting file (CM-11)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_committees.committee.repository import CommitteeRepository
from zhicheng_committees.committee.service import ensure_acts_for
from zhicheng_committees.deps import Tools, invalid_payload
from zhicheng_committees.errors import CalendarUnknown
from zhicheng_committees.meeting.errors import MeetingNotFound
from zhicheng_committees.meeting.schemas import MeetingRead
from zhicheng_committees.meeting.service import meeting_read
from zhicheng_committees.plan.repository import PlanRepository
from zhicheng_committees.result.domain import missing_meeting_file_items, results_entry_due
from zhicheng_committees.result.schemas import ResultsEntryCreate
from zhicheng_common.audit import append_entry
from zhicheng_common.auth import Principal, ensure_covers
from zhicheng_common.calendar import UnknownCalendarYear
from zhicheng_common.policy import pack_by_id
from zhicheng_common.problems import Conflict
from zhicheng_common.refusals import Refusal, refused


async def enter_results(
    session: AsyncSession, *, actor: Principal, meeting_id: uuid.UUID, entry_in: ResultsEntryCreate, tools: Tools
) -> MeetingRead:
    """Record the entry of a meeting's results with the full meeting file; a late entry is flagged (CM-11)."""
    plans = PlanRepository(session)
    meeting = await plans.get_meeting(meeting_id, for_update=True)
    if meeting is None:
        raise MeetingNotFound(f"评审会议 {meeting_id} 不存在")
    ensure_covers(actor, meeting.region)
    await ensure_acts_for(CommitteeRepository(session), actor, meeting.committee_id)
    if not meeting.meeting_date <= entry_in.appointment_document_date <= tools.today:
        raise invalid_payload([("appointment_document_date", "聘任文件日期应在评审会议之后、不晚于今天")])
    # CM-11 is counted on the day the entry reaches the platform (the server's date).
    entered_on = tools.today
    if meeting.results_entered_on is not None:
        raise Conflict("该会议评审结果已录入", code="results_already_entered")
    plan = await plans.get(meeting.plan_id)
    assert plan is not None
    pack = pack_by_id(plan.policy_pack)
    missing = missing_meeting_file_items(entry_in.meeting_file)
    if missing:
        rule = pack.parameters.results_entry_working_days.rule
        raise refused(
            [
                Refusal(
                    rule,
                    "meeting_file_incomplete",
                    f"会议档案缺少：{'、'.join(m.value for m in missing)}",
                    ("meeting_file",),
                )
            ]
        )
    try:
        due = results_entry_due(pack, tools.calendar, entry_in.appointment_document_date)
    except UnknownCalendarYear as exc:
        raise CalendarUnknown(str(exc)) from None
    meeting.appointment_document_date = entry_in.appointment_document_date
    meeting.results_entered_on = entered_on
    meeting.results_entered_by = actor.subject
    meeting.results_entry_due = due
    meeting.results_entry_due_provisional = tools.calendar.is_provisional_span(entry_in.appointment_document_date, due)
    meeting.meeting_file = [item.value for item in entry_in.meeting_file]
    await append_entry(
        session,
        actor=actor,
        action="committee.meeting.results_entered",
        record_type="plan_meeting",
        record_id=str(meeting.id),
        record_region=meeting.region,
        rule_ids=[pack.parameters.results_entry_working_days.rule],
        policy_pack=pack.id,
        data={"entered_on": entered_on, "due": due, "late": entered_on > due},
    )
    return meeting_read(meeting)
