"""Tables of the experts service (schema ``experts``; outbox, inbox and journal are in zhicheng_common)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from zhicheng_common.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


# The feature folders' tables join this metadata (Alembic and the drift test read it from here).
from zhicheng_experts.draw import models as _draw_models  # noqa: E402, F401
