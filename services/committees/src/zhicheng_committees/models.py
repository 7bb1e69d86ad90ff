"""Tables of the committees service (schema ``committees``; outbox, inbox and journal are in zhicheng_common)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from zhicheng_common.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


# The feature folders declare their tables on this Base; importing them here puts every table in
# ``Base.metadata`` (Alembic's comparison and the tests read it from this module).
from zhicheng_committees.ballot import models as _ballot_models  # noqa: E402
from zhicheng_committees.committee import models as _committee_models  # noqa: E402
from zhicheng_committees.meeting import models as _meeting_models  # noqa: E402
from zhicheng_committees.plan import models as _plan_models  # noqa: E402

__all__ = ["Base", "_ballot_models", "_committee_models", "_meeting_models", "_plan_models"]
