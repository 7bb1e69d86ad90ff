"""Events the review service subscribes to: intake's declaration events.

They arrive through one durable (``review-intake``) in intake's order; an event about a
declaration whose chain has not started yet (its ``submitted`` not applied) is parked
(:class:`AggregateNotYetKnown`), never acked as a no-op: a withdrawal must not be lost because it
overtook its submission (issue 10 §1).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from cryptography.exceptions import InvalidTag
from pydantic import BaseModel, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.events.consumer import AggregateNotYetKnown, PermanentEventError, Subscription
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_common.policy import NoPolicyPack, UnknownPolicyPack
from zhicheng_review import service
from zhicheng_review.domain import ReviewStatus
from zhicheng_review.repository import ReviewRepository
from zhicheng_review.service import ReviewContext

Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]


class SubmittedData(BaseModel):
    """The fields of ``intake.declaration.submitted`` the review reads (docs/event-contracts.md)."""

    declaration_id: uuid.UUID
    applicant_key: str
    # v2 seals the name with the shared PII key (issue 12: no name in clear in the stream); v1
    # events still in the stream carry it in clear. One of the two is present.
    applicant_name_sealed: str = ""
    applicant_name: str = ""
    year: int
    series: str
    specialty: str
    level: str
    rank: str = ""
    committee_id: uuid.UUID | None = None
    kind: str = "normal"
    channel: str
    employer_name: str = ""
    region: str
    owner_subject: str = ""  # absent from events published before intake added it
    unit_key: str = ""  # keyed hash of the employer's credit code; absent before intake sent it
    policy_pack: str = ""  # the pack intake judged by; absent before intake carried it

    @field_validator("committee_id", mode="before")
    @classmethod
    def _no_committee(cls, value: object) -> object:
        return value or None  # intake may send "" while no committee is assigned yet


class ResubmittedData(BaseModel):
    declaration_id: uuid.UUID
    corrected_fields: list[str] = []


class DeclarationRef(BaseModel):
    declaration_id: uuid.UUID


def _applicant_name(ctx: ReviewContext, data: SubmittedData, event: CloudEvent) -> str:
    """The applicant's name, opened from v2's sealed field (or read from a v1 event in clear)."""
    if data.applicant_name_sealed:
        try:
            return ctx.cipher.decrypt(data.applicant_name_sealed)
        except (InvalidTag, ValueError) as exc:
            # Sealed under another key, or damaged: redelivery cannot open it.
            raise PermanentEventError(f"submitted event {event.id}: the applicant's name cannot be opened") from exc
    if data.applicant_name:
        return data.applicant_name
    raise PermanentEventError(f"submitted event {event.id} without the applicant's name")


async def _known(session: AsyncSession, event: CloudEvent, declaration_id: uuid.UUID) -> None:
    """Park the event unless the declaration's chain exists."""
    if await ReviewRepository(session).get_by_declaration(declaration_id) is None:
        raise AggregateNotYetKnown(f"{event.type}: no review chain for declaration {declaration_id} yet")


def subscriptions(ctx: ReviewContext) -> tuple[Subscription, ...]:
    """The review's subscriptions, bound to its context (chains, pack, calendar, clock)."""

    async def on_submitted(session: AsyncSession, event: CloudEvent) -> None:
        data = SubmittedData.model_validate(event.data)
        region = data.region or event.region
        if not region:
            raise PermanentEventError("submitted event without a region")
        fields = data.model_dump(mode="json", exclude={"applicant_name_sealed"})
        fields["applicant_name"] = _applicant_name(ctx, data, event)
        try:
            await service.start_chain(session, ctx=ctx, data=fields, region=region)
        except (UnknownPolicyPack, NoPolicyPack) as exc:
            # Redelivery cannot help: the event names (or resolves to) no pack this release ships.
            raise PermanentEventError(f"submitted event {event.id}: {exc}") from exc

    async def on_resubmitted(session: AsyncSession, event: CloudEvent) -> None:
        data = ResubmittedData.model_validate(event.data)
        await _known(session, event, data.declaration_id)
        await service.resume_after_correction(
            session, ctx=ctx, declaration_id=data.declaration_id, corrected_fields=data.corrected_fields
        )

    async def on_withdrawn(session: AsyncSession, event: CloudEvent) -> None:
        data = DeclarationRef.model_validate(event.data)
        await _known(session, event, data.declaration_id)
        await service.end_chain(
            session, ctx=ctx, declaration_id=data.declaration_id, status=ReviewStatus.WITHDRAWN, rule_ids=[]
        )

    async def on_abandoned(session: AsyncSession, event: CloudEvent) -> None:
        data = DeclarationRef.model_validate(event.data)
        await _known(session, event, data.declaration_id)
        await service.end_chain(
            session, ctx=ctx, declaration_id=data.declaration_id, status=ReviewStatus.ABANDONED, rule_ids=["RV-3"]
        )

    return (
        Subscription("declaration_submitted", ("intake.declaration.submitted",), on_submitted, "start the chain"),
        Subscription("declaration_resubmitted", ("intake.declaration.resubmitted",), on_resubmitted, "resume (RV-3)"),
        Subscription("declaration_withdrawn", ("intake.declaration.withdrawn",), on_withdrawn, "end the chain"),
        Subscription("declaration_abandoned", ("intake.declaration.abandoned",), on_abandoned, "abandoned (RV-3)"),
    )
