"""Queries of the secret ballot. Nothing here orders, dates or joins participations with ballots."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, insert, select

from zhicheng_committees.ballot.models import Ballot, BallotRound, Envelope, Participation
from zhicheng_common.repository import Repository


class BallotRepository(Repository):
    """Rounds, participations, sealed envelopes and the ballots of closed rounds."""

    async def rounds(self, meeting_id: uuid.UUID) -> Sequence[BallotRound]:
        statement = select(BallotRound).where(BallotRound.meeting_id == meeting_id).order_by(BallotRound.number)
        return (await self.session.scalars(statement)).all()

    async def round(self, meeting_id: uuid.UUID, number: int, *, lock: str | None = None) -> BallotRound | None:
        """One round; ``lock`` ``"share"`` (a vote: many at once) or ``"update"`` (the closing waits for them)."""
        statement = select(BallotRound).where(BallotRound.meeting_id == meeting_id, BallotRound.number == number)
        if lock == "share":
            statement = statement.with_for_update(read=True)
        elif lock == "update":
            statement = statement.with_for_update()
        return (await self.session.scalars(statement)).first()

    async def has_voted(self, round_id: uuid.UUID, expert_id: str) -> bool:
        statement = select(Participation.expert_id).where(
            Participation.round_id == round_id, Participation.expert_id == expert_id
        )
        return (await self.session.scalar(statement)) is not None

    async def participations(self, round_id: uuid.UUID) -> int:
        statement = select(func.count()).select_from(Participation).where(Participation.round_id == round_id)
        return int(await self.session.scalar(statement) or 0)

    async def envelopes(self, round_id: uuid.UUID) -> Sequence[Envelope]:
        # No ORDER BY that means anything: the rows are split, shuffled and the envelopes deleted.
        return (await self.session.scalars(select(Envelope).where(Envelope.round_id == round_id))).all()

    async def delete_envelopes(self, round_id: uuid.UUID) -> None:
        await self.session.execute(delete(Envelope).where(Envelope.round_id == round_id))

    async def insert_ballots(self, rows: Sequence[dict[str, object]]) -> None:
        """Insert the (already shuffled) rows of a closed round in one statement, in the order given."""
        if rows:
            await self.session.execute(insert(Ballot), list(rows))

    async def ballots(self, round_id: uuid.UUID) -> Sequence[Ballot]:
        statement = select(Ballot).where(Ballot.round_id == round_id).order_by(Ballot.tag)
        return (await self.session.scalars(statement)).all()
