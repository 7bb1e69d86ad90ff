"""Events the certificates service publishes (each feature folder declares its own; imported here so the
event catalog and the outbox know every type)."""

from __future__ import annotations

from zhicheng_certificates.certificate.events import CertificateIssued
from zhicheng_certificates.status.events import (
    CertificateReinstated,
    CertificateRevoked,
    CertificateSuperseded,
    CertificateSuspended,
)

__all__ = [
    "CertificateIssued",
    "CertificateReinstated",
    "CertificateRevoked",
    "CertificateSuperseded",
    "CertificateSuspended",
]
