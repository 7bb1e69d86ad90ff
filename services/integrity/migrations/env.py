"""Alembic environment of the integrity service (schema ``integrity``)."""

from zhicheng_common.migrations import run_env
from zhicheng_integrity.models import Base

run_env(schema="integrity", metadata=Base.metadata)
