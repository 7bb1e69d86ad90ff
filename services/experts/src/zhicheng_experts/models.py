"""Tables of the experts service (schema ``experts``; outbox, inbox and journal are in zhicheng_common)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from zhicheng_common.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


# The feature folders declare their tables on this Base; importing them here puts every table in
# ``Base.metadata`` (Alembic's comparison and the tests read it from this module).
from zhicheng_experts.draw import models as _draw_models  # noqa: E402
from zhicheng_experts.expert import models as _expert_models  # noqa: E402
from zhicheng_experts.pool import models as _pool_models  # noqa: E402
from zhicheng_experts.projection import models as _projection_models  # noqa: E402

__all__ = ["Base", "_draw_models", "_expert_models", "_pool_models", "_projection_models"]
