"""Tables of the integrity service (schema ``integrity``; outbox, inbox and journal are in zhicheng_common)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from zhicheng_common.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()
