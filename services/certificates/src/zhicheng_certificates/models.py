"""Tables of the certificates service (schema ``certificates``; outbox, inbox and journal are in zhicheng_common)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from zhicheng_common.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


# The feature folders declare their tables on this Base; importing them here puts every table in
# ``Base.metadata`` (Alembic's comparison and the tests read it from this module).
from zhicheng_certificates.certificate import models as _certificate_models  # noqa: E402
from zhicheng_certificates.status import models as _status_models  # noqa: E402
from zhicheng_certificates.verification import models as _verification_models  # noqa: E402

__all__ = ["Base", "_certificate_models", "_status_models", "_verification_models"]
