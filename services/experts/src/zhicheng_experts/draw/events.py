"""Events of the draw (through the outbox). Experts by id only: no name is ever in a payload (NA-2)."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field

from zhicheng_common.events.envelope import event_type


class PanelSeat(BaseModel):
    """A drawn member of the panel: the expert's id and the specialty the expert was drawn for."""

    expert_id: str
    specialty: str
    account_subject: str | None = Field(
        default=None,
        description="The gateway account (token subject) the expert signs in with; null when none is linked.",
    )


class PanelAlternate(BaseModel):
    """An alternate (备选专家): the expert's id, the specialty and the place in its order (1 = next)."""

    expert_id: str
    specialty: str
    order: int = Field(ge=1)


@event_type("experts.panel.drawn")
class PanelDrawn(BaseModel):
    """A meeting's panel was drawn and signed by the pack's number of drawers and supervisors (EX-1).

    Ids only: committees learns who sits on the panel from its own records of the experts' ids.
    """

    committee_id: uuid.UUID
    meeting_id: uuid.UUID
    draw_id: uuid.UUID
    meeting_date: date
    algorithm: str
    snapshot_sha256: str
    members: list[PanelSeat]
    alternates: list[PanelAlternate]


@event_type("experts.panel.member_replaced")
class PanelMemberReplaced(BaseModel):
    """A drawn member declined or was found conflicted and the next alternate took the seat (ids only)."""

    committee_id: uuid.UUID
    meeting_id: uuid.UUID
    draw_id: uuid.UUID
    specialty: str
    replaced: str
    replacement: str
    reason: str = Field(description="declined or conflicted")
    members: list[PanelSeat] = Field(description="The panel's members after the replacement")
