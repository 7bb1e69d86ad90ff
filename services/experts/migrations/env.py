"""Alembic environment of the experts service (schema ``experts``)."""

from zhicheng_common.migrations import run_env
from zhicheng_experts.models import Base

run_env(schema="experts", metadata=Base.metadata)
