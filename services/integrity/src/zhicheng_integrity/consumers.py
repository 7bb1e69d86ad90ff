"""Events the integrity service subscribes to.

* ``review.integrity.requested`` (IN-1): review found falsification and asks for a record; a
  proposed record opens (source = event) for HR staff to decide.
"""

from __future__ import annotations

import uuid

from cryptography.exceptions import InvalidTag
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from zhicheng_common.clock import Clock
from zhicheng_common.events.consumer import Handler, PermanentEventError, Subscription
from zhicheng_common.events.envelope import CloudEvent
from zhicheng_common.pii import PiiCipher
from zhicheng_integrity import service


class IntegrityRequested(BaseModel):
    """The fields of ``review.integrity.requested`` this service reads (review owns the schema)."""

    model_config = ConfigDict(extra="ignore")

    declaration_id: uuid.UUID
    applicant_key: str
    # v2 seals the facts with the shared PII key (issue 12: no free text about a person in clear in
    # the stream); v1 events still in the stream carry them in clear. One of the two is present.
    facts_sealed: str | None = None
    facts: str | None = None
    rule_ids: list[str] = []

    def opened_facts(self, cipher: PiiCipher) -> str:
        if self.facts_sealed is not None:
            try:
                return cipher.decrypt(self.facts_sealed)
            except (InvalidTag, ValueError) as exc:  # another key, or damaged: redelivery cannot help
                raise PermanentEventError("review.integrity.requested: the facts cannot be opened") from exc
        if self.facts is not None:
            return self.facts
        raise PermanentEventError("review.integrity.requested without facts")


def on_integrity_requested(clock: Clock, cipher: PiiCipher) -> Handler:
    """Handler opening a proposed record from review's request."""

    async def handle(session: AsyncSession, event: CloudEvent) -> None:
        data = IntegrityRequested.model_validate(event.data)  # invalid data: dead-lettered, not retried
        await service.open_record_from_review(
            session,
            event_id=event.id,
            region=event.region,
            declaration_id=data.declaration_id,
            applicant_key=data.applicant_key,
            facts=data.opened_facts(cipher),
            rule_ids=data.rule_ids,
            now=clock.now(),
        )

    return handle


def subscriptions(clock: Clock, cipher: PiiCipher) -> tuple[Subscription, ...]:
    """What the integrity service consumes (one subject per subscription)."""
    return (
        Subscription(
            name="review-integrity-requested",
            subjects=("review.integrity.requested",),
            handler=on_integrity_requested(clock, cipher),
            description="IN-1: open a proposed record from review",
        ),
    )
