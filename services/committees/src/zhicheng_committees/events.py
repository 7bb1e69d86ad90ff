"""Events the committees service publishes (each feature folder declares its own; imported here so the
event catalog and the outbox know every type)."""

from __future__ import annotations

from zhicheng_committees.committee.events import (
    CommitteeApplied,
    CommitteeApproved,
    CommitteeExpired,
    CommitteeFilingData,
    CommitteePowerWithdrawn,
    CommitteeRefiled,
    CommitteeRejected,
    CommitteeResumed,
    CommitteeSanctioned,
    CommitteeSuspended,
)
from zhicheng_committees.meeting.events import (
    MeetingClosed,
    MeetingDeadlineChanged,
    MeetingOpened,
    MeetingPreFiled,
    MeetingSittingData,
)
from zhicheng_committees.plan.events import PlanChanged, PlanData, PlanPublished

__all__ = [
    "CommitteeApplied",
    "CommitteeApproved",
    "CommitteeExpired",
    "CommitteeFilingData",
    "CommitteePowerWithdrawn",
    "CommitteeRefiled",
    "CommitteeRejected",
    "CommitteeResumed",
    "CommitteeSanctioned",
    "CommitteeSuspended",
    "MeetingClosed",
    "MeetingDeadlineChanged",
    "MeetingOpened",
    "MeetingPreFiled",
    "MeetingSittingData",
    "PlanChanged",
    "PlanData",
    "PlanPublished",
]
