"""Events about annual plans (through the outbox); fields per docs/event-contracts.md."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel

from zhicheng_common.events.envelope import event_type


class PlanData(BaseModel):
    """An annual plan as others follow it: the declaration window intake enforces, notice and meetings."""

    plan_id: uuid.UUID
    committee_id: uuid.UUID
    year: int
    series: str
    levels: list[str]
    declaration_opens: date
    declaration_closes: date
    notice_date: date
    meeting_dates: list[date]
    pre_meeting_filing_dates: list[date]
    policy_pack: str
    region: str
    version: int


@event_type("committees.plan.published")
class PlanPublished(PlanData):
    """An annual evaluation plan was approved and published (CM-5); its declaration window opens."""


@event_type("committees.plan.changed")
class PlanChanged(PlanData):
    """A published plan was changed; the new dates replace the old ones."""
