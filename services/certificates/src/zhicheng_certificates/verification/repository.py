"""Every query of the verification feature: identified lookups and the anonymous counts per day."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from zhicheng_certificates.verification.models import AnonymousCount, VerifierLookup
from zhicheng_common.ids import uuid7
from zhicheng_common.repository import Repository


class VerificationRepository(Repository):
    def record_lookup(
        self, *, certificate_id: uuid.UUID, verifier_id: str, verifier_name: str, method: str, at: datetime
    ) -> None:
        self.add(
            VerifierLookup(
                id=uuid7(),
                certificate_id=certificate_id,
                at=at,
                verifier_id=verifier_id,
                verifier_name=verifier_name,
                method=method,
            )
        )

    async def count_anonymous(self, *, day: date, method: str) -> None:
        statement = (
            insert(AnonymousCount)
            .values(day=day, method=method, count=1)
            .on_conflict_do_update(
                index_elements=[AnonymousCount.day, AnonymousCount.method],
                set_={"count": AnonymousCount.count + 1},
            )
        )
        await self.session.execute(statement)

    async def lookups_of(self, certificate_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[VerifierLookup]]:
        if not certificate_ids:
            return {}
        rows = await self.session.scalars(
            select(VerifierLookup).where(VerifierLookup.certificate_id.in_(certificate_ids)).order_by(VerifierLookup.at)
        )
        out: dict[uuid.UUID, list[VerifierLookup]] = {}
        for row in rows:
            out.setdefault(row.certificate_id, []).append(row)
        return out

    async def anonymous_counts(self, since: date) -> Sequence[AnonymousCount]:
        statement = select(AnonymousCount).where(AnonymousCount.day >= since).order_by(AnonymousCount.day)
        return (await self.session.scalars(statement)).all()
