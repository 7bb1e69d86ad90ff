"""What the certificate feature publishes (docs/event-contracts.md, "certificates"). The envelope's
subject is the certificate number; the holder travels as ``holder_key`` and a sealed name only."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from zhicheng_certificates.certificate.domain import Basis
from zhicheng_common.events.envelope import event_type


@event_type("certificates.certificate.issued")
class CertificateIssued(BaseModel):
    """A certificate was issued and signed (SM2 and Ed25519); its status-list entry is reserved."""

    certificate_number: str
    licence_identifier: str = Field(description="GB/T 36904-style licence identifier (NA-16)")
    declaration_id: uuid.UUID | None = Field(description="the evaluated declaration; null for a direct recognition")
    holder_key: str = Field(description="keyed hash of the holder's resident ID (= applicant_key)")
    holder_name_sealed: str = Field(description="the holder's name sealed with the shared PII key")
    series: str
    specialty: str
    level: str
    title_name: str
    committee_id: uuid.UUID | None
    region: str
    year: int
    obtained_on: date
    issued_at: datetime
    status_list_index: int
    basis: Basis
