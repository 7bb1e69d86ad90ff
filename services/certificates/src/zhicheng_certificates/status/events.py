"""What the status feature publishes when a certificate's status changes (docs/event-contracts.md)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from zhicheng_common.events.envelope import event_type


class StatusChanged(BaseModel):
    certificate_number: str
    holder_key: str
    region: str
    reason_category: str
    record_id: uuid.UUID | None = Field(description="the integrity record that revoked it (IN-1), or null")
    at: datetime


@event_type("certificates.certificate.revoked")
class CertificateRevoked(StatusChanged):
    """A certificate was revoked (permanent): an integrity record (IN-1), a re-examination or an HR decision."""


@event_type("certificates.certificate.suspended")
class CertificateSuspended(StatusChanged):
    """A certificate was suspended until reinstated."""


@event_type("certificates.certificate.reinstated")
class CertificateReinstated(StatusChanged):
    """A suspended certificate is valid again."""


@event_type("certificates.certificate.superseded")
class CertificateSuperseded(BaseModel):
    """A certificate was replaced by a new one (transfer evaluation, EL-8)."""

    certificate_number: str
    holder_key: str
    region: str
    superseded_by: str
    at: datetime
