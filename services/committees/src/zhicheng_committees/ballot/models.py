"""Tables of the secret ballot (无记名投票, NA-7). Read docs/secret-ballot.md before changing any of them.

Nothing here may link an expert to a choice: no timestamp, no serial or time-ordered key, no row
written with both. ``ballot_participations`` says *that* an expert voted in a round; a sealed
``ballot_envelopes`` row (encrypted under a key held only in memory) holds *what*, until the round
closes; then ``ballots`` holds one row per applicant marked, keyed by a tag only the receipt's
holder can compute, inserted shuffled in the closing transaction, and the envelopes are deleted.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, PrimaryKeyConstraint, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng_committees.models import Base


class BallotRound(Base):
    """A round of voting (表决轮次, MT-3) of a meeting: its applicants, its voters, then its signed tally."""

    __tablename__ = "ballot_rounds"
    __table_args__ = (UniqueConstraint("meeting_id", "number"),)

    # Random (UUIDv4), like every key of the ballot tables: a time-ordered key would date the row.
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting_sittings.meeting_id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    # The declarations voted on, in the order of the fixed-length envelope plaintext.
    applicants: Mapped[list[str]] = mapped_column(JSONB)
    # The attending experts when the round opened: who may vote, and A of the tally.
    voters: Mapped[list[str]] = mapped_column(JSONB)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    tally: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    signature: Mapped[str | None] = mapped_column(Text, nullable=True)
    key_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Participation(Base):
    """That an expert voted in a round (one per round, NA-7): no timestamp, no choice."""

    __tablename__ = "ballot_participations"
    __table_args__ = (PrimaryKeyConstraint("round_id", "expert_id"),)

    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ballot_rounds.id", ondelete="CASCADE"))
    expert_id: Mapped[str] = mapped_column(String(64))


class Envelope(Base):
    """A sealed ballot while its round is open: receipt and choices under the round's in-memory key,
    every envelope of a round the same size."""

    __tablename__ = "ballot_envelopes"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ballot_rounds.id", ondelete="CASCADE"), index=True)
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)


class Ballot(Base):
    """One applicant's mark on one ballot, written only when the round closes, in shuffled order.

    ``tag`` = HMAC-SHA256(receipt, "zc-ballot-v1|round|declaration"): only the receipt's holder can
    find their rows; nobody can tell which rows of different applicants came from one paper.
    """

    __tablename__ = "ballots"

    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ballot_rounds.id", ondelete="CASCADE"), index=True)
    declaration_id: Mapped[str] = mapped_column(String(64))
    choice: Mapped[str] = mapped_column(String(8))
