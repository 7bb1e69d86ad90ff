"""Tables of issued certificates (电子证书), their numbering, their status history and the holders known from intake.

The signed document holds the holder's name and resident ID: it is stored sealed (``PiiCipher``),
like every other personal identifier. What verification compares is stored as keyed hashes
(``holder_key`` of the resident ID, ``holder_name_hash`` of the name), so a lookup never opens it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng_certificates.models import Base
from zhicheng_common.db import CreatedAt, UuidKey

STATUSES = ("valid", "suspended", "revoked", "superseded")
BASES = ("evaluation", "initial_determination", "qualification_correspondence", "talent", "transfer")


class Certificate(UuidKey, CreatedAt, Base):
    """One issued certificate: its numbers, the sealed signed document, the QR token and its status."""

    __tablename__ = "certificates"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES}", name="status"),
        CheckConstraint(f"basis IN {BASES}", name="basis"),
        CheckConstraint("region ~ '^[0-9]{6}$'", name="region_format"),
        Index("ix_certificates_number", "number", unique=True),
        Index("ix_certificates_serial", "province", "year", "serial", unique=True),
        Index("ix_certificates_status_list_index", "status_list_index", unique=True),
        Index("ix_certificates_holder_key", "holder_key"),
        Index("ix_certificates_region", "region", postgresql_ops={"region": "varchar_pattern_ops"}),
        # One certificate per evaluated declaration, however often its result is confirmed.
        Index(
            "ix_certificates_declaration_id",
            "declaration_id",
            unique=True,
            postgresql_where=text("declaration_id IS NOT NULL"),
        ),
    )

    number: Mapped[str] = mapped_column(String(20))
    province: Mapped[str] = mapped_column(String(2))
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    licence_id: Mapped[str] = mapped_column(String(96))
    status_list_index: Mapped[int] = mapped_column(Integer)
    holder_key: Mapped[str] = mapped_column(String(64))
    holder_name_hash: Mapped[str] = mapped_column(String(64))
    holder_name_sealed: Mapped[str] = mapped_column(Text)
    resident_id_masked: Mapped[str] = mapped_column(String(32))
    # The signed certificate document (JSON), sealed: it names the holder and their resident ID.
    document_sealed: Mapped[str] = mapped_column(Text)
    token: Mapped[str] = mapped_column(Text)
    sm2_key_id: Mapped[str] = mapped_column(String(64))
    ed25519_key_id: Mapped[str] = mapped_column(String(64))
    series: Mapped[str] = mapped_column(String(64))
    specialty: Mapped[str] = mapped_column(String(128))
    level: Mapped[str] = mapped_column(String(32))
    title_name: Mapped[str] = mapped_column(String(64))
    committee_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    committee_name: Mapped[str] = mapped_column(String(128))
    obtained_on: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    region: Mapped[str] = mapped_column(String(6))
    basis: Mapped[str] = mapped_column(String(32))
    declaration_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    confirmation_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    status: Mapped[str] = mapped_column(String(16), server_default="valid")
    status_reason_category: Mapped[str | None] = mapped_column(String(32))
    status_record_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    superseded_by: Mapped[str | None] = mapped_column(String(20))
    supersedes: Mapped[str | None] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(128))


class NumberCounter(Base):
    """The last serial reserved per province and year (reserved apart from issuance: a rollback leaves a gap)."""

    __tablename__ = "number_counters"

    province: Mapped[str] = mapped_column(String(2), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer)


class StatusChange(UuidKey, Base):
    """One change of a certificate's status: who, when, why (reason category), from which record."""

    __tablename__ = "status_changes"
    __table_args__ = (Index("ix_status_changes_certificate_id", "certificate_id"),)

    certificate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("certificates.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason_category: Mapped[str | None] = mapped_column(String(32))
    # The staff's words, sealed: they may be about the person.
    reason_sealed: Mapped[str | None] = mapped_column(Text)
    record_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    actor: Mapped[str] = mapped_column(String(128))


class Holder(Base):
    """A declaration's holder identity from ``intake.declaration.submitted`` (``holder_sealed``)."""

    __tablename__ = "holders"

    declaration_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    holder_key: Mapped[str] = mapped_column(String(64))
    holder_sealed: Mapped[str] = mapped_column(Text)
    region: Mapped[str] = mapped_column(String(6))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
