"""Tables of verification (schema ``gateway``): status changes seen, anonymous checks per day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, Identity, String
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng_gateway.models import Base


class VerifyInvalidation(Base):
    """A certificate's status changed (revoked, suspended, reinstated, superseded): drop its cached answers.

    Written once per event by the ``gateway-verify-certificates`` durable; every gateway process
    reads the rows after the last ``seq`` it saw and evicts those numbers from its cache.
    """

    __tablename__ = "verify_invalidations"

    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    number: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VerifyCount(Base):
    """How many anonymous checks of one certificate the gateway answered on a China day, by method.

    A count and nothing else: no address, no time of day, no name typed (NA-15: counted, not traced).
    """

    __tablename__ = "verify_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), primary_key=True)
    method: Mapped[str] = mapped_column(String(8), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
