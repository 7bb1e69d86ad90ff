"""Tables of experts: the expert, their terms (聘期) and declared relationships (NA-9).

Identifiers are never stored in clear (DESIGN.md §6): the resident ID number and the unit's credit
code are encrypted, with the keyed hash of ``zhicheng_common.pii`` beside them, so an integrity
record or an applicant named by that hash finds the expert.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng_common.db import CreatedAt, UuidKey
from zhicheng_experts.models import Base


class Expert(UuidKey, CreatedAt, Base):
    """An expert of the pool (评审专家) of one region."""

    __tablename__ = "experts"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'suspended', 'disqualified')", name="status"),
        CheckConstraint(
            "ownership_kind IN ('public_institution', 'state_owned_enterprise', 'private_enterprise',"
            " 'social_organization')",
            name="ownership_kind",
        ),
        CheckConstraint("region ~ '^[0-9]{6}$'", name="region_format"),
        Index("ix_experts_resident_id_key", "resident_id_key", unique=True),
        Index("ix_experts_account_subject", "account_subject", unique=True),
        Index("ix_experts_unit_key", "unit_key"),
        Index("ix_experts_region", "region", postgresql_ops={"region": "varchar_pattern_ops"}),
    )

    name: Mapped[str] = mapped_column(String(64))
    # Keyed hash of the resident ID number: what integrity records and applicants are matched on.
    resident_id_key: Mapped[str] = mapped_column(String(64))
    resident_id_encrypted: Mapped[str] = mapped_column(Text)
    resident_id_masked: Mapped[str] = mapped_column(String(32))
    unit_name: Mapped[str] = mapped_column(String(128))
    # Keyed hash of the unit's credit code: what applicants' units are matched on (NA-9 same unit).
    unit_key: Mapped[str] = mapped_column(String(64))
    unit_credit_code_encrypted: Mapped[str] = mapped_column(Text)
    unit_credit_code_masked: Mapped[str] = mapped_column(String(32))
    ownership_kind: Mapped[str] = mapped_column(String(32))
    series: Mapped[str] = mapped_column(String(64))
    specialties: Mapped[list[str]] = mapped_column(JSONB)
    rank_held: Mapped[str] = mapped_column(String(32))
    title_name: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(6))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(Text)
    # The integrity record that disqualified the expert (NA-13); withdrawn on appeal, it is lifted.
    disqualified_by_record: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # The gateway account (role ``expert``) the expert signs in with: its token's subject.
    account_subject: Mapped[str | None] = mapped_column(String(128))
    created_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ExpertTerm(UuidKey, Base):
    """One term (聘期) of an expert, first and last day included (EX-3: at most the pack's years)."""

    __tablename__ = "expert_terms"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="order"),
        Index("ix_expert_terms_expert_id", "expert_id"),
    )

    expert_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("experts.id", ondelete="CASCADE"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)


class ExpertRelationship(UuidKey, Base):
    """A relationship the expert declared (NA-9), the other person named by their keyed hash."""

    __tablename__ = "expert_relationships"
    __table_args__ = (
        UniqueConstraint("expert_id", "kind", "other_key"),
        Index("ix_expert_relationships_other_key", "other_key"),
    )

    expert_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("experts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(48))
    other_key: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(256))
