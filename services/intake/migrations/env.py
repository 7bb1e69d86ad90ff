"""Alembic environment of the intake service (schema ``intake``)."""

from zhicheng_common.migrations import run_env
from zhicheng_intake.models import Base

run_env(schema="intake", metadata=Base.metadata)
