"""Alembic environment of the gateway service (schema ``gateway``)."""

from zhicheng_common.migrations import run_env
from zhicheng_gateway.models import Base

run_env(schema="gateway", metadata=Base.metadata)
